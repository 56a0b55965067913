"""Are the contrasts worth reading? Blind rating files for one variant of the explainer options.

Runs promptfoil (``promptfoil.Explainer(**options)``) on a prompt set and writes, under
``--out`` (default ``benchmarks/quality/results/usefulness``):

``blind/<id>.md`` and ``blind/<id>.jsonl``
    for a human or LLM rater, named by an opaque run id and naming no option: per prompt the
    original prompt and response, then either "no contrast found" or the contrast prompt and
    response, the edits as ``old → new`` and the score of each edit applied alone (taken from
    the search's trace when it holds a candidate with exactly that one edit, else measured
    with one extra target call and one scorer call, and said so). The rubric
    (``benchmarks/quality/usefulness_rubric.md``) heads the Markdown file.
``machine/<id>.jsonl``
    per prompt: found, number of edits, prompt similarity (MiniLM cosine of the original and
    the contrast prompt), target calls, seconds, skipped candidates, the per-edit scores.
``raw/<id>.jsonl``
    the whole explanation (``Explanation.to_dict()``, trace included) for re-analysis.
``key.json``
    run id -> variant name, options, prompt set, prompt ids, commit(s). Keep it away from raters.
``summary.md`` (``--summary``)
    the machine files side by side, one row per variant (not blind).

Every file names the git commit it ran on (``git rev-parse --short HEAD``, ``+dirty`` when
``src/`` had uncommitted changes). A run resumes: a variant of the same name, set, prompt ids
and options keeps its id and skips prompts already done.

    PROMPTFOIL_THREADS=1 .venv/bin/python benchmarks/quality/usefulness.py --variant t64 --set demo --limit 8
    PROMPTFOIL_THREADS=1 .venv/bin/python benchmarks/quality/usefulness.py --variant t160-sim085 --set demo \\
        --limit 8 --option max_tokens=160 --option min_prompt_similarity=0.85
    .venv/bin/python benchmarks/quality/usefulness.py --summary

The response cache is a private file per run id (``$TMPDIR/promptfoil-usefulness/<id>.sqlite``,
``--cache`` to share one between variants of the same target settings). ``answered`` counts the
candidates the target answered, paid or cached, so it does not depend on the cache; seconds do.
Seconds depend on the machine's load: they say where the time goes, not how fast it is.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "usefulness"
RUBRIC = ROOT / "usefulness_rubric.md"
ARROW = "→"


# -- inputs ------------------------------------------------------------------------------------
def load_set(name: str) -> list[dict[str, Any]]:
    """A shipped set by name (``demo``, ``mic-style``, ...) or a JSONL file of ``{id, prompt}``
    (``question`` stands for ``prompt``, as in ``data/verdict_questions.jsonl``)."""
    path = Path(name)
    if path.suffix == ".jsonl" or path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from promptfoil.uses.datasets import shipped_set

        rows = shipped_set(name)
    for i, r in enumerate(rows):
        r.setdefault("id", f"item-{i + 1:02d}")
        if "prompt" not in r and "question" in r:
            r["prompt"] = r["question"]
    return rows


def parse_value(text: str) -> Any:
    if text.strip()[:1] in ("{", "["):  # component options: infiller_options={"alternatives": "same-kind"}; give_up=[0.3, 0.1]
        return json.loads(text)
    low = text.strip().lower()
    if low in ("none", "null", "off"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_options(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in pairs:
        if "=" not in p:
            raise SystemExit(f"--option needs KEY=VALUE (got {p!r})")
        k, v = p.split("=", 1)
        out[k.strip()] = parse_value(v)
    return out


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--", "../../src") else "")


# -- the key: opaque run id <-> variant --------------------------------------------------------
def read_key(out: Path) -> dict[str, Any]:
    p = out / "key.json"
    return json.loads(p.read_text()) if p.exists() else {}


def run_id(out: Path, variant: str, set_name: str, ids: list[str], options: dict[str, Any], rev: str) -> str:
    key = read_key(out)
    for rid, v in key.items():
        if (v["variant"], v["set"], v["ids"], v["options"]) == (variant, set_name, ids, options):
            if rev not in v["commits"]:
                v["commits"].append(rev)
                (out / "key.json").write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n")
            return rid
    rid = "r" + secrets.token_hex(3)
    while rid in key:
        rid = "r" + secrets.token_hex(3)
    key[rid] = {"variant": variant, "set": set_name, "ids": ids, "options": options, "commits": [rev]}
    (out / "key.json").write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n")
    return rid


# -- one explanation ---------------------------------------------------------------------------
def edit_scores(ex: Any, e: Any) -> tuple[list[dict[str, Any]], float, int]:
    """The score of each edit of the contrast applied alone: from the trace when a candidate
    with exactly that one edit was scored there, else one extra target call + scorer call."""
    from promptfoil.scorers.base import ScoreItem
    from promptfoil.scorers.sentences import scored_text
    from promptfoil.targets.budget import Budget
    from promptfoil.targets.query import QueryStage

    out, seconds, paid = [], 0.0, 0
    for ed in e.edits:
        label = f"{ed.old} {ARROW} {ed.new}"
        alone = [t for t in e.trace if len(t.edits) == 1 and t.edits[0].unit == ed.unit and t.edits[0].new == ed.new]
        scored = [t for t in alone if t.status == "scored" and t.score is not None]
        if scored:
            t = scored[0]
            out.append({"edit": label, "score_alone": round(t.score, 3), "reaches_threshold": t.score >= e.threshold
                        if e.direction == "increase" else None, "source": "trace",
                        "prompt_alone": t.prompt, "response_alone": t.response})
            continue
        why = f"; the search skipped it ({alone[0].reason or alone[0].status})" if alone else "; not tried alone by the search"
        text = e.prompt[: ed.start] + ed.new + e.prompt[ed.end :]
        t0 = time.perf_counter()
        q = QueryStage(ex.target, ex.cache, Budget(calls=None))
        r = q.query([text])[0]
        paid += q.paid
        y0 = scored_text(e.response, e.truncated)
        s = ex.scorer.score([ScoreItem(e.prompt, y0, text, scored_text(r.response or "", r.truncated))])[0]
        seconds += time.perf_counter() - t0
        how = "measured: 1 extra target call + 1 scorer call" if r.paid_by == "budget" else "measured: cached response + 1 scorer call"
        out.append({"edit": label, "score_alone": None if s is None else round(s, 3),
                    "reaches_threshold": None if s is None or e.direction != "increase" else s >= e.threshold,
                    "source": how + why, "prompt_alone": text, "response_alone": r.response})
    return out, seconds, paid


def explain_one(ex: Any, row: dict[str, Any], rev: str) -> dict[str, Any]:
    from promptfoil.backends.embedder import shared_embedder

    e = ex.explain(row["prompt"], protected=row.get("protected", ()))
    sims = None
    scores: list[dict[str, Any]] = []
    extra_s, extra_calls = 0.0, 0
    if e.found and e.contrast_prompt:
        sims = round(shared_embedder().cosine([e.prompt], [e.contrast_prompt])[0], 4)
        scores, extra_s, extra_calls = edit_scores(ex, e)
    skipped = [t for t in e.trace if t.status == "skipped"]
    d = e.to_dict()
    return {
        "prompt_id": row["id"], "commit": rev, "explanation": d, "prompt_similarity": sims,
        "edit_scores": scores, "edit_score_seconds": round(extra_s, 3), "edit_score_target_calls": extra_calls,
        "skipped_not_fluent": sum(1 for t in skipped if t.reason.startswith("not fluent")),
        "skipped_similarity": sum(1 for t in skipped if t.reason.startswith("prompt meaning moved")),
    }


# -- the three views of a raw record -----------------------------------------------------------
def machine_row(r: dict[str, Any]) -> dict[str, Any]:
    d = r["explanation"]
    c = d["calls"]
    return {
        "prompt_id": r["prompt_id"], "commit": r["commit"], "found": d["found"],
        "edits": len(d["edits"]) if d["found"] else None, "prompt_similarity": r["prompt_similarity"],
        "score": d["score"], "threshold": d["threshold"],
        "target_calls": c["target"], "answered": c["target"] + c["cache_hits"] - (1 - c["original"]),
        "minimize_calls": c["minimize"], "original_paid": c["original"],
        "cache_hits": c["cache_hits"], "infiller_calls": c["infiller"], "scorer_calls": c["scorer"],
        "seconds": d["seconds"], "seconds_by_stage": d["seconds_by_stage"], "stop_reason": d["stop_reason"],
        "response_truncated": d["truncated"], "contrast_truncated": d["contrast_truncated"],
        "skipped_not_fluent": r["skipped_not_fluent"], "skipped_similarity": r["skipped_similarity"],
        "edit_scores": [{k: s[k] for k in ("edit", "score_alone", "source")} for s in r["edit_scores"]],
        "edit_score_target_calls": r["edit_score_target_calls"], "edit_score_seconds": r["edit_score_seconds"],
    }


def blind_row(rid: str, n: int, r: dict[str, Any]) -> dict[str, Any]:
    d = r["explanation"]
    row: dict[str, Any] = {"item": f"{rid}-{n:02d}", "prompt_id": r["prompt_id"], "prompt": d["prompt"],
                           "response": d["response"], "response_cut_off": d["truncated"]}
    if not d["found"]:
        row["contrast"] = "no contrast found"
        return row
    row.update({
        "contrast_prompt": d["contrast_prompt"], "contrast_response": d["contrast_response"],
        "contrast_response_cut_off": d["contrast_truncated"],
        "edits": [f"{e['old']} {ARROW} {e['new']}" for e in d["edits"]],
        "contrast_score": round(d["score"], 3), "threshold": d["threshold"],
        "edit_scores": [{"edit": s["edit"], "score_alone": s["score_alone"], "source": blind_source(s["source"])}
                        for s in r["edit_scores"]],
    })
    return row


def blind_source(source: str) -> str:
    """How an edit's score was had, without the settings a skip reason names (blind raters)."""
    head, _, why = source.partition("; ")
    if "not fluent" in why:
        return head + "; the search skipped it (not fluent enough)"
    if "meaning moved" in why:
        return head + "; the search skipped it (prompt meaning moved too far)"
    return source


