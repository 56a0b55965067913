"""What the give-up rule (``--give-up SHARE:MARGIN``) would have cost and saved, replayed on traces.

A CELL-budget search takes the same steps with or without the rule until the rule stops it
(the rule is checked only at the start of an outer iteration ``t``, on what was scored
before), so a full run's trace tells exactly where the rule would have stopped: at the first
``budget:tN-j1`` step (N >= 2) where SHARE of the budget was paid and no score had come within
MARGIN of δ. Counted per explanation: whether a contrast found without the rule is lost,
and how many paid target calls the rule saves. Reads the usefulness loop's raw files
(``benchmarks/quality/results/usefulness/raw/*.jsonl``: whole explanations, traces included).

    python benchmarks/studies/give_up_replay.py benchmarks/quality/results/usefulness/raw/*.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

STAGE = re.compile(r"budget:t(\d+)-j1$")


def replay(ex: dict[str, Any], share: float, margin: float, budget: int) -> tuple[bool, int]:
    """(found before the rule stops, paid calls until then) for one explanation's trace."""
    delta = float(ex["threshold"])
    paid, best, started = 0, None, set()
    for t in ex["trace"]:
        m = STAGE.match(t.get("stage") or "")
        if m and int(m.group(1)) not in started:
            started.add(int(m.group(1)))
            if int(m.group(1)) > 1 and paid >= share * budget and (best is None or best < delta - margin):
                return False, paid
        if t["status"] == "scored":
            paid += t["paid_by"] != "none"
            best = t["score"] if best is None else max(best, t["score"])
            if t["score"] >= delta:
                return True, paid
    return False, paid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--budget", type=int, default=40, help="the runs' call budget (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "give_up_replay.md")
    args = ap.parse_args()
    runs = [json.loads(line)["explanation"] for f in args.files for line in f.read_text().splitlines() if line.strip()]
    runs = [r for r in runs if r.get("direction", "increase") == "increase" and r.get("trace")]
    lines = [
        "# The give-up rule replayed on the usefulness loop's traces", "",
        f"{len(runs)} explanations from {', '.join(f.name for f in args.files)} (budget {args.budget}, "
        "δ as each run had it). Command: `python benchmarks/studies/give_up_replay.py "
        + " ".join(str(f) for f in args.files) + "`.", "",
        "| share | margin | found without the rule | lost by the rule | paid calls saved (all runs) |",
        "|---|---|---|---|---|",
    ]
    for share in (0.25, 0.5):
        for margin in (0.1, 0.2, 0.3):
            found = lost = saved = 0
            for ex in runs:
                ok0, paid0 = replay(ex, 1.0, float("inf"), args.budget)
                ok, paid = replay(ex, share, margin, args.budget)
                found += ok0
                lost += ok0 and not ok
                saved += paid0 - paid
            lines.append(f"| {share} | {margin} | {found} | {lost} | {saved} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
