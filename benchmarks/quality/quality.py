"""Are the contrasts the default ``explain`` finds worth reading? Before and after.

Two steps.

``run`` explains the first N prompts of the shipped ``mic-style`` set with the default
pipeline (embedded SmolLM2 target, ``lm`` infiller, ``semantic`` scorer, CELL-budget, budget
40) and appends one result per line (resumable). It uses whichever promptfoil is on the
path, so the "before" arm runs the code of the main branch exported to a folder:

    git archive cd36f32 src | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/src python benchmarks/quality/quality.py run --arm before -n 12
    PYTHONPATH=src             python benchmarks/quality/quality.py run --arm after  -n 12

``summarise`` (current code) reads both arms and the hand ratings
(``benchmarks/quality/results/quality_ratings.json``: per arm and prompt id, whether the contrast
prompt is fluent English and a 0-2 rating, 2 = a minimal fluent edit and a difference a
user cares about) and writes ``benchmarks/quality/results/quality.md``. The "before" code did not
mark truncated responses, so its contrast responses are asked again of the current target
(which marks them; greedy decoding gives the same text), and its found contrasts are
re-scored on complete sentences to count how many truncation handling would change.

    PYTHONPATH=src python benchmarks/quality/quality.py summarise

``similarity`` explains two prompts with and without ``--min-prompt-similarity`` (reusing the
"after" arm's response cache) and writes ``benchmarks/quality/results/quality_similarity.md``.

On a busy two-core machine pass ``--threads 1``: llama.cpp with two threads there spends most
of its time waiting at barriers (measured here: about five times slower).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def run(arm: str, n: int, out: Path, cache: Path) -> None:
    import promptfoil
    from promptfoil.uses.datasets import shipped_set

    done = set()
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    ex = promptfoil.Explainer(budget=40, cache=str(cache))
    for row in shipped_set("mic-style")[:n]:
        if row["id"] in done:
            continue
        d = {"id": row["id"], "arm": arm, **ex.explain(row["prompt"]).to_dict()}
        with out.open("a") as fh:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        print(f"{arm} {row['id']} found={d['found']} calls={d['calls']['target']} {d['seconds']:.0f}s", flush=True)


def limit_threads(n: int | None) -> None:
    """llama.cpp takes its thread count from ``os.cpu_count()``; on a shared, busy machine
    one thread per model avoids threads spinning at barriers while the other is descheduled."""
    if n:
        import os

        import torch

        os.cpu_count = lambda: n  # type: ignore[assignment]
        torch.set_num_threads(n)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def candidate_queries(d: dict) -> int:
    """Candidates the target answered, paid or from the cache (the original not counted)."""
    c = d["calls"]
    return c["target"] + c["cache_hits"] - (1 - c["original"])


def recheck(rows: list[dict]) -> dict[str, dict]:
    """For the "before" arm: is each contrast response truncated (asked again of the current
    target), and does the contrast still reach δ when both responses are scored on their
    complete sentences?"""
    from promptfoil.build import build_scorer, build_target
    from promptfoil.config import Config
    from promptfoil.scorers.base import ScoreItem
    from promptfoil.scorers.sentences import scored_text

    cfg = Config()
    target, scorer = build_target(cfg), build_scorer(cfg)
    out = {}
    for d in rows:
        if not d["found"]:
            continue
        r0, rc = target.generate([d["prompt"], d["contrast_prompt"]])
        assert (r0.text, rc.text) == (d["response"], d["contrast_response"]), d["id"]
        s = scorer.score([ScoreItem(d["prompt"], scored_text(r0.text, r0.truncated), d["contrast_prompt"],
                                    scored_text(rc.text, rc.truncated))])[0]
        out[d["id"]] = {"truncated": r0.truncated or rc.truncated, "complete_score": s,
                        "still_found": s >= d["threshold"]}
    return out


def table(name: str, rows: list[dict], ratings: dict, truncated: dict[str, bool]) -> dict:
    found = [d for d in rows if d["found"]]
    rated = [ratings[d["id"]] for d in rows if d["id"] in ratings]
    return {
        "arm": name,
        "prompts": len(rows),
        "found": len(found),
        "fluent": sum(1 for d in found if ratings.get(d["id"], {}).get("fluent")),
        "truncated": sum(1 for d in found if truncated.get(d["id"])),
        "mean_edits": statistics.mean(len(d["edits"]) for d in found) if found else 0.0,
        "mean_queries": statistics.mean(candidate_queries(d) for d in rows),
        "rating": sum(r["rating"] for r in rated),
        "rated": len(rated),
    }


def summarise(before: Path, after: Path, ratings_path: Path, out: Path) -> None:
    b, a = _read(before), _read(after)
    ratings = json.loads(ratings_path.read_text()) if ratings_path.exists() else {"before": {}, "after": {}}
    check = recheck(b)
    tb = table("before", b, ratings["before"], {k: v["truncated"] for k, v in check.items()})
    ta = table("after", a, ratings["after"], {d["id"]: d["truncated"] or d["contrast_truncated"] for d in a if d["found"]})
    lines = [
        f"mic-style, first {len(b)} prompts; embedded SmolLM2 target (greedy, 64 tokens), lm infiller, "
        "semantic scorer (δ 0.6), CELL-budget, budget 40, seed 0. Before: main at cd36f32; after: main "
        "at e917784, with the quality checks (fluency check on, margin 0.55; complete-sentence scoring); both with "
        "one llama.cpp thread (--threads 1). Fluency and ratings read by hand "
        "(benchmarks/quality/results/quality_ratings.json).",
        "",
        "| arm | flip rate | fluent contrast prompts | truncated contrasts | mean edits (found) | "
        "mean target queries | rating (0-2 each) |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in (tb, ta):
        f = max(1, t["found"])
        lines.append(
            f"| {t['arm']} | {t['found']}/{t['prompts']} | {t['fluent']}/{t['found']} ({100 * t['fluent'] / f:.0f}%) | "
            f"{t['truncated']}/{t['found']} ({100 * t['truncated'] / f:.0f}%) | {t['mean_edits']:.2f} | "
            f"{t['mean_queries']:.1f} | {t['rating']}/{2 * t['rated']} |"
        )
    changed = [k for k, v in check.items() if not v["still_found"]]
    by_b = {d["id"]: d for d in b}
    moved = [v["complete_score"] - by_b[k]["score"] for k, v in check.items()]
    lines += [
        "",
        "Target queries count every candidate the target answered (paid, or served by the arm's own "
        "response cache), not the original prompt.",
        "",
        f"Truncation: of the {len(check)} contrasts the before arm found, {sum(v['truncated'] for v in check.values())} "
        f"had a cut-off response; scored on complete sentences, {len(changed)} no longer reach δ"
        + (f" ({', '.join(changed)})" if changed else "")
        + (f" (scores moved by {min(moved):+.2f} to {max(moved):+.2f}, mean {statistics.mean(moved):+.2f})." if moved else "."),
        "",
        "| id | before: contrast prompt | rating | after: contrast prompt | rating |",
        "|---|---|---|---|---|",
    ]
    by_a = {d["id"]: d for d in a}
    for d in b:
        x = by_a.get(d["id"], {})
        rb, ra = ratings["before"].get(d["id"], {}), ratings["after"].get(d["id"], {})
        cb = d["contrast_prompt"] if d["found"] else "(none)"
        ca = x.get("contrast_prompt") if x.get("found") else "(none)"
        lines.append(f"| {d['id']} | {cb} | {rb.get('rating', '')} | {ca} | {ra.get('rating', '')} |")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def similarity(ids: list[str], tau: float, cache: Path, out: Path) -> None:
    """The default explanation and the one with ``--min-prompt-similarity tau``, side by side."""
    import promptfoil
    from promptfoil.uses.datasets import shipped_set

    rows = {r["id"]: r for r in shipped_set("mic-style")}
    lines = [f"`--min-prompt-similarity {tau}` (MiniLM cosine of the prompts), embedded models, budget 40, seed 0.", ""]
    for i in ids:
        p = rows[i]["prompt"]
        lines.append(f"**{i}**: {p}")
        for label, opts in (("default", {}), (f"τ = {tau}", {"min_prompt_similarity": tau})):
            d = promptfoil.explain(p, budget=40, cache=str(cache), **opts)
            skipped = sum(1 for t in d.trace if t.reason.startswith("prompt meaning moved"))
            lines.append(f"- {label}: found={d.found}, score={d.score:.2f}, edits={len(d.edits)}, "
                         f"{skipped} candidate(s) skipped as too far in meaning; contrast: {d.contrast_prompt!r}; "
                         f"response: {(d.contrast_response or '')[:140]!r}...")
        lines.append("")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--arm", required=True)
    r.add_argument("-n", type=int, default=12)
    r.add_argument("--cache", type=Path, default=None)
    r.add_argument("--threads", type=int, default=None, help="CPU threads for the models (1 on a busy machine)")
    s = sub.add_parser("summarise")
    s.add_argument("--out", type=Path, default=RESULTS / "quality.md")
    m = sub.add_parser("similarity")
    m.add_argument("--ids", nargs="+", default=["mic-005", "mic-008"])
    m.add_argument("--tau", type=float, default=0.85)
    m.add_argument("--threads", type=int, default=None)
    s.add_argument("--threads", type=int, default=None, help="CPU threads for the models (1 on a busy machine)")
    a = ap.parse_args()
    if a.cmd == "run":
        limit_threads(a.threads)
        cache = a.cache or Path("/tmp") / f"promptfoil-quality-{a.arm}.sqlite"
        run(a.arm, a.n, RESULTS / f"quality_{a.arm}.jsonl", cache)
    elif a.cmd == "similarity":
        limit_threads(a.threads)
        similarity(a.ids, a.tau, Path("/tmp/promptfoil-quality-after.sqlite"), RESULTS / "quality_similarity.md")
    else:
        limit_threads(a.threads)
        summarise(RESULTS / "quality_before.jsonl", RESULTS / "quality_after.jsonl",
                  RESULTS / "quality_ratings.json", a.out)


if __name__ == "__main__":
    main()
