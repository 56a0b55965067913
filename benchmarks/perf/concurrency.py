"""Wall time of the `openai` target at --max-concurrency 1 vs 4.

A loopback server (testkit/openai_fakes.py) sleeps DELAY seconds per request, like a remote
model would; the same batch of prompts is sent at both settings, once each.

    .venv/bin/python benchmarks/perf/concurrency.py [--prompts 16] [--delay 0.25]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helper
import common  # noqa: E402

common.use_testkit()
from openai_fakes import FakeOpenAIServer  # noqa: E402

from promptfoil.targets.openai_compat import OpenAITarget  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--delay", type=float, default=0.25, help="server sleep per request (s)")
    args = ap.parse_args()
    prompts = [f"prompt number {i}" for i in range(args.prompts)]
    times = {}
    with FakeOpenAIServer(delay=args.delay) as srv:
        for conc in (1, 4):
            target = OpenAITarget(model="bench", base_url=srv.base_url, max_concurrency=conc)
            _ = target.server.client  # import and build the HTTP client outside the timing
            srv.max_in_flight = 0
            t0 = time.perf_counter()
            for i in range(0, len(prompts), target.batch_size):  # as the search sends them
                target.generate(prompts[i : i + target.batch_size])
            times[conc] = time.perf_counter() - t0
            print(f"max-concurrency {conc}: {times[conc]:.2f} s for {len(prompts)} requests "
                  f"(server saw at most {srv.max_in_flight} at once)")
    print(f"speed-up 1 -> 4: {times[1] / times[4]:.2f}x (ideal 4.00x; delay {args.delay}s per request)")


if __name__ == "__main__":
    main()
