"""Infiller throughput, batched vs one by one, on tiny random-weight models built offline.

The same requests go through each HF infiller twice: as one call with ``batch_size`` requests
per forward pass / ``generate`` call, and one request per call. The fills must be identical
(beam decoding); the ratio of the wall times is what batching buys. The tiny models (from
``testkit/hf_tiny.py``) measure the per-call overhead that batching removes, not the speed of
real models, whose larger matrices make batching pay off differently (more on a GPU).

    .venv/bin/python benchmarks/perf/infill_batching.py [--requests 32] [--batch-size 16] [--repeats 3]
    make bench-infill
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helper
import common  # noqa: E402

common.use_testkit()
import hf_tiny  # noqa: E402

from promptfoil.infill.base import InfillRequest, infillers  # noqa: E402
from promptfoil.prompt.segment import segment  # noqa: E402


def requests(n: int) -> list[InfillRequest]:
    """One masked word per request, cycling through the words of the shipped-style sentences."""
    out: list[InfillRequest] = []
    while len(out) < n:
        for text in hf_tiny.SENTENCES:
            for seg in segment(text, 1):
                if seg.editable and seg.text.strip().isalpha() and len(out) < n:
                    out.append(InfillRequest(text, seg.start, seg.end, 4))
    return out


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--num-beams", type=int, default=4)
    args = ap.parse_args()
    reqs = requests(args.requests)
    print(f"{len(reqs)} requests, batch_size={args.batch_size}, num_beams={args.num_beams}, "
          f"median of {args.repeats} runs, CPU threads={os.cpu_count()}")
    print(f"{'infiller':<14}{'batched s':>11}{'one-by-one s':>14}{'req/s batched':>15}{'req/s single':>14}{'speed-up':>10}")
    with tempfile.TemporaryDirectory() as root:
        builds = {
            "t5": hf_tiny.build_t5,
            "bart": hf_tiny.build_bart,
            "mlm (bert)": hf_tiny.build_bert_mlm,
            "mlm (roberta)": hf_tiny.build_roberta_mlm,
        }
        for label, build in builds.items():
            path = str(build(Path(root) / label.replace(" ", "_").strip("()")))
            name = label.split()[0]
            extra = {"extra_tokens": 2} if name == "bart" else {}
            batched = infillers.create(name, model=path, batch_size=args.batch_size, num_beams=args.num_beams, **extra)
            single = infillers.create(name, model=path, batch_size=1, num_beams=args.num_beams, **extra)
            want = batched.infill(reqs)  # warm-up: loads the model, fills the allowed-token table
            got = [single.infill([r])[0] for r in reqs]
            if got != want:
                raise SystemExit(f"{label}: batched and one-by-one fills differ")
            tb = statistics.median(timed(lambda: batched.infill(reqs)) for _ in range(args.repeats))
            ts = statistics.median(
                timed(lambda: [single.infill([r]) for r in reqs]) for _ in range(args.repeats)
            )
            n = len(reqs)
            print(f"{label:<14}{tb:>11.3f}{ts:>14.3f}{n / tb:>15.1f}{n / ts:>14.1f}{ts / tb:>9.1f}x")


if __name__ == "__main__":
    main()
