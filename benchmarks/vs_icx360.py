"""Benchmark promptfoil against ICX360 0.1.0 (the reference implementation) on the same models.

promptfoil ``cell`` is compared with ICX360 ``mCELL`` (neither has a budget) and promptfoil
``cell-budget`` with ICX360 ``CELL`` at each budget, for each split_k. Both tools use the same
target (SmolLM2 via llama.cpp, no response cache), infiller (``lm``) and scorer (``semantic``)
objects; only the search and its engineering differ. On each prompt the two tools run one
after the other, the order alternating from case to case. Every target call is counted on one
wrapper, whichever tool makes it, including ICX360's uncounted first call.

    make bench                                   # the default grid (10 minutes on 2 idle cores)
    python benchmarks/vs_icx360.py --full        # budgets 20, 50, 100
    python benchmarks/vs_icx360.py --prompts my.jsonl -n 3 --budgets 20 --split-k 1

The script creates ``.venv-icx`` (ICX360 + promptfoil) on first use and re-executes itself
there. It writes ``benchmarks/results/vs_icx360.md`` and ``.json``. ICX360 failures (an
exception in its search) are results, recorded with their type and message.
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
README_START = "<!-- bench:vs_icx360 start -->"
README_END = "<!-- bench:vs_icx360 end -->"


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=Path, help="JSONL file with a 'prompt' field per line (default: shipped set)")
    ap.add_argument("-n", type=int, default=6, help="how many prompts to use (default 6)")
    ap.add_argument("--budgets", type=int, nargs="+", default=[20, 50], help="budgets for cell-budget vs CELL")
    ap.add_argument("--split-k", type=int, nargs="+", default=[1, 2], dest="split_k")
    ap.add_argument("--full", action="store_true", help="budgets 20 50 100, all prompts of the set")
    ap.add_argument("--pairs", nargs="+", choices=["cell", "cell-budget"], default=["cell", "cell-budget"])
    ap.add_argument("--max-tokens", type=int, default=32, help="target response length (default 32)")
    ap.add_argument("--threshold", type=float, default=0.5, help="δ of the semantic scorer (default 0.5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--icx-info", action="store_true",
                    help="call ICX360 with info=True (it then does not crash when no contrast is found)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds allowed per explanation")
    ap.add_argument("--out", type=Path, default=RESULTS / "vs_icx360.md")
    ap.add_argument("--update-readme", action="store_true", help="put the table into README.md's benchmark section")
    ap.add_argument("--render-only", type=Path, metavar="JSON",
                    help="rebuild the Markdown from a results JSON (also a partial one) without running")
    args = ap.parse_args(argv)
    if args.full:
        args.budgets, args.n = [20, 50, 100], 0
    bad = [b for b in args.budgets if b < 1] + [k for k in args.split_k if k < 1]
    if bad or args.n < 0 or args.max_tokens < 1:
        ap.error("budgets, split_k and max tokens must be at least 1, -n at least 0")
    return args


def load_prompts(path: Path | None, n: int) -> list[dict[str, str]]:
    """``[{id, prompt}]`` from a JSONL file or the shipped set; ``n == 0`` keeps all."""
    if path is None:
        from promptfoil.datasets import shipped_prompts

        rows = shipped_prompts()
    else:
        try:
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, json.JSONDecodeError) as exc:
            raise SystemExit(f"cannot read prompts from {path}: {exc}") from None
        if not all(isinstance(r, dict) and isinstance(r.get("prompt"), str) for r in rows):
            raise SystemExit(f"{path}: every line must be a JSON object with a string 'prompt'")
    rows = [{"id": str(r.get("id", i)), "prompt": r["prompt"]} for i, r in enumerate(rows)]
    return rows[:n] if n else rows


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
        from promptfoil.scorers.semantic import SemanticScorer
        from promptfoil.targets.llamacpp import LlamaCppTarget

        self.args = args
        self.icx_classes = {"cell": mCELL, "cell-budget": CELL}
        self.llm = LlamaCppTarget(None, max_tokens=args.max_tokens, name="smollm2")
        self.raw_scorer = SemanticScorer()
        self.target = CountingTarget(self.llm)
        self.infiller = TimedInfiller(LMInfiller())
        self.scorer = TimedScorer(self.raw_scorer)
        self._explainers: dict[tuple[str, int | None, int], Any] = {}

    def warm_up(self, prompt: str) -> None:
        """Load the three models once, outside every measurement."""
        from promptfoil.infill.base import InfillRequest
        from promptfoil.scorers.base import ScoreItem

        self.llm.generate([prompt])
        self.infiller.inner.infill([InfillRequest(prompt, 0, prompt.find(" ") if " " in prompt else len(prompt), 1)])
        self.raw_scorer.score([ScoreItem(prompt, "a", prompt, "b")])

    def _reset(self) -> None:
        self.target.reset()
        self.infiller.reset()
        self.scorer.reset()

    def _record(self, tool: str, case: dict[str, Any], prompt: str, y0: str | None,
                xc: str | None, yc: str | None, seconds: float, error: str | None) -> dict[str, Any]:
        from promptfoil.explainer import edit_distance
        from promptfoil.scorers.base import ScoreItem

        score = None
        if y0 is not None and xc is not None and yc is not None:
            score = self.raw_scorer.score([ScoreItem(prompt, y0, xc, yc)])[0]  # outside the timing
        found = score is not None and score >= self.args.threshold and xc != prompt
        budget = case["budget"]
        perturbed = self.target.calls - 1
        return {
            "tool": tool, **case, "prompt": prompt,
            "calls": self.target.calls, "repeats": self.target.repeats,
            "overrun": max(0, perturbed - budget) if budget is not None else None,
            "found": found, "score": score, "contrast_prompt": xc, "contrast_response": yc,
            "response": y0, "edit_distance": edit_distance(prompt, xc) if found and xc else None,
            "seconds": round(seconds, 3), "target_s": round(self.target.seconds, 3),
            "infill_s": round(self.infiller.seconds, 3), "infill_masks": self.infiller.masks,
            "score_s": round(self.scorer.seconds, 3), "score_items": self.scorer.items,
            "error": error,
        }

    def promptfoil(self, case: dict[str, Any], prompt: str) -> dict[str, Any]:
        import promptfoil

        key = (case["pair"], case["budget"], case["split_k"])
        if key not in self._explainers:
            self._explainers[key] = promptfoil.Explainer(
                target=self.target, infiller=self.infiller, scorer=self.scorer, algorithm=case["pair"],
                budget=case["budget"], split_k=case["split_k"], threshold=self.args.threshold,
                seed=self.args.seed, cache=False,
            )
        self._reset()
        t = time.perf_counter()
        error, ex = None, None
        try:
            with time_limit(self.args.timeout):
                ex = self._explainers[key].explain(prompt)
        except Exception as exc:  # recorded like ICX360's, though none is expected
            error = f"{type(exc).__name__}: {exc}"
        secs = time.perf_counter() - t
        rec = self._record("promptfoil", case, prompt, ex.response if ex else None,
                           ex.contrast_prompt if ex else None, ex.contrast_response if ex else None, secs, error)
        if ex is not None:
            rec["reported_calls"] = ex.calls.target + ex.calls.original
            rec["reported_found"] = ex.found
        return rec

    def icx360(self, case: dict[str, Any], prompt: str) -> dict[str, Any]:
        import numpy as np
        from icx360_adapters import make_icx

        explainer = make_icx(self.icx_classes[case["pair"]], self.target, self.infiller, self.scorer, "semantic")
        random.seed(self.args.seed)
        np.random.seed(self.args.seed)
        kwargs: dict[str, Any] = {"epsilon_contrastive": self.args.threshold, "split_k": case["split_k"],
                                  "info": self.args.icx_info}
        if case["budget"] is not None:
            kwargs["budget"] = case["budget"]
        self._reset()
        t = time.perf_counter()
        error, result = None, None
        log = io.StringIO()
        try:
            with time_limit(self.args.timeout), contextlib.redirect_stdout(log):
                result = explainer.explain_instance(prompt, **kwargs)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        secs = time.perf_counter() - t
        r = result or {}
        rec = self._record("icx360", case, prompt, r.get("output_original"), r.get("prompt_cell"),
                           r.get("response_cell"), secs, error)
        rec["reported_calls"] = _reported_calls(log.getvalue())
        return rec


def _reported_calls(log: str) -> int | None:
    """ICX360's own count ("N model calls made."), printed only with info=True."""
    for line in log.splitlines():
        if line.endswith(" model calls made."):
            return int(line.split()[0])
    return None


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    for pair in args.pairs:
        for budget in ([None] if pair == "cell" else args.budgets):
            for k in args.split_k:
                out.append({"pair": pair, "budget": budget, "split_k": k})
    return out


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cores": os.cpu_count(), "load_avg": os.getloadavg()}


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
    return "\n".join([
        "# promptfoil vs ICX360",
        "",
        f"Run {meta['date']} on {m['cpu']} ({m['cores']} cores, {m['platform']}, Python {m['python']}); "
        f"load average {m['load_avg'][0]:.1f} at start, {meta['load_avg_end'][0]:.1f} at end "
        "(the machine is shared; wall times carry that noise).",
        f"Models (the same objects for both tools): target {meta['models']['target']}, "
        f"infiller {meta['models']['infiller']}, scorer {meta['models']['scorer']}. "
        f"δ = {meta['threshold']} (flip: score ≥ δ against the original), seed {meta['seed']}, "
        f"{meta['n_prompts']} prompts ({meta['prompts']}), ICX360 info={meta['icx_info']}.",
        f"Versions: {', '.join(f'{k} {x}' for k, x in v.items())}, promptfoil commit "
        f"{meta.get('commit', 'unknown')}. Command: `{meta['command']}`; "
        f"{meta['total_minutes']:.1f} minutes.",
        "",
        "Each cell reads promptfoil / ICX360. Target calls count every call to the target, the "
        "original prompt's included; a ratio is promptfoil / ICX360 (issue targets: calls ≤ 0.5, "
        "wall ≤ 0.2, at equal or higher flip rate, no budget overrun). Edit distance is over "
        "found contrasts; B = ∞: neither search has a budget.",
        "",
        rep.markdown_table(rows),
        "",
        "Where the time goes (seconds per explanation, all configurations of a pair pooled):",
        "",
        rep.time_table(rows),
        "",
        *rep.verdict(rows),
        "",
    ])


