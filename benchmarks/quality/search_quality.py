"""Search quality on the shipped ``mic-style`` prompts, embedded models.

Four configurations on the same prompts, one run each:

* ``log2``: the defaults (CELL-budget, q and inner rounds with log2, --minimize on). The
  contrast before minimisation (``minimized_from``) gives the "without --minimize" numbers.
* ``ln``: the same with the natural log in q and the inner-round count.
* ``contrasts3``: ``log2`` with --contrasts 3.
* ``t0.7``: SmolLM2 sampling at temperature 0.7 with --confirm 5 (10 more calls of budget, the
  calls --confirm keeps for itself): how many contrasts the search found fail re-sampling.

Greedy runs share an in-process memo of target answers and infills: the configurations ask
many of the same prompts, and an answer the memo gives is still paid from the budget, so
calls and results are those of a run without it (only wall time is saved).

    PYTHONPATH=src .venv/bin/python benchmarks/quality/search_quality.py --n 10 --budget 30
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helper

import promptfoil  # noqa: E402
from common import MemoInfiller, MemoTarget  # noqa: E402
from promptfoil.uses.datasets import shipped_set  # noqa: E402
from promptfoil.search.cell_budget import cell_budget  # noqa: E402
from promptfoil.targets.base import targets  # noqa: E402

OUT = Path(__file__).parent / "results"


def explainers(budget: int, max_tokens: int) -> dict[str, promptfoil.Explainer]:
    base = promptfoil.Explainer(budget=budget, max_tokens=max_tokens, cache=False)
    memo: dict[str, Any] = {}
    shared = dict(target=MemoTarget(base.target, memo), infiller=MemoInfiller(base.infiller), scorer=base.scorer,
                  budget=budget, cache=False)
    out = {
        "log2": promptfoil.Explainer(**shared),
        "ln": promptfoil.Explainer(**shared),
        "contrasts3": promptfoil.Explainer(**shared, contrasts=3),
    }
    out["ln"].search = functools.partial(cell_budget, alpha=0.5, max_iters=100, log=math.log)
    sampler = targets.create("smollm2", temperature=0.7, seed=0, max_tokens=max_tokens)
    out["t0.7"] = promptfoil.Explainer(**{**shared, "target": sampler, "budget": budget + 10}, confirm=5)
    return out


def row(name: str, item: dict, r: promptfoil.Explanation, secs: float) -> dict[str, Any]:
    before = r.minimized_from
    c = r.calls
    return {
        "config": name, "id": item["id"], "prompt": item["prompt"], "found": r.found,
        "found_by_search": r.found or r.stop_reason.startswith("threshold reached"),
        "edits": len(r.edits), "edit_distance": r.edit_distance,
        "edits_before": len(before.edits) if before else len(r.edits),
        "edit_distance_before": before.edit_distance if before else r.edit_distance,
        "calls": c.target, "calls_minimize": c.minimize, "calls_confirm": c.confirm,
        "calls_search": c.target - c.minimize - c.confirm, "contrasts": len(r.contrasts),
        "stability": r.stability, "noise_band": r.noise_band, "stop_reason": r.stop_reason,
        "notes": list(r.notes), "seconds": round(secs, 1),
    }


def _mean(xs: list[float]) -> float | None:
    return round(statistics.mean(xs), 3) if xs else None


def summarise(rows: list[dict]) -> dict[str, Any]:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["config"], []).append(r)
    s: dict[str, Any] = {}
    for name, rs in by.items():
        hit = [r for r in rs if r["found_by_search"]]
        s[name] = {
            "prompts": len(rs), "found_by_search": len(hit), "found": sum(r["found"] for r in rs),
            "flip_rate": round(len(hit) / len(rs), 3),
            "search_calls_mean": _mean([r["calls_search"] for r in rs]),
            "search_calls_mean_found": _mean([r["calls_search"] for r in hit]),
            "edits_before_mean": _mean([r["edits_before"] for r in hit]),
            "edits_after_mean": _mean([r["edits"] for r in hit if r["found"]]),
            "edit_distance_before_mean": _mean([r["edit_distance_before"] for r in hit]),
            "edit_distance_after_mean": _mean([r["edit_distance"] for r in hit if r["found"]]),
            "minimize_calls_mean": _mean([r["calls_minimize"] for r in hit]),
            "shrunk": sum(r["edits"] < r["edits_before"] for r in hit if r["found"]),
            "contrasts_per_found": [r["contrasts"] for r in hit],
            "seconds_mean": _mean([r["seconds"] for r in rs]),
        }
        if name == "t0.7":
            s[name]["failed_confirm"] = sum(not r["found"] for r in hit)
            s[name]["stability"] = [r["stability"] for r in hit]
            s[name]["noise_band"] = [r["noise_band"] for r in hit]
            s[name]["confirm_calls_mean"] = _mean([r["calls_confirm"] for r in hit])
    if "log2" in by and "contrasts3" in by:
        base = {r["id"]: r["calls"] for r in by["log2"]}
        s["contrasts3"]["extra_calls_mean"] = _mean([r["calls"] - base[r["id"]] for r in by["contrasts3"] if r["id"] in base])
    return s


def markdown(s: dict[str, Any], args: argparse.Namespace) -> str:
    a, ln = s.get("log2", {}), s.get("ln", {})
    lines = [
        "# Search quality on mic-style", "",
        f"Embedded models (SmolLM2-135M target, lm infiller, MiniLM semantic scorer, default δ), "
        f"{a.get('prompts')} mic-style prompts (every {args.every}th), budget {args.budget}, max_tokens "
        f"{args.max_tokens}, seed 0, one run, 2 shared CPU cores.", "",
        "## --minimize (log2 run; 'before' is the contrast the search found)", "",
        "| | edits | edit distance |", "|---|---|---|",
        f"| before (--no-minimize) | {a.get('edits_before_mean')} | {a.get('edit_distance_before_mean')} |",
        f"| after (--minimize) | {a.get('edits_after_mean')} | {a.get('edit_distance_after_mean')} |", "",
        f"Contrasts shrunk: {a.get('shrunk')} of {a.get('found_by_search')}; minimisation cost "
        f"{a.get('minimize_calls_mean')} calls per contrast on average.", "",
        "## ln vs log2 in q and the inner-round count (search only, before minimisation)", "",
        "| log | flip rate | calls (all) | calls (found) | edits | edit distance |", "|---|---|---|---|---|---|",
    ]
    for name, r in (("log2", a), ("ln", ln)):
        lines.append(f"| {name} | {r.get('flip_rate')} | {r.get('search_calls_mean')} | "
                     f"{r.get('search_calls_mean_found')} | {r.get('edits_before_mean')} | {r.get('edit_distance_before_mean')} |")
    t = s.get("t0.7", {})
    c = s.get("contrasts3", {})
    lines += [
        "", "## temperature 0.7, --confirm 5", "",
        f"Found by the search: {t.get('found_by_search')} of {t.get('prompts')}; failed --confirm 5: "
        f"{t.get('failed_confirm')}. Stability per found contrast: {t.get('stability')}; noise band: {t.get('noise_band')}; "
        f"search calls {t.get('search_calls_mean')} per prompt, --confirm calls {t.get('confirm_calls_mean')} per found contrast.",
        "", "## --contrasts 3", "",
        f"Contrasts per prompt with a contrast: {c.get('contrasts_per_found')}; extra calls over a single "
        f"contrast: {c.get('extra_calls_mean')} on average (prompts: {c.get('prompts')}).", "",
        args.note, "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--every", type=int, default=10, help="take every Nth mic-style prompt (default: %(default)s)")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--budget", type=int, default=30)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--configs", nargs="*", default=["log2", "ln", "contrasts3", "t0.7"])
    ap.add_argument("--out", type=Path, default=OUT / "search_quality")
    ap.add_argument("--merge", type=Path, nargs="*", default=[], help="rows of other runs (.jsonl) for the summary")
    ap.add_argument("--summary-only", action="store_true", help="summarise the rows on disk, run nothing")
    ap.add_argument("--note", default="", help="free text added to the markdown (how the runs were made)")
    args = ap.parse_args()
    items = shipped_set("mic-style")[:: args.every][: args.n]
    log = args.out.with_suffix(".jsonl")
    # A row is reused only when it was made with the same settings: a resumed run must not mix
    # rows of another budget or response length into its tables.
    settings = {"budget": args.budget, "max_tokens": args.max_tokens}
    done = {}
    for path in [*args.merge, log]:
        if path.exists():
            rows_on_disk = map(json.loads, path.read_text().splitlines())
            done.update({(r["config"], r["id"]): r for r in rows_on_disk
                         if all(r.get(k) == v for k, v in settings.items())})
    exs: dict[str, promptfoil.Explainer] = {}
    for name in args.configs:
        for i, item in enumerate(items, 1):
            if (name, item["id"]) in done or args.summary_only:
                continue
            exs = exs or explainers(args.budget, args.max_tokens)
            t0 = time.perf_counter()
            r = exs[name].explain(item["prompt"])
            rec = row(name, item, r, time.perf_counter() - t0) | settings
            done[(name, item["id"])] = rec
            with log.open("a") as fh:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            print(f"{name} {i}/{len(items)} found={rec['found']} edits={rec['edits_before']}->{rec['edits']} "
                  f"calls={rec['calls']} {rec['seconds']}s", flush=True)
    rows = [r for r in done.values() if r["config"] in args.configs]
    s = summarise(rows)
    args.out.with_suffix(".json").write_text(json.dumps(s, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(s, args))
    print(markdown(s, args))


if __name__ == "__main__":
    main()
