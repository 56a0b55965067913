"""One-line summaries of a results record, in words, shared by the terminal and HTML reports."""

from __future__ import annotations

from typing import Any


def _num(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{float(x):.{digits}f}"


def policy_line(rec: dict[str, Any]) -> str | None:
    """The policy judge's verdicts on a ``redteam`` record, in words (None: no verdicts)."""
    v = rec.get("policy_verdict")
    if not isinstance(v, dict):
        return None
    line = (f"policy judge, P(breaks or misstates the policy): original answer {_num(v.get('original'), 2)}, "
            f"contrast answer {_num(v.get('contrast'), 2)}")
    if v.get("error"):
        line += f" (the judge failed: {v['error']})"
    if v.get("judge_check"):
        line += f"; not to be trusted: the policy judge failed its self-check ({v['judge_check']})"
    return line
