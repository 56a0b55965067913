"""Choose the fluency margin on one labelled set and report the cut on another.

``tests/data/fluency_labels.jsonl`` holds candidate prompts made by the ``lm`` infiller from
shipped prompts (``benchmarks/quality/fluency_candidates.py``), each labelled by reading it:
``fluent`` (grammatical English a person could have written, whatever its meaning) or
``broken``. For every candidate the drop of its mean token log-likelihood below its
original's is computed with the embedded SmolLM2, the way the search does (the candidates
of one prompt in one batch, branched off the original). A candidate is cut when the drop
exceeds the margin.

The margin is chosen on the ``demo`` rows only (largest F1 of "cut = broken"; among equal
F1, the larger margin, which cuts fewer fluent prompts); precision and recall are then
reported on the ``mic-style`` rows, which played no part in the choice.

    PYTHONPATH=src python benchmarks/quality/fluency_cut.py --out benchmarks/quality/results/fluency_cut.md

With two or more ``--model`` (a GGUF path, or ``smollm2`` for the embedded one), each model
gets its own margin, chosen the same way, and the report compares them: held-out precision
and recall at that margin and at the margin whose tuning recall comes closest to the first
model's, a threshold-free AUC, and the seconds per candidate of the drops themselves, timed
alternately in the same run (best of ``--repeats``) and given as a ratio to the first model,
since other processes share the cores:

    PROMPTFOIL_THREADS=1 PYTHONPATH=src python benchmarks/quality/fluency_cut.py --model smollm2 \
        --model ~/.cache/promptfoil/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \
        --out benchmarks/quality/results/fluency_models.md
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

LABELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "fluency_labels.jsonl"  # shared with the fluency tests


def drops(rows: list[dict], model: str | None = None) -> list[float]:
    """Per row, mean log-likelihood of its original minus the candidate's (nats per token),
    through the fluency constraint's own code (``model``: a GGUF path; None: SmolLM2)."""
    return timed_drops(rows, model)[0]


def timed_drops(rows: list[dict], model: str | None = None) -> tuple[list[float], float]:
    """:func:`drops` and the seconds they took, the model already loaded (a fresh memo)."""
    from promptfoil.search.constraints import fluency_drops
    from promptfoil.infill.likelihood import PromptLikelihood

    lm = PromptLikelihood(None if model in (None, "smollm2") else os.path.expanduser(model))
    _ = (lm.dec, lm.header)  # load outside the clock: a run loads once
    t0 = time.perf_counter()
    d = fluency_drops(lm, [(r["prompt"], r["candidate"]) for r in rows])
    return d, time.perf_counter() - t0


def cut_stats(rows: list[dict], d: list[float], margin: float) -> dict:
    """Precision and recall of "drop > margin" as a detector of broken candidates."""
    tp = sum(1 for r, x in zip(rows, d) if x > margin and r["label"] == "broken")
    fp = sum(1 for r, x in zip(rows, d) if x > margin and r["label"] == "fluent")
    fn = sum(1 for r, x in zip(rows, d) if x <= margin and r["label"] == "broken")
    p = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    return {"margin": margin, "tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": rc, "f1": f1}


def choose(rows: list[dict], d: list[float]) -> dict:
    grid = [round(0.05 * k, 2) for k in range(1, 41)]
    return max((cut_stats(rows, d, m) for m in grid), key=lambda s: (round(s["f1"], 6), s["margin"]))


def auc(rows: list[dict], d: list[float]) -> float:
    """Chance that a broken candidate drops more than a fluent one (ties count half)."""
    bad = [x for r, x in zip(rows, d) if r["label"] == "broken"]
    good = [x for r, x in zip(rows, d) if r["label"] == "fluent"]
    wins = sum((b > g) + 0.5 * (b == g) for b in bad for g in good)
    return wins / max(1, len(bad) * len(good))


def auc_gap(rows: list[dict], d0: list[float], d1: list[float], draws: int = 2000) -> tuple[float, float]:
    """95% interval of AUC(d1) - AUC(d0) over paired bootstrap resamples of ``rows``."""
    import random

    rng = random.Random(0)
    gaps = []
    for _ in range(draws):
        idx = [rng.randrange(len(rows)) for _ in rows]
        sample = [rows[i] for i in idx]
        if len({r["label"] for r in sample}) < 2:
            continue
        gaps.append(auc(sample, [d1[i] for i in idx]) - auc(sample, [d0[i] for i in idx]))
    gaps.sort()
    return gaps[int(0.025 * len(gaps))], gaps[int(0.975 * len(gaps)) - 1]


def at_recall(rows: list[dict], d: list[float], recall: float) -> dict:
    """The largest margin whose recall is still at least ``recall`` (else the closest)."""
    grid = [cut_stats(rows, d, round(0.05 * k, 2)) for k in range(0, 61)]
    ok = [s for s in grid if s["recall"] >= recall - 1e-9]
    return max(ok, key=lambda s: s["margin"]) if ok else min(grid, key=lambda s: abs(s["recall"] - recall))


def _cell(s: dict) -> str:
    return (f"{s['margin']:g} | {s['precision']:.2f} ({s['tp']}/{s['tp'] + s['fp']}) | "
            f"{s['recall']:.2f} ({s['tp']}/{s['tp'] + s['fn']})")


