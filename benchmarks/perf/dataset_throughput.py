"""Dataset throughput: explanations per hour against llama.cpp servers on loopback, one item at
a time vs ``--parallel N`` items in flight, and ICX360 looped over the same items.

llama-cpp-python's server (the llama.cpp server installed here) answers one request at a time
per process and has no ``--parallel`` slots, so the "slots" are ``--servers`` server processes
of the embedded SmolLM2 GGUF (one llama.cpp thread each), used as a fleet (repeated
``--base-url``). promptfoil: target ``openai`` over that fleet, the in-process ``lm`` infiller,
the ``semantic`` scorer, no response cache. ICX360 0.1.0 gets the same target object (over
HTTP), infiller and scorer (``icx360_adapters``) and explains the items one after the other,
as its API does. Every mode explains the same items with the same settings; the records of the
promptfoil modes are compared (timing fields left out).

    python benchmarks/perf/dataset_throughput.py [--items 6] [--servers 2] [--parallel 2 4] [--budget 10]

The ICX360 row is measured by this script re-run in ``.venv-icx`` (created once by
``icx360_env``; skip it with ``--no-icx``).
Writes ``benchmarks/perf/results/dataset_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import icx360_env  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SERVER_PYTHON = icx360_env.ROOT / ".venv" / "bin" / "python"  # llama-cpp-python's server extra lives there
THRESHOLD = 0.8  # semantic δ of the ICX360 benchmark (budgets bind for both tools)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=6, help="first N prompts of mic-style")
    ap.add_argument("--servers", type=int, default=2, help="llama.cpp server processes (one thread each)")
    ap.add_argument("--parallel", type=int, nargs="+", default=[2, 4], help="items in flight to measure")
    ap.add_argument("--budget", type=int, default=6)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--no-icx", action="store_true", help="skip ICX360 (no .venv-icx needed)")
    ap.add_argument("--icx-urls", nargs="+", help=argparse.SUPPRESS)  # internal: the ICX360 loop, in .venv-icx
    return ap.parse_args(argv)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_servers(n: int, log_dir: Path) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """``n`` llama-cpp-python servers of the embedded SmolLM2 on 127.0.0.1; waits until each answers."""
    from promptfoil.backends.embedded import smollm2_gguf

    python = SERVER_PYTHON if SERVER_PYTHON.exists() else Path(sys.executable)
    procs, urls = [], []
    for i in range(n):
        port = _free_port()
        cmd = [str(python), "-m", "llama_cpp.server", "--model", str(smollm2_gguf()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1",
               "--model_alias", "smollm2", "--interrupt_requests", "False"]
        with (log_dir / f"server{i}.log").open("wb") as log:
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}/v1")
    deadline = time.monotonic() + 180
    for proc, url in zip(procs, urls):
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"llama_cpp.server exited ({proc.returncode}); see {log_dir}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"llama_cpp.server did not start in time; see {log_dir}")
            time.sleep(0.5)
    return procs, urls


def without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in ("seconds", "seconds_by_stage")}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


class Components:
    """The objects every mode shares: target over the fleet, infiller, scorer (models load once)."""

    def __init__(self, urls: list[str], args: argparse.Namespace) -> None:
        from promptfoil.infill.lm import LMInfiller
        from promptfoil.scorers.semantic import SemanticScorer
        from promptfoil.targets.openai_compat import OpenAITarget

        self.args = args
        self.target = OpenAITarget("smollm2", base_url=urls, max_tokens=args.max_tokens)
        self.infiller = LMInfiller()
        self.scorer = SemanticScorer()

    def warm_up(self, prompt: str) -> None:
        from promptfoil.infill.base import InfillRequest
        from promptfoil.scorers.base import ScoreItem

        self.target.generate([prompt] * len(self.target.endpoints))
        self.infiller.infill([InfillRequest(prompt, 0, prompt.find(" "), 1)])
        self.infiller.mean_logprob([prompt])
        self.scorer.score([ScoreItem(prompt, "a", prompt, "b")])

    def explainer(self) -> Any:
        import promptfoil

        return promptfoil.Explainer(target=self.target, infiller=self.infiller, scorer=self.scorer,
                                    budget=self.args.budget, split_k=1, threshold=THRESHOLD, seed=0, cache=False,
                                    max_tokens=self.args.max_tokens)


def run_promptfoil(parts: Components, items: list[Any], parallel: int, out: Path) -> dict[str, Any]:
    from promptfoil.runs import LocalEngine, read_results, run

    t = time.perf_counter()
    summary = run(items, LocalEngine(parts.explainer(), parallel=parallel), out, restart=True)
    secs = time.perf_counter() - t
    recs = read_results(out)
    return {"mode": "promptfoil" if parallel == 1 else f"promptfoil --parallel {parallel}", "parallel": parallel,
            "seconds": round(secs, 2), "done": summary.done, "failed": summary.failed,
            "found": sum(bool(r.get("found")) for r in recs),
            "target_calls": sum(r["calls"]["target"] + r["calls"]["original"] for r in recs if "calls" in r),
            "records": {r["id"]: without_timing(r) for r in recs}}


def urllib_target(urls: list[str], max_tokens: int) -> Any:
    """ICX360's target: greedy chat requests to the fleet through urllib, one prompt after the
    other, servers in turn (ICX360's venv pins ``openai<2``, which promptfoil's client does not
    support; the requests are those promptfoil's ``openai`` target sends)."""
    from promptfoil import FunctionTarget

    turn = [0]

    def ask(prompt: str) -> str:
        url = urls[turn[0] % len(urls)]
        turn[0] += 1
        body = {"model": "smollm2", "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                "temperature": 0.0, "seed": 0}
        req = urllib.request.Request(f"{url}/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())["choices"][0]["message"]["content"] or ""

    return FunctionTarget(lambda prompts: [ask(p) for p in prompts], name="fleet-urllib")


def run_icx(urls: list[str], args: argparse.Namespace, items: list[Any]) -> dict[str, Any]:
    import numpy as np
    from icx360.algorithms.cell.CELL import CELL
    from icx360_adapters import CountingTarget, make_icx
    from promptfoil.infill.lm import LMInfiller
    from promptfoil.scorers.semantic import SemanticScorer

    target = CountingTarget(urllib_target(urls, args.max_tokens))
    infiller, scorer = LMInfiller(), SemanticScorer()
    target.generate([items[0].prompt])  # warm up, outside the timing
    from promptfoil import InfillRequest

    infiller.infill([InfillRequest(items[0].prompt, 0, 2, 1)])
    target.reset()
    found = errors = 0
    t = time.perf_counter()
    for it in items:
        random.seed(0)
        np.random.seed(0)
        icx = make_icx(CELL, target, infiller, scorer, "semantic")
        try:
            r = icx.explain_instance(it.prompt, epsilon_contrastive=THRESHOLD, split_k=1, budget=args.budget,
                                     info=False)
            found += r.get("prompt_cell") is not None and r.get("prompt_cell") != it.prompt
        except UnboundLocalError as exc:  # ICX360 0.1.0 raises this when its budget ends with no contrast
            if "output_sample" not in str(exc):
                raise
        except Exception as exc:  # noqa: BLE001 - a failure of its search is a result
            errors += 1
            print(f"ICX360 failed on {it.id}: {type(exc).__name__}: {exc}", file=sys.stderr)
    secs = time.perf_counter() - t
    return {"mode": "ICX360 (looped)", "parallel": 1, "seconds": round(secs, 2), "done": len(items) - errors,
            "failed": errors, "found": found, "target_calls": target.calls}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, no GPU, {platform.platform()}, Python {platform.python_version()}"


def render(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    base = rows[0]["seconds"]
    lines = [
        "# Dataset throughput: items in flight against llama.cpp servers on loopback", "",
        f"Run {meta['when']} on {meta['machine']}; load average {meta['load_start']:.1f} at start, "
        f"{meta['load_end']:.1f} at end (the machine is shared with other work: timings carry that noise; "
        "every ratio below comes from this one run).", "",
        f"{meta['items']} mic-style prompts; {meta['servers']} llama-cpp-python servers of SmolLM2-135M-Instruct "
        f"Q4_1 (one llama.cpp thread each) as a fleet; target `openai` (max_tokens {meta['max_tokens']}, "
        f"greedy, --max-concurrency 4 per server), infiller `lm` (in-process), scorer `semantic`, δ {THRESHOLD}, "
        f"budget {meta['budget']}, split_k 1, no response cache. Command: `{meta['command']}`; "
        f"{meta['minutes']:.1f} minutes.", "",
        "| mode | wall s | explanations / hour | vs one at a time | found | target calls |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per_hour = 3600 * r["done"] / r["seconds"] if r["seconds"] else 0.0
        lines.append(f"| {r['mode']} | {r['seconds']:.1f} | {per_hour:.0f} | {base / r['seconds']:.2f}× | "
                     f"{r['found']}/{r['done']} | {r['target_calls']} |")
    lines += ["", f"Records of every `--parallel` run equal the one-at-a-time run's (timing fields left out): "
              f"**{meta['identical']}**.", ""]
    return "\n".join(lines)


def icx_in_its_venv(urls: list[str], argv: list[str]) -> dict[str, Any]:
    """The ICX360 row, measured by this script re-run in ``.venv-icx`` against the same servers."""
    python = icx360_env.VENV / "bin" / "python"
    if not python.exists():
        icx360_env.create()
    out = subprocess.run([str(python), str(Path(__file__).resolve()), *argv, "--icx-urls", *urls],
                         stdout=subprocess.PIPE, text=True, check=True, env={**os.environ, "PROMPTFOIL_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    os.environ.setdefault("PROMPTFOIL_THREADS", "1")
    from promptfoil.runs.items import RunItem
    from promptfoil.uses.datasets import shipped_set

    if args.icx_urls:  # the ICX360 loop, in .venv-icx: one JSON row on stdout
        rows_in = shipped_set("mic-style")[: args.items]
        print(json.dumps(run_icx(args.icx_urls, args, [RunItem(str(r["id"]), r["prompt"]) for r in rows_in])))
        return
    t0 = time.perf_counter()
    load_start = os.getloadavg()[0]
    rows_in = shipped_set("mic-style")[: args.items]
    items = [RunItem(str(r["id"]), r["prompt"]) for r in rows_in]
    work = Path(tempfile.mkdtemp(prefix="promptfoil-throughput-"))  # results files and server logs
    procs, urls = start_servers(args.servers, work)
    try:
        parts = Components(urls, args)
        parts.warm_up(items[0].prompt)
        rows = [run_promptfoil(parts, items, 1, work / "p1.jsonl")]
        for n in args.parallel:
            rows.append(run_promptfoil(parts, items, n, work / f"p{n}.jsonl"))
        if not args.no_icx:
            rows.append(icx_in_its_venv(urls, argv))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=15)
    same = all(r["records"] == rows[0]["records"] for r in rows[1:] if "records" in r)
    meta = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "load_start": load_start, "load_end": os.getloadavg()[0], "items": len(items), "servers": args.servers,
            "budget": args.budget, "max_tokens": args.max_tokens, "identical": "yes" if same else "NO",
            "command": "python benchmarks/perf/dataset_throughput.py " + " ".join(argv),
            "minutes": (time.perf_counter() - t0) / 60}
    md = render(meta, rows)
    (RESULTS / "dataset_throughput.md").write_text(md, encoding="utf-8")
    slim = [{k: v for k, v in r.items() if k != "records"} for r in rows]
    (RESULTS / "dataset_throughput.json").write_text(json.dumps({"meta": meta, "rows": slim}, indent=1) + "\n",
                                                      encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main(sys.argv[1:])
