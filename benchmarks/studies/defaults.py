"""Measure the defaults (threshold, split_k, max_tokens, budget) on the shipped prompts.

The search makes the same choices whatever δ is until a candidate reaches δ, so one run with
an unreachable threshold records, for every δ, whether a contrast would have been found and
after how many target calls. Seconds are estimated by the share of calls (the run's own
wall time split evenly across its calls).

    .venv/bin/python benchmarks/studies/defaults.py --out benchmarks/studies/results/defaults.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import promptfoil
from promptfoil.uses.datasets import shipped_prompts

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def run(name: str, config: dict, prompts: list[str], budget: int, log: Path) -> list[dict]:
    """One row per prompt, appended to ``log`` as it finishes; finished rows are reused."""
    done = {}
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line)
            if row["config"] == name and row["budget"] == budget:
                done[row["prompt"]] = row
    ex = promptfoil.Explainer(budget=budget, threshold=2.0, cache=False, **config)
    rows = []
    for p in prompts:
        if p not in done:
            t = time.perf_counter()
            r = ex.explain(p)
            secs = time.perf_counter() - t
            scored = [(t.score, len(t.edits)) for t in r.trace if t.score is not None]
            done[p] = {"config": name, "budget": budget, "prompt": p, "scores": scored,
                       "seconds": secs, "calls": r.calls.target}
            with log.open("a") as fh:
                fh.write(json.dumps(done[p]) + "\n")
            print(f"{name}: {len(rows) + 1}/{len(prompts)} {secs:.0f}s", flush=True)
        rows.append(done[p])
    return rows


def summarise(rows: list[dict], delta: float) -> dict:
    found, calls, secs, edits = 0, [], [], []
    for r in rows:
        hit = next((i for i, (s, _) in enumerate(r["scores"]) if s >= delta), None)
        n = (hit + 1) if hit is not None else r["calls"]
        found += hit is not None
        calls.append(n)
        secs.append(r["seconds"] * n / max(1, r["calls"]))
        if hit is not None:
            edits.append(r["scores"][hit][1])
    return {
        "found": found, "n": len(rows), "calls": statistics.mean(calls),
        "seconds": statistics.mean(secs), "edits": statistics.mean(edits) if edits else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=12, help="shipped prompts to use")
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--log", type=Path, default=Path("benchmarks/studies/results/defaults.jsonl"),
                    help="per-prompt results, appended as they finish (a re-run resumes)")
    ap.add_argument("--configs", default="all", help="comma-separated config numbers (1-based) or 'all'")
    args = ap.parse_args()
    prompts = [p["prompt"] for p in shipped_prompts()[: args.n]]
    configs = {
        "cell-budget, split_k=1, max_tokens=64": dict(algorithm="cell-budget", split_k=1, max_tokens=64),
        "cell-budget, split_k=2, max_tokens=64": dict(algorithm="cell-budget", split_k=2, max_tokens=64),
        "cell-budget, split_k=1, max_tokens=32": dict(algorithm="cell-budget", split_k=1, max_tokens=32),
        "cell, split_k=1, max_tokens=64": dict(algorithm="cell", split_k=1, max_tokens=64),
    }
    lines = [
        f"Shipped prompts: {len(prompts)}; budget {args.budget}; semantic scorer; target smollm2; "
        "infiller lm; seed 0.", "",
        "| configuration | δ | found | mean calls | mean edits (found) | mean seconds |",
        "|---|---|---|---|---|---|",
    ]
    chosen = list(configs) if args.configs == "all" else [list(configs)[int(i) - 1] for i in args.configs.split(",")]
    for name in chosen:
        rows = run(name, configs[name], prompts, args.budget, args.log)
        for d in THRESHOLDS:
            s = summarise(rows, d)
            lines.append(f"| {name} | {d} | {s['found']}/{s['n']} | {s['calls']:.1f} | {s['edits']:.2f} | {s['seconds']:.1f} |")
        print("\n".join(lines[-len(THRESHOLDS):]), flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
