"""Command line for dataset jobs: ``run``, ``metrics``, ``compare``, ``report``, ``experiment``.

``cli.py`` adds these subparsers through :func:`add_parsers` and dispatches to :data:`COMMANDS`;
explanation options are shared with ``explain`` through ``cli.add_explainer_options``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from .errors import ConfigError, PromptfoilError
from .scorers.base import scorers

RUN_EXAMPLES = """\
examples:
  promptfoil run prompts.jsonl --out results.jsonl --budget 20
  promptfoil run mic-style --out mic.jsonl --limit 50          # a shipped prompt set
  promptfoil run MIC.csv --format mic --out mic.jsonl         # the real Moral Integrity Corpus
  promptfoil metrics results.jsonl
  promptfoil report results.jsonl --html report.html
  promptfoil experiment tables --prompts mic-style --limit 20 --out exp/
  promptfoil experiment calls-vs-length --prompts news --out fig/
"""

FORMATS = ("auto", "jsonl", "csv", "mic", "xsum")


def _default_compare_scorer() -> str:
    return "preference" if "preference" in scorers else "semantic"


def add_parsers(sub: Any, add_explainer_options: Callable[[argparse.ArgumentParser], Any]) -> None:
    """Add the dataset subcommands to the ``promptfoil`` parser."""
    fmt = argparse.RawDescriptionHelpFormatter
    r = sub.add_parser(
        "run", help="explain every prompt of a JSONL/CSV file into a results JSONL (resumable)",
        description="Explain each prompt of PROMPTS (JSONL or CSV with a 'prompt' field, optional 'id'; "
        "other fields are carried to the results). Each result is appended as it finishes; running the "
        "same command again skips finished items.", epilog=RUN_EXAMPLES, formatter_class=fmt,
    )
    _add_source(r, "prompts")
    r.add_argument("--out", required=True, metavar="RESULTS.jsonl", help="results file (appended to; resumed)")
    r.add_argument("--retry-failed", action="store_true", help="explain again the items recorded with an error")
    r.add_argument("--no-trace", action="store_true", help="leave the search trace out of each result")
    add_explainer_options(r)

    m = sub.add_parser("metrics", help="flip rate, edit distance, content preservation, calls, time",
                       description="The paper's measures over a results file, each with its standard error.")
    m.add_argument("results", help="results JSONL written by `promptfoil run`")
    m.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    m.add_argument("--no-content", action="store_true", help="skip content preservation (needs the MiniLM model)")

    c = sub.add_parser(
        "compare", help="score original vs contrast and baseline vs contrast responses (Tables 1, 3)",
        description="Scores the target's first response against each contrast response, and the baseline "
        "(the target asked for a less preferable response) against it, with SCORER.",
    )
    c.add_argument("results", help="results JSONL written by `promptfoil run`")
    c.add_argument("--compare-scorer", default=_default_compare_scorer(), choices=scorers.names(),
                   help="scorer of the comparison (default: %(default)s)")
    c.add_argument("--compare-scorer-model", help="model for the comparison scorer")
    c.add_argument("--no-baseline", action="store_true", help="skip the baseline (no target calls)")
    c.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    c.add_argument("--out", metavar="PATH", help="also write per-item scores and baseline responses as JSONL")
    add_explainer_options(c)

    rep = sub.add_parser("report", help="a self-contained HTML report of a results file",
                         description="One HTML file, no network fetches, every model or prompt string escaped.")
    rep.add_argument("results", help="results JSONL written by `promptfoil run`")
    rep.add_argument("--html", required=True, metavar="PATH", help="where to write the report")
    rep.add_argument("--title", default="promptfoil report", help="page title")
    rep.add_argument("--no-content", action="store_true", help="skip content preservation in the summary")

    ex = sub.add_parser("experiment", help="the paper's experiments: tables, calls-vs-length")
    esub = ex.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    t = esub.add_parser(
        "tables", help="Tables 1-5: split_k x CELL / CELL-budget per scorer",
        description="Runs the grid split_k x algorithm for each explanation scorer with the configured "
        "target and infiller, then writes Markdown and CSV tables under OUT/tables. Resumable.",
        epilog=RUN_EXAMPLES, formatter_class=fmt,
    )
    _add_source(t, "--prompts", default="mic-style")
    t.add_argument("--out", required=True, metavar="DIR", help="output folder (runs/, tables/, README.md)")
    t.add_argument("--scorers", nargs="+", default=[s for s in ("preference", "contradiction") if s in scorers] or ["semantic"],
                   help="explanation scorers, one table set each (default: %(default)s)")
    t.add_argument("--split-ks", nargs="+", type=int, default=[1, 2, 3], help="split_k values (default: 1 2 3)")
    t.add_argument("--compare-scorer", default=_default_compare_scorer(), choices=scorers.names(),
                   help="scorer of Tables 1/3 (default: %(default)s)")
    t.add_argument("--no-baseline", action="store_true", help="skip the baseline columns")
    t.add_argument("--no-content", action="store_true", help="skip content preservation")
    add_explainer_options(t)

    f = esub.add_parser(
        "calls-vs-length", help="Figure 3: CELL-budget calls vs document length (PNG)",
        description="Explains summarisation prompts of growing length with CELL-budget and the BLEU-SUMM "
        "scorer for each split_k, then draws mean calls per length bin with standard-error bands.",
        epilog=RUN_EXAMPLES, formatter_class=fmt,
    )
    _add_source(f, "--prompts", default="news")
    f.add_argument("--out", required=True, metavar="DIR", help="output folder (runs/, calls-vs-length.png/.csv/.md)")
    f.add_argument("--split-ks", nargs="+", type=int, default=[1, 2, 3], help="split_k values (default: 1 2 3)")
    f.add_argument("--bins", type=int, default=6, help="length bins (default: %(default)s)")
    add_explainer_options(f)


def _add_source(p: argparse.ArgumentParser, name: str, default: str | None = None) -> None:
    help_ = ("prompts file (.jsonl/.csv), or a shipped set: demo, mic-style, news"
             + (" (default: %(default)s)" if default else ""))
    if name.startswith("--"):
        p.add_argument(name, dest="prompts", default=default, help=help_)
    else:
        p.add_argument(name, help=help_)
    p.add_argument("--format", choices=FORMATS, default="auto",
                   help="how to read the prompts: by extension (auto), or a real MIC CSV / XSum folder or file")
    p.add_argument("--limit", type=int, help="use only the first N prompts")


def load_items(source: str, fmt: str = "auto", limit: int | None = None) -> list[Any]:
    """RunItems from a file, a shipped set name, a MIC CSV or XSum files."""
    from .datasets import SHIPPED_SETS, load_mic_csv, load_xsum, shipped_set
    from .runs import _item, read_items

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1 (got {limit})")
    if fmt in ("mic", "xsum") or (fmt == "auto" and source in SHIPPED_SETS and not Path(source).exists()):
        rows = (load_mic_csv(source, limit=limit) if fmt == "mic" else load_xsum(source, limit=limit)
                if fmt == "xsum" else shipped_set(source))
        items = [_item(r, f"{source} item {n}", n) for n, r in enumerate(rows, 1)]
    else:
        path = Path(source)
        if fmt == "csv" and path.is_file():
            from .runs import read_csv_items
            items = read_csv_items(path)
        elif fmt == "jsonl" and path.is_file():
            from .runs import read_jsonl_items
            items = read_jsonl_items(path)
        else:
            items = read_items(path)
    return items[:limit] if limit else items


def _embedder(skip: bool, err: Console) -> Any:
    if skip:
        return None
    from .metrics import minilm_embedder

    try:
        return minilm_embedder()
    except PromptfoilError as exc:
        err.print(f"[yellow]content preservation skipped:[/yellow] {exc}", highlight=False)
        return None


def _progress_bar(err: Console) -> Any:
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err, transient=False, disable=not err.is_terminal,
    )


def _rate(task: Any) -> str:
    if not task.completed or not task.elapsed:
        return ""
    return f"{task.elapsed / task.completed:.1f} s/item"


def cmd_run(args: argparse.Namespace, console: Console, err: Console, make: Callable[..., Any]) -> int:
    from .runs import run

    items = load_items(args.prompts, args.format, args.limit)
    explainer = make(args)
    with _progress_bar(err) as bar:
        task = bar.add_task("explaining", total=len(items), rate="")
        state = {"failed": 0}

        def start(todo: int, skipped: int) -> None:
            bar.update(task, total=todo)
            if skipped:
                err.print(f"resuming: {skipped} item(s) already in {args.out}", highlight=False)

        def step(it: Any, rec: dict[str, Any]) -> None:
            if "error" in rec:
                state["failed"] += 1
                err.print(f"[red]item {it.id} failed:[/red] {rec['error']}", highlight=False)
            bar.advance(task)
            bar.update(task, rate=_rate(bar.tasks[0]))

        summary = run(items, explainer, args.out, retry_failed=args.retry_failed, trace=not args.no_trace,
                      on_start=start, on_item=step)
    if summary.repaired_tail:
        err.print("a torn last line (interrupted write) was removed from the results file", highlight=False)
    console.print(
        f"{summary.done} explained, {summary.failed} failed, {summary.skipped} already done "
        f"-> {args.out} ({summary.seconds:.1f} s)", highlight=False,
    )
    return 0


def cmd_metrics(args: argparse.Namespace, console: Console, err: Console) -> int:
    from .metrics import compute, render_table
    from .runs import read_results

    records = read_results(args.results)
    m = compute(records, _embedder(args.no_content, err))
    if args.json:
        print(json.dumps(m.to_dict()))
    else:
        console.print(render_table(m, f"metrics of {args.results}"))
    return 0


def cmd_compare(args: argparse.Namespace, console: Console, err: Console, make: Callable[..., Any]) -> int:
    from rich.table import Table

    from .baseline import compare
    from .explainer import resolve_scorer, resolve_target
    from .runs import read_results
    from .targets.cache import ResponseCache

    records = read_results(args.results)
    scorer = resolve_scorer(args.compare_scorer, args.compare_scorer_model)
    target = cache = None
    if not args.no_baseline:
        opts = dict(args.target_option)
        opts.setdefault("max_tokens", args.max_tokens)
        target = resolve_target(args.target, args.target_model, opts)
        cache = None if args.no_cache else ResponseCache(args.cache) if args.cache else ResponseCache()
    summary, items = compare(records, scorer, target, cache)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            for it in items:
                fh.write(json.dumps(it.__dict__, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(summary.to_dict()))
        return 0
    t = Table(title=f"{summary.scorer} score against the contrast response", title_justify="left")
    t.add_column("comparison")
    t.add_column("mean ± s.e.", justify="right")
    t.add_column("n", justify="right")
    t.add_row("original vs contrast", summary.original_vs_contrast.fmt(), str(summary.original_vs_contrast.n))
    if summary.baseline_vs_contrast is not None:
        t.add_row("baseline vs contrast", summary.baseline_vs_contrast.fmt(), str(summary.baseline_vs_contrast.n))
    t.caption = "g(x0, first response, xc, contrast response); with preference, positive = first response preferred"
    console.print(t)
    return 0


def cmd_report(args: argparse.Namespace, console: Console, err: Console) -> int:
    from .report.html import write_html
    from .runs import read_results

    records = read_results(args.results)
    path = write_html(records, args.html, title=args.title, source=str(args.results),
                      embed=_embedder(args.no_content, err))
    console.print(f"report written to {path} ({len(records)} items)", highlight=False)
    return 0


def _stage_progress(err: Console) -> Callable[[str, int, int], None]:
    def show(name: str, done: int, todo: int) -> None:
        if done == 0:
            err.print(f"{name}: {todo} to explain", highlight=False)
        elif done == todo or done % 10 == 0:
            err.print(f"{name}: {done}/{todo}", highlight=False)
    return show


def cmd_experiment(args: argparse.Namespace, console: Console, err: Console, make: Callable[..., Any]) -> int:
    from .explainer import resolve_scorer, resolve_target
    from .targets.cache import ResponseCache

    if args.experiment is None:
        raise ConfigError("choose an experiment: tables or calls-vs-length")
    if any(k < 1 for k in args.split_ks):
        raise ConfigError("--split-ks values must be at least 1")
    items = load_items(args.prompts, args.format, args.limit)
    if args.experiment == "tables":
        from .experiments.tables import run_tables

        compare_scorer = resolve_scorer(args.compare_scorer)
        target = None
        cache = None if args.no_cache else ResponseCache(args.cache) if args.cache else ResponseCache()
        if not args.no_baseline:
            opts = dict(args.target_option)
            opts.setdefault("max_tokens", args.max_tokens)
            target = resolve_target(args.target, args.target_model, opts)
        cells = run_tables(
            items, args.out, lambda s, a, k: make(args, scorer=s, algorithm=a, split_k=k),
            scorers=args.scorers, split_ks=args.split_ks, compare_scorer=compare_scorer,
            baseline_target=target, cache=cache, embed=_embedder(args.no_content, err),
            progress=_stage_progress(err),
        )
        console.print(f"{len(cells)} configurations; tables in {Path(args.out) / 'tables'}", highlight=False)
        return 0
    from .experiments.calls_vs_length import run_calls_vs_length

    pts, png = run_calls_vs_length(
        items, args.out, lambda k: make(args, scorer="bleu", algorithm="cell-budget", split_k=k),
        split_ks=args.split_ks, n_bins=args.bins, budget=args.budget, progress=_stage_progress(err),
    )
    console.print(f"{len(pts)} points; figure written to {png}", highlight=False)
    return 0


COMMANDS = {"run": cmd_run, "metrics": cmd_metrics, "compare": cmd_compare, "report": cmd_report,
            "experiment": cmd_experiment}
NEEDS_EXPLAINER = {"run", "compare", "experiment"}
