"""Candidate prompts for the fluency labelled set, made the way a search makes them.

For each of the first N prompts of a shipped set, the ``lm`` infiller (embedded SmolLM2)
refills a few units drawn by a seeded RNG; candidates are single edits at a drawn rank of
the infiller's list and double edits (two refilled units), as CELL-budget makes them. The
output (one JSON object per line, no label) is read and labelled by hand into
``tests/data/fluency_labels.jsonl``.

    PYTHONPATH=src python benchmarks/quality/fluency_candidates.py --set demo -n 12 --out /tmp/demo_cands.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from promptfoil.uses.datasets import shipped_set
from promptfoil.infill.base import InfillRequest
from promptfoil.infill.lm import LMInfiller
from promptfoil.search.space import PromptSpace
from promptfoil.prompt.segment import segment


def candidates(prompt: str, infiller: LMInfiller, rng: random.Random, singles: int, doubles: int) -> list[dict]:
    space = PromptSpace(prompt, segment(prompt, 1, []))
    units = rng.sample(range(space.n_units), min(space.n_units, singles + 2))
    fills: dict[int, list[str]] = {}
    reqs = [InfillRequest(prompt, *space.span({}, u), 6) for u in units]
    for u, got in zip(units, infiller.infill(reqs)):
        fills[u] = got
    out, seen = [], {prompt}
    for u in units[:singles]:
        if fills[u]:
            text = space.render({u: rng.choice(fills[u])})
            if text not in seen:
                seen.add(text)
                out.append({"prompt": prompt, "candidate": text, "edits": 1})
    for _ in range(doubles):
        a, b = rng.sample([u for u in units if fills[u]], 2)
        text = space.render({a: rng.choice(fills[a]), b: rng.choice(fills[b])})
        if text not in seen:
            seen.add(text)
            out.append({"prompt": prompt, "candidate": text, "edits": 2})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="demo")
    ap.add_argument("-n", type=int, default=12)
    ap.add_argument("--skip", type=int, default=0, help="start after this many prompts of the set")
    ap.add_argument("--singles", type=int, default=4)
    ap.add_argument("--doubles", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for the model (1 on a busy machine)")
    a = ap.parse_args()
    if a.threads:
        import os

        os.cpu_count = lambda: a.threads  # type: ignore[assignment]  # llama.cpp's thread count
    rng = random.Random(a.seed)
    infiller = LMInfiller()
    rows = shipped_set(a.set)[a.skip : a.skip + a.n]
    with a.out.open("a") as fh:
        for row in rows:
            for c in candidates(row["prompt"], infiller, rng, a.singles, a.doubles):
                fh.write(json.dumps({"set": a.set, "id": row["id"], **c}) + "\n")
            fh.flush()
            print(row["id"], flush=True)


if __name__ == "__main__":
    main()
