"""Seconds per verdict read: the judge's one-token reads through the batch context (prefix
shared, last logits row only) against llama-cpp-python's every-token-logits completion, on
the verdict reader's labelled answers, and how often the two read the same verdict.

Both paths run in one process on the same answers, so the ratio is what to read; absolute
seconds depend on the machine and its load. The batched reads are timed as a search makes
them: one request list per search round (``--round`` answers to the same question, whose
prefix they share).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

from promptfoil.backends.chat import ChatRequest  # noqa: E402
from promptfoil.backends.llamacpp import LocalChat  # noqa: E402
from promptfoil.backends.model_store import model_path  # noqa: E402
from promptfoil.codec.jsonl import objects  # noqa: E402
from promptfoil.scorers.verdict_readers import VERDICTS, reader_prompt, verdict_of_token  # noqa: E402

ANSWERS = common.results("quality") / "verdict_answers.jsonl"


def label(first: dict[str, float] | None) -> str | None:
    counts = {v: 0.0 for v in VERDICTS}
    for tok, p in (first or {}).items():
        v = verdict_of_token(tok)
        if v:
            counts[v] += p
    return max(counts, key=counts.__getitem__) if sum(counts.values()) else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", default="qwen-0.5b", help="a fetched model's short name (default: %(default)s)")
    ap.add_argument("-n", type=int, default=24, help="answers to read (default: %(default)s)")
    ap.add_argument("--round", type=int, default=4, help="reads per request list (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=common.results("perf") / "judge_reads.md")
    a = ap.parse_args()
    path = model_path(a.judge)
    if not path.is_file():
        raise SystemExit(f"{a.judge} is not fetched: promptfoil models fetch {a.judge}")
    rows = [row for _, row in objects(ANSWERS, "verdict answers")][: a.n]
    reqs = [ChatRequest.of(reader_prompt(r["question"], r["answer"]), max_tokens=1, temperature=0.0, seed=0,
                           top_logprobs=20) for r in rows]
    chat = LocalChat(path)
    chat.one(reqs[0])
    chat.first_tokens(reqs[:1])  # both models loaded before timing
    t = time.perf_counter()
    one = [chat.one(r) for r in reqs]
    t_one = time.perf_counter() - t
    t = time.perf_counter()
    batched = [rep for i in range(0, len(reqs), a.round) for rep in chat.first_tokens(reqs[i : i + a.round])]
    t_batch = time.perf_counter() - t
    same = sum(label(x.first_token) == label(y.first_token) for x, y in zip(one, batched))
    gap = max(abs((x.first_token or {}).get(k, 0.0) - p) for x, y in zip(one, batched)
              for k, p in (y.first_token or {}).items())
    text = (
        f"# Verdict reads: batched first token vs every-token logits\n\n"
        f"`python benchmarks/perf/judge_reads.py --judge {a.judge} -n {a.n} --round {a.round}`, "
        f"{len(reqs)} labelled answers, one process.\n\n"
        f"| path | s / read | ratio |\n|---|---|---|\n"
        f"| `create_completion(logprobs=20)` on a logits-all model | {t_one / len(reqs):.3f} | 1.00 |\n"
        f"| batch context, last row only, {a.round} reads per list | {t_batch / len(reqs):.3f} | "
        f"{t_batch / t_one:.2f} |\n\n"
        f"Same verdict read on {same}/{len(reqs)} answers; largest probability difference {gap:.3f} "
        f"(batched and one-by-one arithmetic differ in the last bits).\n"
    )
    a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
