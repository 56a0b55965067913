"""Which search settings cost target calls and mask fills: one variant at a time, promptfoil only.

The settings of ``make bench`` (SmolLM2 through llama.cpp, greedy, max_tokens 32, the ``lm``
infiller with one lane, MiniLM semantic scorer, CELL-budget, split_k 1, seed 0), on a tuning
set of ``mic-style`` prompts that ``make bench`` never uses (mic-006, mic-016, ...), at each δ
given. Each variant changes one thing against ``defaults``:

* ``no-fluency``: ``min_fluency=None`` (the fluency check off);
* ``random-order``: ``unit_order="random"`` (the pseudocode's uniform unit draw);
* ``no-minimize``: ``minimize=False`` (no calls spent undoing edits);
* ``reuse-fills``: each unit filled once in x0's context, the fills reused in edited prompts;
* ``rank-40``: the ``lm`` infiller ranks its proposals over 40 characters right of the mask
  instead of 120;
* ``fast``: ``reuse-fills`` and ``rank-40`` together;
* ``rank-16``: the ranking reads 16 characters right of the mask;
* ``give-up``: ``give_up=(0.5, 0.2)``: stop at half the budget when no candidate is within 0.2 of δ;
* ``reuse+give-up``: both.

Target answers and fills are memoised in memory across variants (both are deterministic);
a memoised answer is still counted as a call, so calls and masks are those of a real run and
only wall time is saved. Seconds per mask are measured once per infiller setting on the
masks it filled for real.

    PYTHONPATH=src .venv/bin/python benchmarks/studies/search_levers.py --thresholds 0.6 0.8
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helper

import promptfoil  # noqa: E402
from promptfoil.infill.lm import LMInfiller  # noqa: E402
from promptfoil.scorers.bleu import BleuSummScorer  # noqa: E402
from promptfoil.scorers.semantic import SemanticScorer  # noqa: E402
from promptfoil.targets.llamacpp import LlamaCppTarget  # noqa: E402
from promptfoil.uses.datasets import shipped_set  # noqa: E402
from common import MemoTarget  # noqa: E402

OUT = Path(__file__).parent / "results"

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-fluency": {"min_fluency": None},
    "random-order": {"unit_order": "random"},
    "no-minimize": {"minimize": False},
    "reuse-fills": {"reuse_fills": True},
    "rank-40": {"right_chars": 40},
    "fast": {"reuse_fills": True, "right_chars": 40},
    "rank-16": {"right_chars": 16},
    "give-up": {"give_up": (0.5, 0.2)},
    "reuse+give-up": {"reuse_fills": True, "give_up": (0.5, 0.2)},
}


class CountedInfiller:
    """Memoised fills (deterministic) that still count every mask asked, and time the real ones."""

    def __init__(self, inner: LMInfiller) -> None:
        self.inner, self.name, self.memo = inner, inner.name, {}
        self.masks = 0
        self.real_masks = 0
        self.real_seconds = 0.0

    def infill(self, requests: Sequence[Any]) -> list[list[str]]:
        self.masks += len(requests)
        todo = [r for r in requests if (r.text, r.start, r.end, r.n) not in self.memo]
        if todo:
            t0 = time.perf_counter()
            got = self.inner.infill(todo)
            self.real_seconds += time.perf_counter() - t0
            self.real_masks += len(todo)
            for r, fills in zip(todo, got):
                self.memo[(r.text, r.start, r.end, r.n)] = fills
        return [self.memo[(r.text, r.start, r.end, r.n)] for r in requests]

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        return self.inner.mean_logprob(texts, reference)


def tuning_prompts(name: str, n: int) -> list[dict[str, Any]]:
    """Every 10th prompt of a shipped set from its 6th on (``make bench`` takes the 1st)."""
    rows = shipped_set(name)
    return [rows[5 + 10 * i] for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8, help="tuning prompts (mic-006, mic-016, ...)")
    ap.add_argument("--set", default="mic-style", choices=["mic-style", "news"],
                    help="tuning prompts of this set (news: BLEU-SUMM scorer, instruction protected)")
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.6, 0.8])
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--out", type=Path, default=OUT / "search_levers")
    args = ap.parse_args()

    target = MemoTarget(LlamaCppTarget(None, max_tokens=args.max_tokens, name="smollm2"), {})
    scorer = SemanticScorer() if args.set == "mic-style" else BleuSummScorer()
    infillers: dict[int, CountedInfiller] = {}
    rows: list[dict[str, Any]] = []
    prompts = tuning_prompts(args.set, args.n)
    t_start = time.perf_counter()
    for name in args.variants:
        opts = dict(VARIANTS[name])
        right = int(opts.pop("right_chars", 120))
        if right not in infillers:
            infillers[right] = CountedInfiller(LMInfiller(lanes=1, right_chars=right))
        inf = infillers[right]
        for delta in args.thresholds:
            ex = promptfoil.Explainer(target=target, infiller=inf, scorer=scorer, algorithm="cell-budget",
                                      budget=args.budget, split_k=1, threshold=delta, seed=0, cache=False, **opts)
            for p in prompts:
                before = inf.masks
                t0 = time.perf_counter()
                r = ex.explain(p["prompt"], protected=[tuple(x) for x in p.get("protected") or []])
                rows.append({
                    "variant": name, "delta": delta, "id": p["id"], "found": r.found,
                    "calls": r.calls.target + 1, "calls_minimize": r.calls.minimize, "masks": inf.masks - before,
                    "edits": len(r.edits) if r.found else None,
                    "edit_distance": r.edit_distance if r.found else None,
                    "skipped_fluency": sum(1 for t in r.trace if t.status == "skipped" and "fluen" in (t.reason or "")),
                    "seconds_memo": round(time.perf_counter() - t0, 2),
                    "best_score": r.score if r.found else (r.best_try.score if r.best_try else None),
                    "stop_reason": r.stop_reason,
                    "contrast_prompt": r.contrast_prompt if r.found else None,
                })
                print(json.dumps(rows[-1]), flush=True)
    per_mask = {right: (inf.real_seconds / inf.real_masks if inf.real_masks else None) for right, inf in infillers.items()}
    args.out.with_suffix(".jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args.out.with_suffix(".md").write_text(render(rows, args, per_mask, time.perf_counter() - t_start))
    print(args.out.with_suffix(".md").read_text())


def _mean(xs: list[float]) -> str:
    xs = [x for x in xs if x is not None]
    return f"{statistics.mean(xs):.2f}" if xs else "–"


def render(rows: list[dict[str, Any]], args: argparse.Namespace, per_mask: dict[int, float | None], secs: float) -> str:
    lines = [
        "# Search levers: target calls and mask fills, one setting at a time", "",
        f"Tuning set: {args.n} {args.set} prompts (the 6th, 16th, ...; never used by `make bench`), "
        f"budget {args.budget}, split_k 1, seed 0, max_tokens {args.max_tokens}, the set's scorer (semantic; BLEU-SUMM for news), "
        "SmolLM2 target and `lm` infiller (one lane). Calls count the original prompt. "
        f"Command: `python benchmarks/studies/search_levers.py --set {args.set} --n {args.n} --thresholds "
        f"{' '.join(str(d) for d in args.thresholds)}`; {secs / 60:.1f} minutes on 2 shared cores.", "",
        "| variant | δ | found | calls / expl. | calls (found) | minimize calls | masks / expl. | edits (found) | edit distance (found) | fluency skips |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r["variant"], r["delta"]) for r in rows}, key=lambda k: (list(VARIANTS).index(k[0]), k[1]))
    for v, d in keys:
        rs = [r for r in rows if r["variant"] == v and r["delta"] == d]
        hit = [r for r in rs if r["found"]]
        lines.append(
            f"| {v} | {d} | {len(hit)}/{len(rs)} | {_mean([r['calls'] for r in rs])} | {_mean([r['calls'] for r in hit])} | "
            f"{_mean([r['calls_minimize'] for r in rs])} | {_mean([r['masks'] for r in rs])} | {_mean([r['edits'] for r in hit])} | "
            f"{_mean([r['edit_distance'] for r in hit])} | {_mean([r['skipped_fluency'] for r in rs])} |"
        )
    lines += ["", "Seconds per mask actually filled (`lm`, one lane, 2 shared cores): "
              + ", ".join(f"right context {k} chars: {v:.2f} s" for k, v in per_mask.items() if v is not None), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
