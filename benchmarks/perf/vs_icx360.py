"""Benchmark promptfoil against ICX360 0.1.0 (the reference implementation) on the same models.

promptfoil ``cell-budget`` is compared with ICX360 ``CELL`` at budgets 10, 20 and 40, split_k
1 and 2, three seeds, on two shipped prompt sets: ``mic-style`` (short questions, semantic
scorer) and ``news`` (one-sentence summaries of short articles, BLEU-SUMM scorer, the
instruction protected: ICX360 gets the article alone and every model call sees the
instruction in front, see ``icx360_adapters``). δ is set per set so that budgets bind (the
flip rate grows with the budget). Both tools use the same target (SmolLM2 via llama.cpp, no
response cache), infiller (``lm``) and scorer objects; only the search and its engineering
differ. A response cut off at ``max_tokens`` is scored on its complete sentences by both
searches and by the verdict (promptfoil's rule, applied to ICX360 through the wrappers). The
two tools run each case one after the other, the order alternating from case to
case. Every target call is counted on one wrapper, whichever tool makes it, including
ICX360's uncounted first call.

    make bench                                  # default grid: 1 prompt per set, 2 workers
    python benchmarks/perf/vs_icx360.py -n 2         # 2 prompts per set, evenly spaced
    python benchmarks/perf/vs_icx360.py --full       # every prompt of both sets, 5 seeds (hours)
    python benchmarks/perf/vs_icx360.py --sets news -n 1 --budgets 10 --split-k 1 --seeds 0

The default grid takes the first prompt of each shipped set (``-n N``: N prompts evenly spaced,
0, n/N, 2n/N, ... of the shipped order). Cases are dealt to ``--workers`` processes (default:
one per core, at most 2), each pinned to its own core with one llama.cpp thread and a
one-lane ``lm`` infiller, so both tools always run on exactly one core and the grid finishes
``workers`` times sooner; ``--workers 1`` runs in-process with every core (promptfoil then
fills masks on several lanes, ICX360 cannot). The
script creates ``.venv-icx`` (ICX360 + promptfoil) on first use and re-executes itself there.
It writes ``benchmarks/perf/results/vs_icx360.md`` and ``.json``. ICX360 failures (an exception in
its search) are results, recorded with their type and message.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import icx360_env  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

#: Per prompt set: scorer and δ. δ was chosen so that budgets 10-40 bind for both tools
#: (benchmarks/perf/results/vs_icx360_calibration.md: the best score reached within 10, 20, 40 calls).
SETS: dict[str, dict[str, Any]] = {
    "mic-style": {"scorer": "semantic", "threshold": 0.8},
    "news": {"scorer": "bleu", "threshold": 0.8},
    # Everyday questions written outside the project and never tuned on (the usefulness
    # issue's held-out set): the report set for the speed defaults.
    "everyday": {"scorer": "semantic", "threshold": 0.6, "file": Path(__file__).resolve().parents[1] / "data" / "usefulness_heldout.jsonl"},
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", choices=sorted(SETS), default=["mic-style", "news"])
    ap.add_argument("-n", type=int, default=1, help="prompts per set, evenly spaced (0: all; default 1)")
    ap.add_argument("--budgets", type=int, nargs="+", default=[10, 20, 40])
    ap.add_argument("--split-k", type=int, nargs="+", default=[1, 2], dest="split_k")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--full", action="store_true", help="every prompt of each set, seeds 0-4")
    ap.add_argument("--pairs", nargs="+", choices=["cell", "cell-budget"], default=["cell-budget"])
    ap.add_argument("--max-tokens", type=int, default=32, help="target response length (default 32)")
    ap.add_argument("--threshold", nargs=2, action="append", metavar=("SET", "DELTA"), default=[],
                    help="δ of a set (default: mic-style 0.8, news 0.8, everyday 0.6)")
    ap.add_argument("--batch", type=int, default=None, help="target batch size (default: the target's)")
    ap.add_argument("--no-prefetch", action="store_true", help="promptfoil infills only when a batch is needed")
    ap.add_argument("--icx-no-info", action="store_true",
                    help="call ICX360 with info=False (it then crashes whenever it finds no contrast)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                    help="processes, one core each (default: cores, at most 2; 1: in-process, every core)")
    ap.add_argument("--shard", default=None, help=argparse.SUPPRESS)  # "I/N": a worker's share of the cases
    ap.add_argument("--timeout", type=int, default=1800, help="seconds allowed per explanation")
    ap.add_argument("--out", type=Path, default=RESULTS / "vs_icx360.md")
    ap.add_argument("--render-only", type=Path, metavar="JSON",
                    help="rebuild the Markdown from a results JSON (also a partial one) without running")
    args = ap.parse_args(argv)
    if args.full:
        args.n, args.seeds = 0, [0, 1, 2, 3, 4]
    bad = [b for b in args.budgets if b < 1] + [k for k in args.split_k if k < 1]
    if bad or args.n < 0 or args.max_tokens < 1 or args.workers < 1:
        ap.error("budgets, split_k, max tokens and workers must be at least 1, -n at least 0")
    args.thresholds = {name: float(c["threshold"]) for name, c in SETS.items()}
    for name, value in args.threshold:
        if name not in SETS:
            ap.error(f"unknown set {name!r}")
        args.thresholds[name] = float(value)
    return args


def load_set(name: str, n: int) -> list[dict[str, Any]]:
    """``n`` prompts of a shipped set, evenly spaced through it (``n == 0``: all), each with
    the protected prefix ICX360 must not edit ("" for sets without one)."""
    from promptfoil.uses.datasets import shipped_set

    file = SETS[name].get("file")
    rows = [json.loads(line) for line in Path(file).read_text(encoding="utf-8").splitlines() if line.strip()] \
        if file else shipped_set(name)
    if n and n < len(rows):
        rows = [rows[i * len(rows) // n] for i in range(n)]
    out = []
    for r in rows:
        spans = r.get("protected") or []
        prefix = r["prompt"][: spans[0][1]] if spans and spans[0][0] == 0 else ""
        out.append({"id": r["id"], "prompt": r["prompt"], "prefix": prefix, "protected": [tuple(x) for x in spans]})
    return out


class Timeout(Exception):
    """An explanation ran past ``--timeout`` seconds."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def _raise(*_: Any) -> None:
        raise Timeout(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class Bench:
    """The shared components and one method per tool, each returning one record."""

    def __init__(self, args: argparse.Namespace) -> None:
        from icx360.algorithms.cell.CELL import CELL
        from icx360.algorithms.cell.mCELL import mCELL
        from icx360_adapters import CountingTarget, TimedInfiller, TimedScorer
        from promptfoil.infill.lm import LMInfiller
        from promptfoil.uses.metrics import minilm_embedder
        from promptfoil.scorers.bleu import BleuSummScorer
        from promptfoil.scorers.semantic import SemanticScorer
        from promptfoil.targets.llamacpp import LlamaCppTarget

        self.args = args
        self.icx_classes = {"cell": mCELL, "cell-budget": CELL}
        kw = {"batch_size": args.batch} if args.batch else {}
        self.llm = LlamaCppTarget(None, max_tokens=args.max_tokens, name="smollm2", **kw)
        self.target = CountingTarget(self.llm)
        # A worker has one core: one infill lane (in-process, promptfoil may fill on every core).
        self.infiller = TimedInfiller(LMInfiller(lanes=1 if args.shard else None))
        make = {"semantic": SemanticScorer, "bleu": BleuSummScorer}
        self.raw_scorers = {name: make[SETS[name]["scorer"]]() for name in args.sets}
        self.scorers = {name: TimedScorer(s) for name, s in self.raw_scorers.items()}
        self.embed = minilm_embedder()
        self._explainers: dict[tuple[Any, ...], Any] = {}

    def warm_up(self, prompt: str) -> None:
        """Load the models once, outside every measurement."""
        from promptfoil.infill.base import InfillRequest
        from promptfoil.scorers.base import ScoreItem

        self.llm.generate([prompt])
        self.llm.generate([prompt, prompt + " Why?"])
        self.infiller.inner.infill([InfillRequest(prompt, 0, prompt.find(" ") if " " in prompt else len(prompt), 1)])
        for s in self.raw_scorers.values():
            s.score([ScoreItem(prompt, "a", prompt, "b")])

    def _reset(self, set_name: str) -> None:
        self.target.reset()
        self.infiller.reset()
        self.scorers[set_name].reset()

    def _record(self, tool: str, case: dict[str, Any], row: dict[str, Any], y0: str | None,
                xc: str | None, yc: str | None, seconds: float, error: str | None) -> dict[str, Any]:
        from promptfoil.explainer import edit_distance
        from promptfoil.uses.metrics import cosine_pairs
        from promptfoil.scorers.base import ScoreItem

        prompt, prefix, name = row["prompt"], row["prefix"], case["set"]
        score = None
        if y0 is not None and xc is not None and yc is not None:  # outside the timing
            scored = self.target.scored  # cut-off responses: complete sentences, for both tools
            score = self.raw_scorers[name].score([ScoreItem(prompt, scored(y0), xc, scored(yc))])[0]
        found = score is not None and score >= self.args.thresholds[name] and xc != prompt
        doc0, docc = prompt[len(prefix):], (xc or "")[len(prefix):]
        perturbed = self.target.calls - 1
        budget = case["budget"]
        scorer = self.scorers[name]
        return {
            "tool": tool, **case, "prompt_id": row["id"], "prompt": prompt,
            "calls": self.target.calls, "repeats": self.target.repeats,
            "overrun": max(0, perturbed - budget) if budget is not None else None,
            "found": found, "score": score, "contrast_prompt": xc, "contrast_response": yc, "response": y0,
            "edit_distance": edit_distance(doc0, docc) if found else None,
            "content_preservation": cosine_pairs(self.embed, [doc0], [docc])[0] if found else None,
            "seconds": round(seconds, 3), "target_s": round(self.target.seconds, 3),
            "infill_s": round(self.infiller.seconds, 3), "infill_masks": self.infiller.masks,
            "score_s": round(scorer.seconds, 3), "score_items": scorer.items, "error": error,
        }

    def promptfoil(self, case: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
        import promptfoil

        key = (case["set"], case["pair"], case["budget"], case["split_k"], case["seed"])
        if key not in self._explainers:
            self._explainers[key] = promptfoil.Explainer(
                target=self.target, infiller=self.infiller, scorer=self.scorers[case["set"]], algorithm=case["pair"],
                budget=case["budget"], split_k=case["split_k"], threshold=self.args.thresholds[case["set"]],
                seed=case["seed"], cache=False, prefetch=not self.args.no_prefetch,
            )
        self._reset(case["set"])
        t = time.perf_counter()
        error, ex = None, None
        try:
            with time_limit(self.args.timeout):
                ex = self._explainers[key].explain(row["prompt"], protected=row["protected"])
        except Exception as exc:  # recorded like ICX360's, though none is expected
            error = f"{type(exc).__name__}: {exc}"
        secs = time.perf_counter() - t
        rec = self._record("promptfoil", case, row, ex.response if ex else None,
                           ex.contrast_prompt if ex else None, ex.contrast_response if ex else None, secs, error)
        if ex is not None:
            rec["reported_calls"] = ex.calls.target + ex.calls.original
            rec["reported_found"] = ex.found
            rec["minimize_calls"] = ex.calls.minimize
            rec["stop_reason"] = ex.stop_reason
            rec["fluency_skips"] = sum(1 for t in ex.trace if t.status == "skipped" and "not fluent" in (t.reason or ""))
        return rec

    def icx360(self, case: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        from icx360_adapters import make_icx

        name, prefix = case["set"], row["prefix"]
        explainer = make_icx(self.icx_classes[case["pair"]], self.target, self.infiller, self.scorers[name],
                             SETS[name]["scorer"], prefix=prefix)
        random.seed(case["seed"])
        np.random.seed(case["seed"])
        kwargs: dict[str, Any] = {"epsilon_contrastive": self.args.thresholds[name], "split_k": case["split_k"],
                                  "info": not self.args.icx_no_info}
        if case["budget"] is not None:
            kwargs["budget"] = case["budget"]
        self._reset(name)
        t = time.perf_counter()
        error, result = None, None
        log = io.StringIO()
        try:
            with time_limit(self.args.timeout), contextlib.redirect_stdout(log):
                result = explainer.explain_instance(row["prompt"][len(prefix):], **kwargs)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        secs = time.perf_counter() - t
        r = result or {}
        xc = prefix + r["prompt_cell"] if r.get("prompt_cell") is not None else None
        rec = self._record("icx360", case, row, r.get("output_original"), xc, r.get("response_cell"), secs, error)
        rec["reported_calls"] = _reported_calls(log.getvalue())
        return rec


def _reported_calls(log: str) -> int | None:
    """ICX360's own count ("N model calls made."), printed only with info=True."""
    for line in log.splitlines():
        if line.endswith(" model calls made."):
            return int(line.split()[0])
    return None


def cases(args: argparse.Namespace, prompts: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(case, prompt row) in an order that keeps a run cut short balanced: prompt by prompt,
    seed by seed, every pair, budget and split_k, both sets side by side."""
    for i in range(max(len(p) for p in prompts.values())):
        for seed in args.seeds:
            for pair in args.pairs:
                for budget in ([None] if pair == "cell" else args.budgets):
                    for k in args.split_k:
                        for name in args.sets:
                            if i < len(prompts[name]):
                                yield {"set": name, "pair": pair, "budget": budget, "split_k": k, "seed": seed}, prompts[name][i]


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cores": os.cpu_count(), "load_avg": os.getloadavg(),
            "llama_threads": os.environ.get("PROMPTFOIL_THREADS") or "default"}


def git_commit() -> str:
    """The promptfoil commit measured (``+dirty`` when the working tree differs)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=icx360_env.ROOT, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "src"],
                               capture_output=True, text=True, cwd=icx360_env.ROOT).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("promptfoil", "icx360", "llama-cpp-python", "torch", "sentence-transformers")}


def render(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    import icx360_report as rep

    m, v = meta["machine"], meta["versions"]
    sets = sorted({r["set"] for r in rows})
    out = [
        "# promptfoil vs ICX360",
        "",
        f"Run {meta['date']} on {m['cpu']} ({m['cores']} cores, {m['platform']}, Python {m['python']}, "
        f"llama.cpp threads {m.get('llama_threads', 'default')}"
        + (f", {meta['workers']} worker processes, each pinned to one core with a one-lane infiller"
           if meta.get("workers", 1) > 1 else "") + f"); load average {m['load_avg'][0]:.1f} at start, "
        f"{meta['load_avg_end'][0]:.1f} at end (the machine is shared: wall times carry that noise, the two "
        "tools alternate on every case so that it falls on both).",
        f"Models (the same objects for both tools): target {meta['models']['target']}, infiller "
        f"{meta['models']['infiller']}. Sets: " + "; ".join(
            f"{name} ({meta['sets'][name]['n']} prompts, evenly spaced: {', '.join(meta['sets'][name]['ids'])}; "
            f"scorer {meta['sets'][name]['scorer']}, δ = {meta['sets'][name]['threshold']})" for name in meta["sets"]
        ) + f". Seeds {', '.join(map(str, meta['seeds']))}; ICX360 info={meta['icx_info']}; promptfoil target batch "
        f"{meta.get('batch')}, prefetch {meta.get('prefetch')}.",
        f"Versions: {', '.join(f'{k} {x}' for k, x in v.items())}, promptfoil commit "
        f"{meta.get('commit', 'unknown')}. Command: `{meta['command']}`; {meta['total_minutes']:.1f} minutes.",
        "",
        "Cells read promptfoil / ICX360, means ± standard error over cases (prompt × seed); ratios are "
        "promptfoil / ICX360 ratios of means with a paired bootstrap 95% interval. Target calls count every "
        "call, the original prompt's included; an overrun is a perturbed-prompt call past the budget. Edit "
        "distance (word Levenshtein / words) and content preservation (MiniLM cosine) compare the edited text "
        "(the article for news) over found contrasts. A response cut off at max_tokens is scored on its "
        "complete sentences, in both searches and in this verdict. Issue targets: flip rate ≥ ICX360's, calls ratio ≤ 0.5, "
        "wall ratio ≤ 0.2, edit-distance ratio ≤ 0.8, no overrun.",
        "",
    ]
    for name in sets:
        part = [r for r in rows if r["set"] == name]
        out += [f"## {name}", "", rep.quality_table(part), "", rep.cost_table(part), ""]
    out += ["## Where the time goes (seconds per explanation, pooled)", "", rep.time_table(rows), "",
            "## Verdict", "", *rep.verdict(rows), ""]
    return "\n".join(out)


def _json(obj: Any) -> str:
    """JSON with NaN written as null (NaN is not valid JSON)."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and x != x:
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(obj), indent=1, ensure_ascii=False)


def write(args: argparse.Namespace, meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    import icx360_report as rep

    rows = rep.summarise(records)
    md = render(meta, rows)
    args.out.write_text(md, encoding="utf-8")
    args.out.with_suffix(".json").write_text(_json({"meta": meta, "summary": rows, "records": records}))
    return md


def rerender(args: argparse.Namespace) -> None:
    """Summarise saved records again (a run cut short keeps every finished case)."""
    data = json.loads(args.render_only.read_text(encoding="utf-8"))
    meta, records = data["meta"], data["records"]
    if "load_avg_end" not in meta:
        meta["load_avg_end"] = [float("nan")] * 3
        meta["total_minutes"] = sum(r["seconds"] for r in records) / 60
        meta["command"] += f" (cut short after {len(records)} explanations)"
    print(write(args, meta, records))


def run(args: argparse.Namespace, argv: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run this process's cases (all, or its ``--shard``); records are saved after each case."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    prompts = {name: load_set(name, args.n) for name in args.sets}
    index, count = (int(x) for x in args.shard.split("/")) if args.shard else (0, 1)
    load_start = machine()
    bench = Bench(args)
    bench.warm_up(prompts[args.sets[0]][0]["prompt"])
    records: list[dict[str, Any]] = []
    meta: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": load_start, "versions": versions(), "seeds": args.seeds,
        "sets": {name: {"n": len(rows), "ids": [r["id"] for r in rows], "scorer": SETS[name]["scorer"],
                        "threshold": args.thresholds[name]} for name, rows in prompts.items()},
        "icx_info": not args.icx_no_info, "max_tokens": args.max_tokens,
        "batch": bench.llm.batch_size, "prefetch": not args.no_prefetch, "workers": count,
        "command": "python benchmarks/perf/vs_icx360.py " + " ".join(argv), "commit": git_commit(),
        "models": {
            "target": f"{bench.llm.path.name} via llama.cpp, greedy, max_tokens={args.max_tokens}",
            "infiller": "lm (the same GGUF proposes fills, ranked by sentence likelihood)",
        },
    }
    out_json = args.out.with_suffix(".json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for i, (case, row) in enumerate(cases(args, prompts)):
        if i % count != index:
            continue
        tools = [bench.promptfoil, bench.icx360]
        if i % 2:
            tools.reverse()
        for run_tool in tools:
            rec = run_tool(case, row)
            rec["case"] = i
            records.append(rec)
            print(f"{rec['tool']:10} {case['set']:9} B={case['budget']} k={case['split_k']} s={case['seed']} "
                  f"{row['id']}: calls={rec['calls']} rep={rec['repeats']} found={rec['found']} "
                  f"{rec['seconds']:.1f}s {rec['error'] or ''}", file=sys.stderr, flush=True)
        out_json.write_text(_json({"meta": meta, "records": records}))
    return meta, records


def run_workers(args: argparse.Namespace, argv: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Deal the cases to ``args.workers`` processes, each pinned to one core with one llama.cpp
    thread; merge their records in case order (a worker's partial JSON survives a crash)."""
    import subprocess
    import tempfile

    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    tmp = Path(tempfile.mkdtemp(prefix="vs_icx360-", dir=args.out.parent))
    procs = []
    for w in range(args.workers):
        core = cores[w % len(cores)]
        cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--shard", f"{w}/{args.workers}",
               "--out", str(tmp / f"worker{w}.md")]
        env = dict(os.environ, PROMPTFOIL_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        pin = (lambda c=core: os.sched_setaffinity(0, {c})) if hasattr(os, "sched_setaffinity") else None
        procs.append(subprocess.Popen(cmd, env=env, preexec_fn=pin))
    codes = [p.wait() for p in procs]
    parts = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(tmp.glob("worker*.json"))]
    if not parts:
        raise SystemExit(f"no worker wrote results (exit codes {codes}); see the messages above")
    records = sorted((r for part in parts for r in part["records"]), key=lambda r: (r["case"], r["tool"] != "promptfoil"))
    meta = parts[0]["meta"]
    meta["command"] = "python benchmarks/perf/vs_icx360.py " + " ".join(argv)
    if any(codes):
        meta["command"] += f" (worker exit codes {codes}: some cases are missing)"
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return meta, records


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.render_only:
        rerender(args)
        return
    if not icx360_env.ready():
        icx360_env.reexec_inside(str(Path(__file__).resolve()), argv)
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    if args.workers > 1 and not args.shard:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        meta, records = run_workers(args, argv)
    else:
        meta, records = run(args, argv)
    if args.shard:
        return  # the parent merges and writes the tables
    meta["machine"]["load_avg"] = load_start
    meta["load_avg_end"] = os.getloadavg()
    meta["total_minutes"] = (time.perf_counter() - t_start) / 60
    print(write(args, meta, records))


if __name__ == "__main__":
    main(sys.argv[1:])
