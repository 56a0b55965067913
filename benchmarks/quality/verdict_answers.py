"""Real answers for the verdict reader's labelled set: each question of
``benchmarks/data/verdict_questions.jsonl`` asked to the embedded SmolLM2 and to a Qwen GGUF
(greedy, 64 tokens, the explainer's defaults), written to
``benchmarks/quality/results/verdict_answers.jsonl`` (resumes: pairs already there are kept).

    .venv/bin/python benchmarks/quality/verdict_answers.py --models smollm2 qwen-1.5b
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from promptfoil.build import component_options  # noqa: F401  (fills the registries)
from promptfoil.targets.base import targets

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE.parent / "data" / "verdict_questions.jsonl"
OUT = HERE / "results" / "verdict_answers.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["smollm2", "qwen-1.5b"])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    qs = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    done = set()
    if args.out.exists():
        done = {(r["model"], r["id"]) for r in map(json.loads, args.out.read_text().splitlines())}
    with args.out.open("a") as f:
        for model in args.models:
            target = targets.create("smollm2") if model == "smollm2" else targets.create("gguf", model=model)
            todo = [q for q in qs if (model, q["id"]) not in done]
            for q in todo:
                t0 = time.perf_counter()
                reply = target.generate([q["question"]])[0]
                text = reply if isinstance(reply, str) else reply.text
                rec = {"model": model, "id": q["id"], "split": q["split"], "question": q["question"],
                       "answer": text, "seconds": round(time.perf_counter() - t0, 2)}
                f.write(json.dumps(rec) + "\n")
                f.flush()
                print(model, q["id"], rec["seconds"], text[:70].replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()
