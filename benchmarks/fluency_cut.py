"""Choose the fluency margin on one labelled set and report the cut on another.

``tests/data/fluency_labels.jsonl`` holds candidate prompts made by the ``lm`` infiller from
shipped prompts (``benchmarks/fluency_candidates.py``), each labelled by reading it:
``fluent`` (grammatical English a person could have written, whatever its meaning) or
``broken``. For every candidate the drop of its mean token log-likelihood below its
original's is computed with the embedded SmolLM2, the way the search does (the candidates
of one prompt in one batch, branched off the original). A candidate is cut when the drop
exceeds the margin.

The margin is chosen on the ``demo`` rows only (largest F1 of "cut = broken"; among equal
F1, the larger margin, which cuts fewer fluent prompts); precision and recall are then
reported on the ``mic-style`` rows, which played no part in the choice.

    PYTHONPATH=src python benchmarks/fluency_cut.py --out benchmarks/results/fluency_cut.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

LABELS = Path(__file__).parent.parent / "tests" / "data" / "fluency_labels.jsonl"


def drops(rows: list[dict]) -> list[float]:
    """Per row, mean log-likelihood of its original minus the candidate's (nats per token),
    through the fluency constraint's own code."""
    from promptfoil.search.constraints import fluency_drops
    from promptfoil.infill.likelihood import PromptLikelihood

    return fluency_drops(PromptLikelihood(), [(r["prompt"], r["candidate"]) for r in rows])


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for the model (1 on a busy machine)")
    a = ap.parse_args()
    if a.threads:
        import os

        os.cpu_count = lambda: a.threads  # type: ignore[assignment]  # llama.cpp's thread count
    rows = [json.loads(line) for line in a.labels.read_text().splitlines() if line.strip()]
    d = drops(rows)
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