def quote(text: str | None) -> str:
    return "\n".join("> " + line for line in (text or "").splitlines()) or "> (empty)"


def blind_markdown(rid: str, rows: list[dict[str, Any]], commits: list[str]) -> str:
    lines = [f"# Contrast explanations to rate: run {rid}", "",
             f"Git commit(s): {', '.join(commits)}. {len(rows)} prompts. Score = how far the answer moved: "
             "either its meaning (1 − cosine of sentence embeddings of the two answers) or, for some yes/no "
             "questions, its verdict as a judge model read it (0 = the same yes / no / depends, 1 = a sure "
             "verdict became another); a contrast had to reach the threshold. A cut-off answer stopped at the "
             "length limit; only its complete sentences were scored.",
             "", RUBRIC.read_text(encoding="utf-8").strip(), "", "---", ""]
    for row in rows:
        lines += [f"## {row['item']}", "", "**Prompt:** " + row["prompt"], "",
                  "**Response**" + (" (cut off at the length limit)" if row["response_cut_off"] else "") + ":",
                  quote(row["response"]), ""]
        if "contrast" in row:
            lines += ["**No contrast found.**", "", "Rating (0/1/2): ___", "", "---", ""]
            continue
        lines += ["**Contrast prompt:** " + row["contrast_prompt"], "",
                  "**Contrast response**" + (" (cut off at the length limit)" if row["contrast_response_cut_off"] else "")
                  + ":", quote(row["contrast_response"]), "",
                  f"**Edits:** {'; '.join(row['edits'])} (contrast score {row['contrast_score']:.2f}, "
                  f"threshold {row['threshold']:g})", "", "| edit | score of this edit alone | how |", "|---|---|---|"]
        for s in row["edit_scores"]:
            sc = "n/a" if s["score_alone"] is None else f"{s['score_alone']:.2f}"
            lines.append(f"| {s['edit']} | {sc} | {s['source']} |")
        lines += ["", "Rating (0/1/2): ___", "", "---", ""]
    return "\n".join(lines)


