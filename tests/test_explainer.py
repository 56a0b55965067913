"""The explainer's time accounting: the seconds of each stage add up to the wall time, the
seconds that ran beside other stages counted once, and the terminal shows the breakdown.
Stand-ins only."""

from __future__ import annotations

import io
import time

from rich.console import Console
from standins import standin_explainer

from promptfoil import BaseTarget
from promptfoil.report.terminal import render

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"


class SlowTarget(BaseTarget):
    name = "slow"

    def _generate_one(self, prompt: str) -> str:
        time.sleep(0.02)
        return " ".join(sorted(set(prompt.lower().split())))


def test_seconds_by_stage_splits_the_wall_time():
    ex = standin_explainer(target=SlowTarget(), threshold=1.0, budget=5).explain(PROMPT)
    st = ex.seconds_by_stage
    assert set(st) == {"target", "infiller", "scorer", "other", "overlapped"}
    assert st["target"] >= 0.02 * (ex.calls.target + ex.calls.original) * 0.9
    # "overlapped": stage seconds that ran beside others (infills prefetched while the
    # target answered, tests/search/test_batching.py); what is left is the wall time
    assert abs(sum(st.values()) - 2 * st["overlapped"] - ex.seconds) < 0.01
    out = io.StringIO()
    render(ex, Console(file=out, width=200))
    assert "target " in out.getvalue() and "infiller " in out.getvalue() and "other " in out.getvalue()
