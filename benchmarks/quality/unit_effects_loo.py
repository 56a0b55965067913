"""Do ``unit_effects`` (read off the trace, no extra call) agree with leave-one-unit-out?

For each prompt: explain it with the embedded models (CELL-budget, split_k 1, δ out of reach so
that the search spends its whole budget), then for every unit with a supported estimate
replace that unit alone by the infiller's first ``--fills`` fills that change it, ask the
target, score against the original answer and average: the unit's leave-one-out score. The
two are compared by sign (the leave-one-out score centred on its mean over the prompt's
units, since ``effect`` is a difference against the other candidates), by Spearman rank
correlation, and by whether the unit with the largest estimate is also the largest
leave-one-out unit.

    PROMPTFOIL_THREADS=1 python benchmarks/quality/unit_effects_loo.py -n 4 --budget 30
Writes benchmarks/quality/results/unit_effects_loo.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from promptfoil import Explainer, InfillRequest, ScoreItem
from promptfoil.search.effects import goalwise
from promptfoil.uses.datasets import shipped_set

OUT = Path(__file__).resolve().parent / "results"


def _text(reply) -> str:
    return reply if isinstance(reply, str) else reply.text


def _ranks(xs: list[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a: list[float], b: list[float]) -> float | None:
    if len(a) < 3:
        return None
    ra, rb = _ranks(a), _ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return None if va == 0 or vb == 0 else cov / (va * vb)


def leave_one_out(ex: Explainer, prompt: str, y0: str, unit, fills: int) -> float | None:
    """Mean goal-wise score of the prompt with only ``unit`` replaced (the infiller's fills)."""
    got = ex.infiller.infill([InfillRequest(prompt, unit.start, unit.end, n=fills + 4)])[0]
    news = [f for f in got if f.strip() and f.strip() != unit.old.strip()][:fills]
    if not news:
        return None
    prompts = [prompt[: unit.start] + f + prompt[unit.end:] for f in news]
    replies = [_text(r) for r in ex.target.generate(prompts)]
    scores = ex.scorer.score([ScoreItem(prompt, y0, p, y) for p, y in zip(prompts, replies)])
    vals = [goalwise(float(s), ex.direction) for s in scores if s is not None]
    return sum(vals) / len(vals) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=4, help="prompts of the shipped demo set")
    ap.add_argument("--budget", type=int, default=30)
    ap.add_argument("--fills", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    ex = Explainer(budget=args.budget, split_k=1, threshold=0.99, max_tokens=args.max_tokens, minimize=False, seed=0)
    rows = []
    for item in shipped_set("demo")[: args.n]:
        t0 = time.perf_counter()
        res = ex.explain(item["prompt"])
        units = [u for u in res.unit_effects if u.supported and u.effect is not None]
        loo = [(u, leave_one_out(ex, res.prompt, res.response, u, args.fills)) for u in units]
        loo = [(u, s) for u, s in loo if s is not None]
        eff, ls = [u.effect for u, _ in loo], [s for _, s in loo]
        mean = sum(ls) / len(ls) if ls else 0.0
        agree = [(e > 0) == (s - mean > 0) for e, s in zip(eff, ls) if e != 0 and s != mean]
        top = max(range(len(eff)), key=lambda i: eff[i]) == max(range(len(ls)), key=lambda i: ls[i]) if ls else None
        rows.append({
            "id": item.get("id"), "prompt": res.prompt, "scored": len([t for t in res.trace if t.score is not None]),
            "units": [{"old": u.old, "effect": u.effect, "n_edited": u.n_edited, "n_other": u.n_other, "loo": s}
                      for u, s in loo],
            "sign_agree": sum(agree), "sign_n": len(agree), "spearman": spearman(eff, ls), "top_unit_agrees": top,
            "seconds": round(time.perf_counter() - t0, 1),
        })
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "units"}), flush=True)
    agree, n = sum(r["sign_agree"] for r in rows), sum(r["sign_n"] for r in rows)
    rhos = [r["spearman"] for r in rows if r["spearman"] is not None]
    total = {"prompts": len(rows), "budget": args.budget, "fills": args.fills, "sign_agree": agree, "sign_n": n,
             "sign_agreement": agree / n if n else None, "mean_spearman": sum(rhos) / len(rhos) if rhos else None,
             "top_unit_agrees": sum(bool(r["top_unit_agrees"]) for r in rows)}
    OUT.mkdir(exist_ok=True)
    (OUT / "unit_effects_loo.json").write_text(json.dumps({"total": total, "prompts": rows}, indent=1) + "\n")
    md = ["| prompt | scored candidates | units | sign agrees | Spearman | top unit agrees |", "|---|---|---|---|---|---|"]
    for r in rows:
        rho = "–" if r["spearman"] is None else f"{r['spearman']:.2f}"
        md.append(f"| {r['prompt']} | {r['scored']} | {len(r['units'])} | {r['sign_agree']}/{r['sign_n']} | {rho} | "
                  f"{'yes' if r['top_unit_agrees'] else 'no'} |")
    sa = "–" if total["sign_agreement"] is None else f"{total['sign_agreement']:.0%}"
    ms = "–" if total["mean_spearman"] is None else f"{total['mean_spearman']:.2f}"
    md.append(f"| **all** | | | **{agree}/{n} ({sa})** | **{ms}** (mean) | **{total['top_unit_agrees']}/{len(rows)}** |")
    (OUT / "unit_effects_loo.md").write_text("\n".join(md) + "\n")
    print(json.dumps(total))


if __name__ == "__main__":
    main()