def render(out: Path, rid: str, order: list[str]) -> None:
    raw = read_raw(out, rid)
    recs = [raw[i] for i in order if i in raw]
    commits = sorted({r["commit"] for r in recs})
    (out / "machine").mkdir(parents=True, exist_ok=True)
    (out / "blind").mkdir(parents=True, exist_ok=True)
    with (out / "machine" / f"{rid}.jsonl").open("w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(machine_row(r), ensure_ascii=False) + "\n")
    rows = [blind_row(rid, n, r) for n, r in enumerate(recs, 1)]
    with (out / "blind" / f"{rid}.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({**row, "commit": ", ".join(commits)}, ensure_ascii=False) + "\n")
    (out / "blind" / f"{rid}.md").write_text(blind_markdown(rid, rows, commits), encoding="utf-8")


def read_raw(out: Path, rid: str) -> dict[str, dict[str, Any]]:
    p = out / "raw" / f"{rid}.jsonl"
    if not p.exists():
        return {}
    return {r["prompt_id"]: r for r in (json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line)}


# -- summary (not blind) -----------------------------------------------------------------------
def mean(xs: list[float]) -> float | None:
    return statistics.mean(xs) if xs else None


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "–" if x is None else format(x, spec)


def summary(out: Path) -> str:
    key = read_key(out)
    lines = ["# Usefulness runs: machine summary (not blind)", "",
             "Per variant: flip rate, mean edits and mean prompt similarity (MiniLM cosine of original and contrast "
             "prompt) over found contrasts, contrasts of 2+ edits each of which alone moves the answer less than δ/2 (two edits that "
             "each do little), target calls (candidates the target answered, paid or from the run's cache, minimisation included; "
             "the original prompt not counted) and seconds per explanation (two shared, busy cores: "
             "where the time goes, not a speed claim). Rater files: `blind/<id>.md`.", "",
             "| id | variant | set | commit(s) | options | found | mean edits | mean prompt sim | "
             "2+-edit contrasts whose every edit alone < δ/2 | target calls | calls (not found) | s / expl. |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for rid, v in key.items():
        p = out / "machine" / f"{rid}.jsonl"
        if not p.exists():
            continue
        rows = [json.loads(line) for line in p.read_text().splitlines() if line]
        found = [r for r in rows if r["found"]]
        weak = sum(1 for r in found if r["edits"] >= 2 and all(
            s["score_alone"] is not None and s["score_alone"] < r["threshold"] / 2 for s in r["edit_scores"]))
        multi = sum(1 for r in found if r["edits"] >= 2)
        nf = [r["answered"] for r in rows if not r["found"]]
        opts = ", ".join(f"{k}={val}" for k, val in v["options"].items()) or "defaults"
        lines.append(
            f"| {rid} | {v['variant']} | {v['set']} ({len(rows)}) | {', '.join(v['commits'])} | {opts} | "
            f"{len(found)}/{len(rows)} | {fmt(mean([r['edits'] for r in found]))} | "
            f"{fmt(mean([r['prompt_similarity'] for r in found]), '.3f')} | {weak}/{multi} | "
            f"{fmt(mean([r['answered'] for r in rows]), '.1f')} | {fmt(mean(nf), '.1f')} | "
            f"{fmt(mean([r['seconds'] for r in rows]), '.1f')} |")
    lines += ["", "## What if δ were lower (same runs, read from the traces)", "",
              "A search takes the same steps whatever δ is until a candidate reaches δ (the manual's \"Defaults, by "
              "measurement\"), so each trace tells, for every δ up to the run's own, whether a contrast would have "
              "been found and after how many answered candidates (before minimisation, whose calls are not counted "
              "here). Raters see only the run's own δ.", "",
              "| id | variant | δ | found | answered candidates to the first hit (found) | prompt sim (found) |",
              "|---|---|---|---|---|---|"]
    for rid, v in key.items():
        raw = read_raw(out, rid)
        if not raw:
            continue
        run_delta = next(iter(raw.values()))["explanation"]["threshold"]
        for delta in sorted({0.5, 0.55, run_delta}):
            if delta > run_delta:
                continue
            hits = [h for h in (first_hit(r["explanation"], delta) for r in raw.values()) if h is not None]
            sims = [h[2] for h in hits if h[2] is not None]
            lines.append(f"| {rid} | {v['variant']} | {delta:g} | {len(hits)}/{len(raw)} | "
                         f"{fmt(mean([h[0] for h in hits]), '.1f')} | {fmt(mean(sims), '.3f')} |")
    return "\n".join(lines) + "\n"


def first_hit(d: dict[str, Any], delta: float) -> tuple[int, str, float | None] | None:
    """(answered candidates up to it, prompt, prompt similarity) of the first search candidate
    reaching ``delta`` (direction increase), or None."""
    from promptfoil.backends.embedder import shared_embedder

    answered = 0
    for t in d["trace"]:
        if t["stage"].startswith("minimize") or t["paid_by"] == "none":
            continue
        answered += 1
        if t["status"] == "scored" and t["score"] is not None and t["score"] >= delta:
            sim = shared_embedder().cosine([d["prompt"]], [t["prompt"]])[0]
            return answered, t["prompt"], sim
    return None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", help="a name for these options (goes into key.json only)")
    ap.add_argument("--set", default="demo", help="shipped set name or a JSONL path (default: demo)")
    ap.add_argument("--ids", help="comma-separated prompt ids")
    ap.add_argument("--limit", type=int, help="first N prompts (after --ids)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="explainer option (promptfoil.Explainer keyword), repeatable: max_tokens=160")
    ap.add_argument("--cache", help="response cache file (default: a private file per run id)")
    ap.add_argument("--summary", action="store_true", help="only write summary.md from the machine files")
    a = ap.parse_args(argv)
    out: Path = a.out
    out.mkdir(parents=True, exist_ok=True)
    if a.summary:
        (out / "summary.md").write_text(summary(out), encoding="utf-8")
        print((out / "summary.md").read_text())
        return
    if not a.variant:
        ap.error("--variant is required for a run")
    rows = load_set(a.set)
    if a.ids:
        want = [i.strip() for i in a.ids.split(",") if i.strip()]
        rows = [r for r in rows if r["id"] in want]
    if a.limit:
        rows = rows[: a.limit]
    options = parse_options(a.option)
    rev = commit()
    set_name = a.set if not Path(a.set).exists() else os.path.relpath(Path(a.set).resolve(), ROOT.parents[1])
    ids = [r["id"] for r in rows]
    rid = run_id(out, a.variant, set_name, ids, options, rev)
    cache = a.cache or str(Path(tempfile.gettempdir()) / "promptfoil-usefulness" / f"{rid}.sqlite")
    Path(cache).parent.mkdir(parents=True, exist_ok=True)

    import promptfoil

    ex = promptfoil.Explainer(cache=cache, **options)
    done = read_raw(out, rid)
    (out / "raw").mkdir(parents=True, exist_ok=True)
    print(f"run {rid}: {a.variant} on {set_name} ({len(rows)} prompts), commit {rev}", file=sys.stderr, flush=True)
    for row in rows:
        if row["id"] in done:
            continue
        rec = explain_one(ex, row, rev)
        with (out / "raw" / f"{rid}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        m = machine_row(rec)
        print(f"{rid} {row['id']} found={m['found']} edits={m['edits']} sim={m['prompt_similarity']} "
              f"calls={m['target_calls']} {m['seconds']:.0f}s", file=sys.stderr, flush=True)
        render(out, rid, ids)
    render(out, rid, ids)


if __name__ == "__main__":
    main()
