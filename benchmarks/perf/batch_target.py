"""Prompts per second of the llama.cpp target at batch sizes 1, 2, 4, 8, 16 (and prefix reuse).

    python benchmarks/perf/batch_target.py                  # batch sizes, 16 MIC-style prompts
    python benchmarks/perf/batch_target.py --prefix-reuse   # 400-token system prompt + 20-word questions

Each round answers the same prompts at every batch size (batch 1 is the one-by-one path,
``create_chat_completion``), the sizes in a new random order per round, so that drift in the
machine's load falls on every size alike; a size's speed-up is its median over rounds of
(batch-1 seconds / its seconds) within the round. Answers are checked identical to batch 1.
Writes ``benchmarks/perf/results/batch_target.md`` (or ``prefix_reuse.md``) and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

SYSTEM_WORDS = (
    "You are the assistant of a city library. Answer questions about opening hours, loans, "
    "renewals, fines, events and the catalogue. Be brief and polite. Never give personal data "
    "about other patrons, never promise what the staff must decide, and say so when a question "
    "is outside the library's services. "
)
QUESTIONS = [
    "Can I renew a book online if someone else has already reserved it for next week please?",
    "How late is the main branch open on Saturdays during the summer holidays this year exactly?",
    "What happens if I return a borrowed laptop three days late and the charger is missing?",
    "Could you tell me whether the children's reading club still meets on Wednesday afternoons?",
    "Is it possible to borrow films and music as well as printed books with a standard card?",
    "Why was my account blocked after I paid the fine for the damaged atlas last month?",
    "Do you offer quiet study rooms that students can book for a whole day during exams?",
    "Where can I find local newspapers from the nineteen fifties for my family history project?",
]


def system_prompt(llm: Any, tokens: int) -> str:
    """A policy-like system prompt of about ``tokens`` tokens."""
    text = ""
    while len(llm.tokenize(text.encode("utf-8"), add_bos=False)) < tokens:
        text += SYSTEM_WORDS
    words = text.split()
    while len(llm.tokenize(" ".join(words).encode("utf-8"), add_bos=False)) > tokens:
        words.pop()
    return " ".join(words)


def run_batches(chat: Any, requests: list[Any], size: int) -> tuple[float, list[str]]:
    t = time.perf_counter()
    texts: list[str] = []
    for i in range(0, len(requests), size):
        part = requests[i : i + size]
        replies = [chat.one(r) for r in part] if size == 1 else chat.batch(part)
        texts += [r.text for r in replies]
    return time.perf_counter() - t, texts


def sizes_bench(args: argparse.Namespace) -> dict[str, Any]:
    from promptfoil.backends.chat import ChatRequest
    from promptfoil.backends.llamacpp import LocalChat
    from promptfoil.uses.datasets import shipped_set

    rows = shipped_set("mic-style")[: args.n]
    requests = [ChatRequest.turn(r["prompt"], max_tokens=args.max_tokens, temperature=0.0) for r in rows]
    chat = LocalChat(max_batch=max(args.sizes))
    run_batches(chat, requests[:2], 2)  # load the model and the batch context
    rng = random.Random(0)
    rounds: list[dict[int, float]] = []
    same = True
    for _ in range(args.rounds):
        order = list(args.sizes)
        rng.shuffle(order)
        times, answers = {}, {}
        for size in order:
            times[size], answers[size] = run_batches(chat, requests, size)
            print(f"batch {size:2}: {times[size]:.1f} s", file=sys.stderr, flush=True)
        same = same and all(answers[s] == answers[1] for s in args.sizes)
        rounds.append(times)
    return {"rounds": rounds, "identical": same, "n": len(requests)}


def reuse_bench(args: argparse.Namespace) -> dict[str, Any]:
    from promptfoil.backends.chat import ChatRequest
    from promptfoil.backends.llamacpp import LocalChat, load_llama
    from promptfoil.backends.llamacpp_batch import BatchGenerator

    chat = LocalChat(max_batch=args.batch)
    llm = load_llama(str(chat.path), chat.n_ctx, False)
    system = system_prompt(llm, args.system_tokens)
    requests = [ChatRequest.turn(q, system, max_tokens=args.max_tokens, temperature=0.0) for q in QUESTIONS]
    run_batches(chat, requests[:2], 2)
    assert chat._template is not None
    prompts = [chat._template.render(r.as_messages()) for r in requests]
    gens = {"reuse": BatchGenerator(llm, chat.n_ctx, args.batch, reuse=True),
            "no reuse": BatchGenerator(llm, chat.n_ctx, args.batch, reuse=False)}
    rounds: list[dict[str, float]] = []
    texts: dict[str, list[str]] = {}
    decoded: dict[str, int] = {}
    for r in range(args.rounds):
        order = list(gens) if r % 2 == 0 else list(reversed(gens))
        times = {}
        for name in order:
            g = gens[name]
            before = g.decoded
            t = time.perf_counter()
            out = [a.text for i in range(0, len(prompts), args.batch) for a in g.generate(prompts[i : i + args.batch], args.max_tokens)]
            times[name] = time.perf_counter() - t
            decoded[name] = g.decoded - before
            texts[name] = out
            print(f"{name}: {times[name]:.1f} s, {decoded[name]} prompt tokens decoded", file=sys.stderr, flush=True)
        rounds.append(times)
    return {"rounds": rounds, "identical": texts["reuse"] == texts["no reuse"], "decoded": decoded,
            "prompt_tokens": [len(p.tokens) for p in prompts], "system_tokens": args.system_tokens}


def render_sizes(meta: dict[str, Any], res: dict[str, Any]) -> str:
    rounds = res["rounds"]
    lines = [
        "# llama.cpp target: prompts per second by batch size", "",
        f"{meta['when']}, {meta['machine']}; load average {meta['load'][0]:.1f} at start, "
        f"{meta['load_end'][0]:.1f} at end (shared machine). {res['n']} MIC-style prompts, "
        f"greedy, max_tokens={meta['max_tokens']}, {len(rounds)} rounds, sizes in random order per round. "
        f"Answers identical to batch 1 at every size: {'yes' if res['identical'] else '**no**'}.", "",
        "| batch | median s | prompts/s (median) | speed-up vs batch 1 (median of per-round ratios) | min–max ratio |",
        "|---|---|---|---|---|",
    ]
    for size in sorted(rounds[0]):
        secs = [r[size] for r in rounds]
        ratios = [r[1] / r[size] for r in rounds]
        lines.append(
            f"| {size} | {statistics.median(secs):.1f} | {res['n'] / statistics.median(secs):.2f} | "
            f"{statistics.median(ratios):.2f}× | {min(ratios):.2f}–{max(ratios):.2f} |"
        )
    return "\n".join(lines) + "\n"


def render_reuse(meta: dict[str, Any], res: dict[str, Any]) -> str:
    rounds = res["rounds"]
    ratios = [r["no reuse"] / r["reuse"] for r in rounds]
    return "\n".join([
        "# Shared-prefix reuse: a long system prompt before every question", "",
        f"{meta['when']}, {meta['machine']}; load average {meta['load'][0]:.1f} at start, "
        f"{meta['load_end'][0]:.1f} at end (shared machine). System prompt of {res['system_tokens']} tokens, "
        f"{len(res['prompt_tokens'])} questions of about 20 words (prompts of {min(res['prompt_tokens'])}–"
        f"{max(res['prompt_tokens'])} tokens with the chat template), batch {meta['batch']}, greedy, "
        f"max_tokens={meta['max_tokens']}, {len(rounds)} rounds alternating the order.", "",
        "| | median s | prompt tokens decoded (last round) |", "|---|---|---|",
        f"| with reuse | {statistics.median(r['reuse'] for r in rounds):.1f} | {res['decoded']['reuse']} |",
        f"| without | {statistics.median(r['no reuse'] for r in rounds):.1f} | {res['decoded']['no reuse']} |", "",
        f"Speed-up from reuse: {statistics.median(ratios):.2f}× (median of per-round ratios; "
        f"range {min(ratios):.2f}–{max(ratios):.2f}). Answers identical: {'yes' if res['identical'] else '**no**'}.",
        "",
    ])


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("-n", type=int, default=16, help="prompts per round (default 16)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=64, dest="max_tokens")
    ap.add_argument("--prefix-reuse", action="store_true", dest="prefix_reuse")
    ap.add_argument("--system-tokens", type=int, default=400, dest="system_tokens")
    ap.add_argument("--batch", type=int, default=4, help="batch size of the prefix-reuse measurement")
    args = ap.parse_args(argv)
    if 1 not in args.sizes:
        args.sizes = [1, *args.sizes]
    import platform

    meta = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": os.getloadavg(),
            "machine": f"{os.cpu_count()} cores, {platform.platform()}", "max_tokens": args.max_tokens,
            "batch": args.batch, "command": "python benchmarks/perf/batch_target.py " + " ".join(argv)}
    res = reuse_bench(args) if args.prefix_reuse else sizes_bench(args)
    meta["load_end"] = os.getloadavg()
    name = "prefix_reuse" if args.prefix_reuse else "batch_target"
    md = (render_reuse if args.prefix_reuse else render_sizes)(meta, res)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(md + f"\nCommand: `{meta['command']}`\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, **res}, indent=1), encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main(sys.argv[1:])
