"""How well does each verdict reader read a real answer's verdict? Accuracy against blind
hand labels, and cost per answer.

Inputs: ``results/verdict_answers.jsonl`` (real answers, from ``verdict_answers.py``) and
``results/verdict_labels.jsonl`` (``{model, id, label}``, label one of yes / no / depends /
none, written by a rater who never saw a reader's output). Half the questions (``split``
"held") are never used to tune a reader's prompt or settings. Writes
``results/verdict_readers.md`` and ``.json``.

    .venv/bin/python benchmarks/quality/verdict_readers.py --readers judge:qwen-0.5b judge:smollm2 anchors
    .venv/bin/python benchmarks/quality/verdict_readers.py --readers judge:qwen-1.5b --out verdict_readers_15b
    .venv/bin/python benchmarks/quality/verdict_readers.py --merge verdict_readers verdict_readers_15b --out verdict_readers_all
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from promptfoil.backends.chat_factory import chat_backend
from promptfoil.scorers.verdict_readers import AnchorReader, ChatVerdictReader, VerdictReader

HERE = Path(__file__).resolve().parent
RES = HERE / "results"


def make(spec: str, min_mass: float) -> VerdictReader:
    kind, _, rest = spec.partition(":")
    model, _, prompt = rest.partition("@")  # judge:qwen-0.5b@rules
    if kind == "judge":
        return ChatVerdictReader(chat_backend(model=None if model in ("", "smollm2") else model), min_mass=min_mass,
                                 prompt=prompt or "plain")
    if kind == "anchors":
        return AnchorReader()
    raise SystemExit(f"unknown reader {spec}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--readers", nargs="+", default=["judge:qwen-0.5b", "judge:smollm2", "anchors"])
    ap.add_argument("--min-mass", type=float, default=0.5)
    ap.add_argument("--out", default="verdict_readers")
    ap.add_argument("--split", choices=["tune", "held", "both"], default="both",
                    help="read only one half (prompt tuning uses 'tune' only)")
    ap.add_argument("--merge", nargs="+", metavar="NAME",
                    help="no reading: one table (--out) from result files already written (e.g. verdict_readers verdict_readers_15b)")
    args = ap.parse_args()
    if args.merge:
        merged: dict[str, Any] = {"readers": {}}
        for name in args.merge:
            merged["readers"].update(json.loads((RES / f"{name}.json").read_text())["readers"])
        write_table(merged, RES / f"{args.out}.md")
        return
    answers = [json.loads(x) for x in (RES / "verdict_answers.jsonl").read_text().splitlines() if x.strip()]
    labels = {(r["model"], r["id"]): r["label"]
              for r in map(json.loads, (RES / "verdict_labels.jsonl").read_text().splitlines()) if r}
    rows = [a for a in answers if (a["model"], a["id"]) in labels and args.split in ("both", a["split"])]
    report: dict[str, Any] = {"pairs": len(rows), "readers": {}}
    for spec in args.readers:
        reader = make(spec, args.min_mass)
        reader.read([("warm up?", "Yes.")])  # model load is not per-answer cost
        t0 = time.perf_counter()
        reads = reader.read([(a["question"], a["answer"]) for a in rows])
        per = (time.perf_counter() - t0) / max(1, len(rows))
        stats: dict[str, Any] = {"seconds_per_answer": round(per, 3), "by_split": {}, "items": []}
        for split in ("tune", "held"):
            idx = [i for i, a in enumerate(rows) if a["split"] == split]
            ok = sum((reads[i].label if reads[i] else "none") == labels[(rows[i]["model"], rows[i]["id"])] for i in idx)
            unread = sum(reads[i] is None for i in idx)
            stats["by_split"][split] = {"n": len(idx), "correct": ok, "accuracy": round(ok / max(1, len(idx)), 3),
                                        "unreadable": unread}
        for a, r in zip(rows, reads):
            stats["items"].append({"model": a["model"], "id": a["id"], "label": labels[(a["model"], a["id"])],
                                   "read": r.label if r else "none", "probs": r.probs if r else None,
                                   "mass": r.mass if r else None})
        report["readers"][spec] = stats
        print(spec, stats["by_split"], f"{per:.2f} s/answer", flush=True)
    (RES / f"{args.out}.json").write_text(json.dumps(report, indent=1) + "\n")
    write_table(report, RES / f"{args.out}.md")


def clear_verdicts(items: list[dict[str, Any]], splits: dict[tuple[str, str], str], model: str) -> str:
    """Correct reads of the answers a rater labelled plain yes or no, for one answering model."""
    mine = [i for i in items if i["model"] == model and i["label"] in ("yes", "no")]
    parts = []
    for split in ("tune", "held"):
        its = [i for i in mine if splits[(i["model"], i["id"])] == split]
        parts.append(f"{sum(i['read'] == i['label'] for i in its)}/{len(its)}")
    return " · ".join(parts)


def write_table(report: dict[str, Any], path: Path) -> None:
    """The Markdown table: accuracy over all four labels (yes / no / depends / none) per half,
    then on the answers labelled a plain yes or no, per answering model (tune · held)."""
    answers = [json.loads(x) for x in (RES / "verdict_answers.jsonl").read_text().splitlines() if x.strip()]
    splits = {(a["model"], a["id"]): a["split"] for a in answers}
    models = sorted({a["model"] for a in answers})
    lines = ["| reader | tune accuracy | held-out accuracy | " + " | ".join(
                 f"plain yes/no of {m} (tune · held)" for m in models) + " | unreadable (tune/held) | seconds per answer |",
             "|---|---|---|" + "---|" * len(models) + "---|---|"]
    for spec, st in report["readers"].items():
        t, h = st["by_split"]["tune"], st["by_split"]["held"]
        per = " | ".join(clear_verdicts(st["items"], splits, m) for m in models)
        lines.append(f"| {spec} | {t['correct']}/{t['n']} ({t['accuracy']:.0%}) | {h['correct']}/{h['n']} "
                     f"({h['accuracy']:.0%}) | {per} | {t['unreadable']}/{h['unreadable']} | {st['seconds_per_answer']} |")
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
