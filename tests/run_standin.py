"""Subprocess entry for the resume tests: a dataset run through the API with stand-ins.

usage: python run_standin.py PROMPTS.jsonl RESULTS.jsonl CALLS.log SECONDS_PER_PROMPT

The target is a named (so disk-cached) slow function that appends every prompt it answers
to CALLS.log, one JSON string a line, just before returning the answers. It is a stand-in
for plumbing: what is tested is the run's bookkeeping, not a model.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from standins import LostWordsScorer, SuffixInfiller  # noqa: E402

from promptfoil import Explainer, FunctionTarget  # noqa: E402
from promptfoil.runs import LocalEngine, read_items, run  # noqa: E402
from promptfoil.prompt.segment import words  # noqa: E402


def main() -> int:
    prompts, out, log, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

    def slow(batch: list[str]) -> list[str]:
        time.sleep(delay * len(batch))
        answers = [" ".join(sorted({w.lower() for w in words(p)})) for p in batch]
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(p) + "\n" for p in batch))
            fh.flush()
            os.fsync(fh.fileno())
        return answers

    explainer = Explainer(
        target=FunctionTarget(slow, name="slow-standin"), infiller=SuffixInfiller(),
        scorer=LostWordsScorer(), threshold=1.0, budget=5, fills_per_mask=2,
    )
    summary = run(read_items(prompts), LocalEngine(explainer), out)
    print(json.dumps(summary.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
