"""Seconds per mask of the ``lm`` infiller, and how much its fills change, per ranking setting.

The ``lm`` infiller proposes fills from the left context, then ranks every proposal by the
likelihood of the sentence with the text right of the mask (``right_chars`` characters of it)
— the ranking decodes proposals x (fill + right context) tokens, most of a mask's time. This
measures, on masks of shipped ``mic-style`` and ``news`` prompts (every 10th from the 6th: not
the prompts ``make bench`` uses), seconds per mask for ``right_chars`` 120 (the old default),
40 and 16 and for 6 proposals instead of 8, and how many masks keep the same first fill and
what share of the fills stay the same. Settings alternate and the first one is repeated last,
so the spread between its two runs says how noisy the machine was.

    PROMPTFOIL_THREADS=1 .venv/bin/python benchmarks/studies/fill_cost.py
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

from promptfoil.infill.base import InfillRequest
from promptfoil.infill.lm import LMInfiller
from promptfoil.uses.datasets import shipped_set

SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("right 120, 8 proposals", {"right_chars": 120}),
    ("right 40", {"right_chars": 40}),
    ("right 16", {"right_chars": 16}),
    ("right 120, 6 proposals", {"right_chars": 120, "proposals": 6}),
    ("right 120, 8 proposals (again)", {"right_chars": 120}),
]


def masks(name: str, n_prompts: int, every: int) -> list[InfillRequest]:
    """Every ``every``-th word (from the 2nd) of ``n_prompts`` tuning prompts, one mask each."""
    rows = shipped_set(name)
    out = []
    for r in rows[5::10][:n_prompts]:
        text = r["prompt"]
        start = (r.get("protected") or [[0, 0]])[0][1]  # news: never the protected instruction
        for m in [m for m in re.finditer(r"\w+", text) if m.start() >= start][1::every]:
            out.append(InfillRequest(text, m.start(), m.end(), 6))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fill_cost.md")
    args = ap.parse_args()
    sets = {"mic-style": masks("mic-style", 6, 3), "news": masks("news", 2, 10)}
    lines = ["# Seconds per mask of the `lm` infiller by ranking setting", "",
             "Command: `PROMPTFOIL_THREADS=1 python benchmarks/studies/fill_cost.py` (one llama.cpp thread, one lane, "
             "2-core shared machine; ratios to the first row).", "",
             "| set | masks | setting | s / mask | × first | same first fill | fills in common |",
             "|---|---|---|---|---|---|---|"]
    for name, reqs in sets.items():
        base: list[list[str]] | None = None
        first = 0.0
        for label, kw in SETTINGS:
            inf = LMInfiller(lanes=1, **kw)
            inf.infill(reqs[:1])  # load and warm up outside the timing
            t0 = time.perf_counter()
            got = inf.infill(reqs)
            per = (time.perf_counter() - t0) / len(reqs)
            if base is None:
                base, first = got, per
            same = sum(a[:1] == b[:1] for a, b in zip(got, base))
            common = sum(len(set(a) & set(b)) for a, b in zip(got, base)) / max(1, sum(len(b) for b in base))
            lines.append(f"| {name} | {len(reqs)} | {label} | {per:.2f} | {per / first:.2f} | {same}/{len(reqs)} | {common:.2f} |")
            print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
