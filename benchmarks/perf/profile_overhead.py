"""Where a default explanation's wall time goes: the models, their glue, and the rest.

    python benchmarks/perf/profile_overhead.py            # 4 MIC-style prompts, default settings

Runs the default :class:`promptfoil.Explainer` (smollm2 target, lm infiller, semantic scorer,
cell-budget, budget 40; response cache off) under cProfile, with infill prefetching off and
one infiller lane, so that every model call runs in the profiled thread. Reports, as shares of wall time:

* *components*: time inside ``target.generate``, ``infiller.infill``, ``scorer.score`` and
  the fluency constraint's likelihood model;
  the rest is search bookkeeping, trace and result building (the issue's goal: under 5%);
* *kernels*: inside llama.cpp's decode and sampler and the MiniLM forward pass; what the
  components spend beyond that is their Python glue (tokenising, templates, log-softmax).

Writes ``benchmarks/perf/results/profile_overhead.md`` with the top functions outside the models.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

COMPONENTS = {  # (file suffix, function) whose cumulative time is a component's
    "target": ("targets/base.py", "generate"),
    "infiller": ("infill/lm.py", "infill"),
    "scorer": ("scorers/semantic.py", "score"),
    "fluency check": ("infill/likelihood.py", "mean_logprob"),  # the constraint's LM
}
KERNELS = {  # calls into native model code
    "llama.cpp decode": ("llama_cpp/_internals.py", "decode"),
    "llama.cpp sample": ("llama_cpp/_internals.py", "sample"),
}


def cumulative(stats: pstats.Stats, where: tuple[str, str]) -> float:
    """Cumulative seconds of the function ``where`` (outermost calls only, as cProfile counts)."""
    total = 0.0
    for (path, _, name), (_, _, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if path.endswith(where[0]) and name == where[1]:
            total += ct
    return total


def torch_ops(stats: pstats.Stats) -> float:
    """Own time of torch's native operators (MiniLM's forward pass)."""
    return sum(
        tt for (path, _, name), (_, _, tt, _, _) in stats.stats.items()  # type: ignore[attr-defined]
        if path == "~" and name.startswith("<built-in method torch")
    )


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=4)
    ap.add_argument("--set", default="mic-style")
    args = ap.parse_args(argv)
    import promptfoil
    from promptfoil.uses.datasets import shipped_set

    rows = shipped_set(args.set)
    rows = [rows[i * len(rows) // args.n] for i in range(args.n)]
    ex = promptfoil.Explainer(cache=False, prefetch=False, infiller_options={"lanes": 1})
    ex.explain(rows[0]["prompt"], protected=[tuple(x) for x in rows[0].get("protected", [])])  # load models
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    results = [ex.explain(r["prompt"], protected=[tuple(x) for x in r.get("protected", [])]) for r in rows]
    prof.disable()
    wall = time.perf_counter() - t
    stats = pstats.Stats(prof)
    comp = {k: cumulative(stats, w) for k, w in COMPONENTS.items()}
    kern = {k: cumulative(stats, w) for k, w in KERNELS.items()}
    kern["torch operators (MiniLM)"] = torch_ops(stats)
    outside = wall - sum(comp.values())
    glue = sum(comp.values()) - sum(kern.values())
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
    lines = [
        "# Where a default explanation's time goes", "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} (shared machine), llama.cpp threads {os.environ.get('PROMPTFOIL_THREADS') or 'default'}. "
        f"{len(rows)} {args.set} prompts, default Explainer (budget 40, cell-budget, smollm2 / lm / semantic), "
        f"cache off, prefetch off and one infiller lane (so cProfile sees every model call). {sum(r.calls.target for r in results)} "
        f"target calls, {sum(r.calls.infiller for r in results)} masks, {sum(r.found for r in results)} found; "
        f"{wall:.1f} s under the profiler.", "",
        "| part | seconds | share of wall |", "|---|---|---|",
        *[f"| {k} (component) | {v:.2f} | {v / wall:.1%} |" for k, v in comp.items()],
        f"| **outside the components** (search, trace, results) | {outside:.2f} | **{outside / wall:.1%}** |", "",
        "| native model code | seconds | share of wall |", "|---|---|---|",
        *[f"| {k} | {v:.2f} | {v / wall:.1%} |" for k, v in kern.items()],
        f"| components' Python glue (components − native) | {glue:.2f} | {glue / wall:.1%} |", "",
        "Top functions by own time:", "", "```", buf.getvalue().strip()[-4000:], "```", "",
        f"Command: `python benchmarks/perf/profile_overhead.py {' '.join(argv)}`", "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "profile_overhead.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