def compare(rows: list[dict], models: list[str], repeats: int) -> str:
    """The comparison report of several models on the same labelled rows."""
    drops_of: dict[str, list[float]] = {}
    secs: dict[str, float] = {m: float("inf") for m in models}
    for _ in range(repeats):  # alternate, so a busy spell on the shared cores hits every model
        for m in models:
            drops_of[m], t = timed_drops(rows, m)
            secs[m] = min(secs[m], t)
    split = {name: [(r, x) for r, x in zip(rows, range(len(rows))) if r["set"] == name] for name in ("demo", "mic-style")}

    def part(m: str, name: str) -> tuple[list[dict], list[float]]:
        return [r for r, _ in split[name]], [drops_of[m][i] for _, i in split[name]]

    base_recall = choose(*part(models[0], "demo"))["recall"]
    n = len(rows)
    lines = [
        f"Labelled candidates: {len(split['demo'])} `demo` (tuning), {len(split['mic-style'])} `mic-style` (held out). "
        f"Margin chosen on `demo` (largest F1), reported on `mic-style`; \"recall-matched\": the largest margin whose "
        f"`demo` recall is at least the first model's ({base_recall:.2f}). Seconds per candidate: the drops of all "
        f"{n} candidates (branched off their originals, as the search batches them), model loaded, "
        f"PROMPTFOIL_THREADS={os.environ.get('PROMPTFOIL_THREADS', 'unset')}, best of {repeats} alternating runs.",
        "",
        "| model | margin (F1 on demo) | held-out precision | held-out recall | margin (recall-matched) | "
        "held-out precision | held-out recall | held-out AUC | AUC minus first's (95% bootstrap) | "
        "s / candidate | cost vs first |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in models:
        best = choose(*part(m, "demo"))
        matched = at_recall(*part(m, "demo"), base_recall)
        held_rows, held_d = part(m, "mic-style")
        lo, hi = auc_gap(held_rows, part(models[0], "mic-style")[1], held_d)
        lines.append(
            f"| {Path(m).name} | {_cell(cut_stats(held_rows, held_d, best['margin']))} | "
            f"{_cell(cut_stats(held_rows, held_d, matched['margin']))} | {auc(held_rows, held_d):.2f} | "
            f"{auc(held_rows, held_d) - auc(held_rows, part(models[0], 'mic-style')[1]):+.2f} ({lo:+.2f} to {hi:+.2f}) | "
            f"{secs[m] / n:.3f} | {secs[m] / secs[models[0]]:.1f}x |")
    lines += ["", "Held-out precision / recall by margin:", "",
              "| margin | " + " | ".join(Path(m).name for m in models) + " |", "|---" * (len(models) + 1) + "|"]
    for mg in (0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.8, 1.0, 1.2, 1.5):
        cells = [cut_stats(*part(m, "mic-style"), mg) for m in models]
        lines.append(f"| {mg:g} | " + " | ".join(f"{c['precision']:.2f} / {c['recall']:.2f}" for c in cells) + " |")
    lines += ["", "Every labelled candidate with its drop under each model (nats per token below the original):", "",
              "| set | label | " + " | ".join(Path(m).name for m in models) + " | candidate |",
              "|---|---" + "|---" * len(models) + "|---|"]
    order = sorted(range(n), key=lambda i: (rows[i]["set"], -drops_of[models[-1]][i]))
    for i in order:
        r = rows[i]
        lines.append(f"| {r['set']} | {r['label']} | " + " | ".join(f"{drops_of[m][i]:.2f}" for m in models)
                     + f" | {r['candidate']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for the model (1 on a busy machine)")
    ap.add_argument("--model", action="append", default=[], metavar="PATH|smollm2",
                    help="GGUF model for the likelihood (repeat to compare; default: the embedded SmolLM2)")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per model when comparing")
    a = ap.parse_args()
    if a.threads:
        os.environ["PROMPTFOIL_THREADS"] = str(a.threads)  # the project's thread setting
    rows = [json.loads(line) for line in a.labels.read_text().splitlines() if line.strip()]
    if len(a.model) > 1:
        text = compare(rows, a.model, a.repeats)
        print(text)
        if a.out:
            a.out.write_text(text)
        return
    d = drops(rows, a.model[0] if a.model else None)
    tune = [(r, x) for r, x in zip(rows, d) if r["set"] == "demo"]
    held = [(r, x) for r, x in zip(rows, d) if r["set"] == "mic-style"]
    best = choose([r for r, _ in tune], [x for _, x in tune])
    lines = [
        f"Labelled candidates: {len(tune)} from `demo` (tuning), {len(held)} from `mic-style` (report); "
        f"broken: {sum(r['label'] == 'broken' for r, _ in tune)} / {sum(r['label'] == 'broken' for r, _ in held)}.",
        "",
        "| set | margin | precision of the cut | recall of the cut | cut fluent (fp) | kept broken (fn) |",
        "|---|---|---|---|---|---|",
    ]
    for name, part in (("demo (tuned here)", tune), ("mic-style (held out)", held)):
        s = cut_stats([r for r, _ in part], [x for _, x in part], best["margin"])
        lines.append(f"| {name} | {best['margin']:g} | {s['precision']:.2f} ({s['tp']}/{s['tp'] + s['fp']}) | "
                     f"{s['recall']:.2f} ({s['tp']}/{s['tp'] + s['fn']}) | {s['fp']} | {s['fn']} |")
    lines += ["", "Margins around the choice, on the held-out set:", "",
              "| margin | precision | recall |", "|---|---|---|"]
    for m in (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        s = cut_stats([r for r, _ in held], [x for _, x in held], m)
        lines.append(f"| {m:g} | {s['precision']:.2f} | {s['recall']:.2f} |")
    lines += ["", "Every labelled candidate with its drop (nats per token below the original):", "",
              "| set | label | drop | candidate |", "|---|---|---|---|"]
    for r, x in sorted(zip(rows, d), key=lambda p: (p[0]["set"], -p[1])):
        lines.append(f"| {r['set']} | {r['label']} | {x:.2f} | {r['candidate']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        a.out.write_text(text)


if __name__ == "__main__":
    main()
