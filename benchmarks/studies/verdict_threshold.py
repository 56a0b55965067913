"""Which δ for the verdict definition? Replayed on a rating-loop run's traces, no rater needed.

A search takes the same steps whatever δ is until a candidate reaches δ, so a run at the
default δ 0.5 tells, for every lower δ, whether and after how many answered candidates a
contrast would have been found. Whether such a contrast is a *flip* is read from the judge:
the contrast's most likely verdict differs from the original's (the reads are made again on
the same answers; the reader is deterministic). The δ to pick is the lowest at which found
contrasts still flip the label, measured on the verdict questions' tuning half only.

Also replays the give-up rule (``--give-up SHARE:MARGIN``) at δ 0.4 and 0.5 on the same traces.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

from promptfoil.codec.jsonl import objects  # noqa: E402
from promptfoil.scorers.sentences import scored_text  # noqa: E402
from promptfoil.scorers.verdict import VerdictScorer, make_reader  # noqa: E402

DELTAS = (0.3, 0.35, 0.4, 0.45, 0.5)
GIVE_UP = ((0.25, 0.1), (0.25, 0.2), (0.3, 0.1), (0.4, 0.1), (0.5, 0.1), (0.5, 0.2), (0.6, 0.05),
           (0.3, 0.1, 0.25), (0.3, 0.1, 0.3), (0.3, 0.1, 0.35))


def first_hit(trace: list[dict], delta: float) -> tuple[int, dict] | None:
    """(answered candidates up to and including the hit, the hit) of the search's own steps."""
    n = 0
    for t in trace:
        if t["stage"].startswith("minimize") or t["status"] == "skipped":
            continue
        n += 1
        if t.get("score") is not None and t["score"] >= delta:
            return n, t
    return None


def paid_until(trace: list[dict], budget: int, give_up: tuple[float, ...] | None, delta: float) -> tuple[bool, int]:
    """Found, and budgeted calls paid, under the give-up rule (None: off), checked where
    cell-budget checks it: before each outer round (the ``tN`` of a stage ``budget:tN-jM``);
    the stall part counts candidates scored since the best."""
    share, margin, stall = (*(give_up or (math.inf, 0.0)), math.inf)[:3]
    paid, best, round_, scored, best_at = 0, 0.0, None, 0, 0
    for t in trace:
        if t["stage"].startswith("minimize") or t["status"] == "skipped":
            continue
        this = t["stage"].split("-")[0]
        if this != round_:
            round_ = this
            if paid >= share * budget and (best < delta - margin or scored - best_at >= stall * budget):
                return False, paid
        paid += t.get("paid_by") == "budget"
        if t.get("score") is not None:
            scored += 1
            if t["score"] > best:
                best, best_at = t["score"], scored
            if t["score"] >= delta:
                return True, paid
    return False, paid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="a rating-loop raw file (benchmarks/quality/results/usefulness/raw/<id>.jsonl)")
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--out", type=Path, default=common.results("studies") / "verdict_threshold.md")
    a = ap.parse_args()
    items = [row for _, row in objects(a.run, "rating-loop run")]
    verdict = [r for r in items if r["explanation"]["scorer"] == "verdict"]
    scorer = VerdictScorer(make_reader())
    lines = [f"# The verdict definition's δ, replayed on `{a.run.name}`", "",
             f"`python benchmarks/studies/verdict_threshold.py {a.run}`: {len(items)} questions, {len(verdict)} "
             "explained by the verdict definition (the others: `auto` chose `semantic`, not counted).", "",
             "| δ | found | label flipped (of found) | answered candidates to the hit (mean) |", "|---|---|---|---|"]
    for delta in DELTAS:
        found = flipped = steps = 0
        for r in verdict:
            e = r["explanation"]
            hit = first_hit(e["trace"], delta)
            if hit is None:
                continue
            found += 1
            steps += hit[0]
            t = hit[1]
            y0 = scored_text(e["response"], bool(e.get("truncated")))
            yc = scored_text(t["response"], bool(t.get("truncated")))
            a0, ac = scorer.read([(e["prompt"], y0), (t["prompt"], yc)])
            flipped += bool(a0 and ac and a0.label != ac.label)
        lines.append(f"| {delta:g} | {found}/{len(verdict)} | {flipped}/{found} | {steps / max(1, found):.1f} |")
    lines += ["", "The give-up rule (budgeted calls, search steps only; checked before each outer round, as "
              "cell-budget does):", "",
              "| δ | share:margin | found | calls paid (all questions) |", "|---|---|---|---|"]
    for delta in (0.4, 0.5):
        for rule in (None, *GIVE_UP):
            got = [paid_until(r["explanation"]["trace"], a.budget, rule, delta) for r in verdict]
            name = "off" if rule is None else ":".join(f"{x:g}" for x in rule)
            lines.append(f"| {delta:g} | {name} | {sum(f for f, _ in got)}/{len(verdict)} | {sum(p for _, p in got)} |")
    a.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
