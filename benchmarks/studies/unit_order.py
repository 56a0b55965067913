"""CELL-budget's unit order for seeds: ``content-first`` against ``random`` (tuning set).

Runs one arm per call on the ``demo`` set (the set the defaults are tuned on; ``make bench``
reports on ``mic-style`` and ``news``), then ``--render`` compares the arms. Counts are exact
(greedy target, fixed seeds); seconds depend on the machine's load and are not compared.

    python benchmarks/studies/unit_order.py --order random --out benchmarks/studies/results/unit_order_random.json
    python benchmarks/studies/unit_order.py --order content-first --out benchmarks/studies/results/unit_order_content-first.json
    python benchmarks/studies/unit_order.py --render benchmarks/studies/results/unit_order_random.json \\
        benchmarks/studies/results/unit_order_content-first.json          # writes unit_order.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def run(order: str, n: int, seeds: list[int], out: Path) -> None:
    import promptfoil
    from promptfoil.uses.datasets import shipped_set
    from promptfoil.infill.lm import LMInfiller
    from promptfoil.scorers.semantic import SemanticScorer
    from promptfoil.targets.llamacpp import LlamaCppTarget

    rows = shipped_set("demo")
    rows = [rows[i * len(rows) // n] for i in range(n)]
    target, infiller, scorer = LlamaCppTarget(None, max_tokens=32, name="smollm2"), LMInfiller(lanes=1), SemanticScorer()
    res: list[dict[str, Any]] = []
    for seed in seeds:
        ex = promptfoil.Explainer(target=target, infiller=infiller, scorer=scorer, algorithm="cell-budget", budget=40,
                                  split_k=1, threshold=0.8, seed=seed, cache=False, unit_order=order)
        for r in rows:
            t0 = time.perf_counter()
            e = ex.explain(r["prompt"])
            skips = sum(1 for t in e.trace if t.status == "skipped" and t.reason.startswith("not fluent"))
            res.append({"id": r["id"], "seed": seed, "found": e.found, "calls": e.calls.target + e.calls.original,
                        "infills": e.calls.infiller, "secs": round(time.perf_counter() - t0, 1),
                        "fluency_skips": skips, "edits": len(e.edits) if e.found else None})
            print(res[-1], file=sys.stderr, flush=True)
    out.write_text(json.dumps({"order": order, "records": res}, indent=1))


def render(paths: list[Path]) -> str:
    arms = [json.loads(p.read_text()) for p in paths]
    lines = ["# CELL-budget: unit order of the seeds (demo set, tuning)", "",
             f"{len(arms[0]['records'])} explanations per arm: the `demo` set's prompts "
             f"({', '.join(sorted({r['id'] for r in arms[0]['records']}))}) x seeds "
             f"{', '.join(map(str, sorted({r['seed'] for r in arms[0]['records']})))}; embedded models, budget 40, "
             "split_k 1, semantic scorer, δ 0.8, max_tokens 32. Counts are exact (greedy target).", "",
             "| unit order | found | target calls | masks infilled | fluency skips | mean edits (found) |",
             "|---|---|---|---|---|---|"]
    for arm in arms:
        rs = arm["records"]
        found = [r for r in rs if r["found"]]
        lines.append(f"| {arm['order']} | {len(found)}/{len(rs)} | {sum(r['calls'] for r in rs)} | "
                     f"{sum(r['infills'] for r in rs)} | {sum(r['fluency_skips'] for r in rs)} | "
                     f"{sum(r['edits'] for r in found) / max(1, len(found)):.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--order", choices=("content-first", "random"))
    ap.add_argument("-n", type=int, default=6, help="demo prompts, evenly spaced (default 6)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--render", type=Path, nargs="+", metavar="JSON")
    args = ap.parse_args(argv)
    if args.render:
        md = render(args.render)
        (RESULTS / "unit_order.md").write_text(md)
        print(md)
    elif args.order:
        run(args.order, args.n, args.seeds, args.out or RESULTS / f"unit_order_{args.order}.json")
    else:
        ap.error("give --order (run one arm) or --render (compare saved arms)")


if __name__ == "__main__":
    main(sys.argv[1:])