def update_readme(table_md: str, path: Path) -> None:
    """Replace the benchmark section between its markers (append it if absent)."""
    text = path.read_text(encoding="utf-8")
    body = f"{README_START}\n{table_md}\n{README_END}"
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        text = head + body + rest.split(README_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Benchmark against ICX360\n\n" + body + "\n"
    path.write_text(text, encoding="utf-8")


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


def rerender(args: argparse.Namespace) -> None:
    """Summarise saved records again (a run cut short keeps every finished case)."""
    import icx360_report as rep

    data = json.loads(args.render_only.read_text(encoding="utf-8"))
    meta, records = data["meta"], data["records"]
    if "load_avg_end" not in meta:
        meta["load_avg_end"] = [float("nan")] * 3
        meta["total_minutes"] = sum(r["seconds"] for r in records) / 60
        meta["command"] += f" (cut short after {len(records)} explanations)"
    rows = rep.summarise(records)
    md = render(meta, rows)
    args.out.write_text(md, encoding="utf-8")
    args.out.with_suffix(".json").write_text(_json({"meta": meta, "summary": rows, "records": records}))
    print(md)
    if args.update_readme:
        update_readme(md.split("\n", 2)[2], icx360_env.ROOT / "README.md")


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.render_only:
        rerender(args)
        return
    if not icx360_env.ready():
        icx360_env.reexec_inside(str(Path(__file__).resolve()), argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import icx360_report as rep

    prompts = load_prompts(args.prompts, args.n)
    if not prompts:
        raise SystemExit("no prompts to run")
    t_start = time.perf_counter()
    load_start = machine()
    bench = Bench(args)
    bench.warm_up(prompts[0]["prompt"])
    records: list[dict[str, Any]] = []
    meta: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": load_start, "versions": versions(), "threshold": args.threshold, "seed": args.seed,
        "n_prompts": len(prompts), "prompts": str(args.prompts or "shipped MIC-style set"),
        "icx_info": args.icx_info, "max_tokens": args.max_tokens,
        "command": "python benchmarks/vs_icx360.py " + " ".join(argv), "commit": git_commit(),
        "models": {
            "target": f"{bench.llm.path.name} via llama.cpp, greedy, max_tokens={args.max_tokens}",
            "infiller": "lm (the same GGUF proposes fills, ranked by sentence likelihood)",
            "scorer": "semantic (1 − cosine of all-MiniLM-L6-v2 embeddings)",
        },
    }
    out_json = args.out.with_suffix(".json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    i = 0
    for case in cases(args):
        for p in prompts:
            tools = [bench.promptfoil, bench.icx360]
            if i % 2:
                tools.reverse()
            i += 1
            for run in tools:
                rec = run(case, p["prompt"])
                rec["prompt_id"] = p["id"]
                records.append(rec)
                print(f"{rec['tool']:10} {case['pair']:11} B={case['budget']} k={case['split_k']} "
                      f"{p['id']}: calls={rec['calls']} rep={rec['repeats']} found={rec['found']} "
                      f"{rec['seconds']:.1f}s {rec['error'] or ''}", file=sys.stderr, flush=True)
            out_json.write_text(_json({"meta": meta, "records": records}))
    meta["load_avg_end"] = os.getloadavg()
    meta["total_minutes"] = (time.perf_counter() - t_start) / 60
    rows = rep.summarise(records)
    md = render(meta, rows)
    args.out.write_text(md, encoding="utf-8")
    out_json.write_text(_json({"meta": meta, "summary": rows, "records": records}))
    print(md)
    if args.update_readme:
        update_readme(md.split("\n", 2)[2], icx360_env.ROOT / "README.md")


if __name__ == "__main__":
    main(sys.argv[1:])
