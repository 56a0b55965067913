"""Items per minute of `--engine ray` with 1, 2 and 4 actors (and the local engine), one run.

The target is the `openai` target against a loopback server (testkit/openai_fakes.py) that
sleeps DELAY seconds per request, like a remote model; the infiller is a model-free stand-in
(``common.NumberedFills``), the scorer BLEU-SUMM, and the threshold (1.0) is out of reach, so
every item spends its whole budget (BUDGET + 1 requests); the response cache is off. Each actor sends one request
at a time (--max-concurrency 1), so the ratios show what the actors add. Actor start-up
(building the Explainer) is left out of the timing. Each item also costs CPU (search, HTTP
client), so on a machine with few free cores the ratios flatten before the ideal 1 : 2 : 4.

    .venv/bin/python benchmarks/perf/ray_scaling.py [--items 24] [--delay 0.25] [--budget 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helper
import common  # noqa: E402

common.use_testkit()
from openai_fakes import FakeOpenAIServer  # noqa: E402

from promptfoil import Component, Config, Explainer  # noqa: E402
from promptfoil.runs.engines.local import LocalEngine  # noqa: E402
from promptfoil.runs.engines.ray import RayEngine  # noqa: E402
from promptfoil.runs import RunItem, run  # noqa: E402

ACTORS = (1, 2, 4)


def bench_config(base_url: str, budget: int) -> Config:
    return Config(
        target=Component("openai", "bench"),
        infiller=Component("common:NumberedFills"), scorer=Component("bleu"),
        cache=False,
    ).with_options(base_url=base_url, max_concurrency=1, budget=budget, threshold=1.0)


def timed(items: list[RunItem], engine: object, out: Path) -> float:
    """Items per minute of one run into a fresh results file."""
    t0 = time.perf_counter()
    summary = run(items, engine, out, trace=False)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    assert summary.done == len(items), f"{summary.failed} item(s) failed"
    return 60 * len(items) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--delay", type=float, default=0.25, help="server sleep per request (s)")
    ap.add_argument("--budget", type=int, default=4, help="target calls per item (plus the original)")
    ap.add_argument("--out", type=Path, default=common.results("perf") / "ray_scaling.txt")
    args = ap.parse_args()

    import ray

    os.environ["PYTHONPATH"] = os.pathsep.join([str(common.BENCH), str(common.ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    items = [RunItem(f"q{i}", f"Is it fair to ask my neighbour number {i} to water the plants?") for i in range(args.items)]
    rates: dict[str, float] = {}
    lines = [f"{args.items} items, {args.budget + 1} requests each, server sleeps {args.delay}s per request, "
             f"one request in flight per actor; {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} "
             f"at the start), Python {platform.python_version()}, Ray {ray.__version__}"]
    with FakeOpenAIServer(delay=args.delay) as srv, TemporaryDirectory() as tmp:
        cfg = bench_config(srv.base_url, args.budget)
        rates["local"] = timed(items, LocalEngine(Explainer(cfg)), Path(tmp) / "local.jsonl")
        for n in ACTORS:
            with RayEngine(cfg, workers=n, worker_cpus=2 / max(ACTORS)) as engine:
                engine.start()
                ray.get([a.ready.remote() for a in engine.actors])  # Explainers built: time the work only
                rates[f"ray x{n}"] = timed(items, engine, Path(tmp) / f"ray{n}.jsonl")
            srv.max_in_flight = 0
    ray.shutdown()
    ideal = 60 / ((args.budget + 1) * args.delay)
    base = rates["ray x1"]
    for name, rate in rates.items():
        lines.append(f"{name:>8}: {rate:6.1f} items/min  ({rate / base:.2f}x ray x1; one request at a time "
                     f"would be {ideal:.1f})")
    lines.append("ratios: " + ", ".join(f"{n} actors {rates[f'ray x{n}'] / base:.2f}x" for n in ACTORS))
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
