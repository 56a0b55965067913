"""Dataset jobs: ``run``, ``metrics``, ``compare``, ``report``.

Every job that explains builds its Explainer (and the baseline target) from the same
:class:`~promptfoil.config.Config` as ``explain`` does.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from ..build import build_cache, build_scorer, build_target
from ..errors import ConfigError, PromptfoilError
from ..runs.jsonout import strict_dumps
from ..scorers.base import scorers
from .offline import check_available_offline
from .options import (
    add_conversation_options, add_engine_options, add_explainer_options, cache_from_args, config_from_args, engine_from_args,
)
from .paths import FORCE_HELP, check_output
from .progress import ItemLines, WatchedExplainer, one_line, plain

RUN_EXAMPLES = """\
examples:
  promptfoil run prompts.jsonl --out results.jsonl --budget 20
  promptfoil run mic-style --out mic.jsonl --limit 50          # a shipped prompt set
  promptfoil run MIC.csv --format mic --out mic.jsonl         # the real Moral Integrity Corpus
  promptfoil run prompts.jsonl --out results.jsonl --engine ray --address auto --workers 8
  promptfoil metrics results.jsonl
  promptfoil report results.jsonl --html report.html
  promptfoil experiment tables --prompts mic-style --limit 20 --out exp/
  promptfoil experiment calls-vs-length --prompts news --out fig/
"""

FORMATS = ("auto", "jsonl", "csv", "mic", "xsum")


#: ``compare``'s default scorer runs offline (the embedded MiniLM); the paper's Tables 1/3 use
#: ``--compare-scorer preference``, whose model comes from the Hugging Face hub.
DEFAULT_COMPARE_SCORER = "semantic"


def _paper_compare_scorer() -> str:
    return "preference" if "preference" in scorers else "semantic"


def add_parsers(sub: Any) -> None:
    """Add the dataset subcommands to the ``promptfoil`` parser."""
    fmt = argparse.RawDescriptionHelpFormatter
    r = sub.add_parser(
        "run", help="explain every prompt of a JSONL/CSV file into a results JSONL (resumable)",
        description="Explain each prompt of PROMPTS (JSONL or CSV with a 'prompt' field, optional 'id'; "
        "a JSONL row with 'messages' is a conversation, optional 'edit' selectors; "
        "other fields are carried to the results). Each result is appended as it finishes; running the "
        "same command again skips finished items.", epilog=RUN_EXAMPLES, formatter_class=fmt,
    )
    _add_source(r, "prompts")
    r.add_argument("--out", required=True, metavar="RESULTS.jsonl",
                   help="results file (appended to; resumed). Must be new, empty or a results file; "
                   "locked while the run writes it (RESULTS.jsonl.lock)")
    r.add_argument("--wait", action="store_true",
                   help="if another run is writing the same --out, wait for it to finish instead of stopping")
    r.add_argument("--retry-failed", action="store_true", help="explain again the items recorded with an error")
    r.add_argument("--restart", action="store_true",
                   help="empty the results file first (it holds one experiment: resuming with other settings is refused)")
    r.add_argument("--no-trace", action="store_true", help="leave the search trace out of each result")
    add_conversation_options(add_explainer_options(r))
    add_engine_options(r)

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
    c.add_argument("--compare-scorer", default=DEFAULT_COMPARE_SCORER, choices=scorers.names(),
                   help="scorer of the comparison (default: %(default)s, which runs offline; the paper's "
                   "Tables 1/3 use preference, a hub model)")
    c.add_argument("--compare-scorer-model", help="model for the comparison scorer")
    c.add_argument("--no-baseline", action="store_true", help="skip the baseline (no target calls)")
    c.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    c.add_argument("--out", metavar="PATH", help="also write per-item scores and baseline responses as JSONL")
    c.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_explainer_options(c)

    rep = sub.add_parser("report", help="show a results file in the terminal, or write a self-contained HTML report",
                         description="Without --html every record is printed (a conversation as turns). With --html: one "
                         "HTML file, no network fetches, every model or prompt string escaped.")
    rep.add_argument("results", help="results JSONL written by `promptfoil run` or `promptfoil redteam`")
    rep.add_argument("--html", metavar="PATH", help="write the HTML report here instead of printing")
    rep.add_argument("--force", action="store_true", help=FORCE_HELP)
    rep.add_argument("--title", default="promptfoil report", help="page title")
    rep.add_argument("--no-content", action="store_true", help="skip content preservation in the summary")


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
    from ..uses.datasets import SHIPPED_SETS, load_mic_csv, load_xsum, shipped_set
    from ..runs.items import _item, read_items

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1 (got {limit})")
    if fmt in ("mic", "xsum") or (fmt == "auto" and source in SHIPPED_SETS and not Path(source).exists()):
        rows = (load_mic_csv(source, limit=limit) if fmt == "mic" else load_xsum(source, limit=limit)
                if fmt == "xsum" else shipped_set(source))
        items = [_item(r, f"{source} item {n}", n) for n, r in enumerate(rows, 1)]
    else:
        path = Path(source)
        if fmt == "csv" and path.is_file():
            from ..runs.items import read_csv_items
            items = read_csv_items(path)
        elif fmt == "jsonl" and path.is_file():
            from ..runs.items import read_jsonl_items
            items = read_jsonl_items(path)
        else:
            items = read_items(path)
    return items[:limit] if limit else items


def _embedder(skip: bool, err: Console) -> Any:
    if skip:
        return None
    from ..uses.metrics import minilm_embedder

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
        TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err, transient=False, disable=not err.is_terminal,
    )


def watched(explainer: Any, err: Console, noun: str) -> Any:
    """``explainer`` itself on a terminal (the bar shows progress); off one, an explainer that
    prints a line every few target calls of each item (:class:`~promptfoil.cli.progress.CallLines`)."""
    return WatchedExplainer(explainer, err, noun) if plain(err) else explainer


@contextmanager
def run_progress(err: Console, title: str, total: int, noun: str, out: object,
                 watch: Any = None) -> Iterator[tuple[Any, Any]]:
    """A progress bar over ``total`` items, with the ``on_start`` / ``on_item`` callbacks of
    :func:`~promptfoil.runs.run` that move it and report resumed and failed items. Off a
    terminal (no bar is drawn) each finished item is a plain line instead, and ``watch``
    (the explainer of a local run, see :func:`watched`) prints its target calls as it goes."""
    with _progress_bar(err) as bar:
        task = bar.add_task(title, total=total, stats="")
        tally = Tally()
        lines = ItemLines(err, noun, total) if plain(err) else None

        def start(todo: int, skipped: int) -> None:
            bar.update(task, total=todo)
            if skipped:
                err.print(f"resuming: {skipped} {noun}(s) already in {one_line(out)}", highlight=False)
            if isinstance(watch, WatchedExplainer):
                watch.todo = todo
            if lines is not None:
                lines.start(todo)

        def step(it: Any, rec: dict[str, Any]) -> None:
            tally.add(rec)
            if "error" in rec:
                err.print(f"[red]{noun} {one_line(it.id)} failed:[/red] {one_line(rec['error'])}", highlight=False)
            bar.advance(task)
            bar.update(task, stats=tally.line(bar.tasks[0].elapsed))
            if lines is not None:
                lines.item(it.id, rec)

        yield start, step


class Tally:
    """What the progress bar shows beside items done: found, failed, target calls per second."""

    def __init__(self) -> None:
        self.found = self.failed = self.calls = 0

    def add(self, rec: dict[str, Any]) -> None:
        if "error" in rec:
            self.failed += 1
            return
        self.found += bool(rec.get("found"))
        calls = rec.get("calls") or {}
        self.calls += int(calls.get("target", 0) or 0) + int(calls.get("original", 0) or 0)

    def line(self, elapsed: float | None) -> str:
        rate = f" · {self.calls / elapsed:.1f} calls/s" if elapsed else ""
        return f"found {self.found} · failed {self.failed}{rate}"


def cmd_run(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..runs.results_file import check_results_file, results_lock

    prompts_file = args.prompts if Path(args.prompts).is_file() else None
    out = check_results_file(args.out, prompts_file, cache_from_args(args))  # before anything is loaded or written
    items = load_items(args.prompts, args.format, args.limit)

    def waiting(who: str) -> None:
        err.print(f"waiting for {who}, which is writing {out}", highlight=False)

    with results_lock(out, wait=args.wait, on_wait=waiting):
        summary = _run_locked(args, items, out, prompts_file, err)
    if summary.repaired_tail:
        err.print("a torn last line (interrupted write) was removed from the results file", highlight=False)
    console.print(
        f"{summary.done} explained, {summary.failed} failed, {summary.skipped} already done "
        f"-> {out} ({summary.seconds:.1f} s)", highlight=False,
    )
    if summary.failed and not summary.done:
        err.print(f"[red]nothing was explained:[/red] all {summary.failed} item(s) tried failed", highlight=False)
        return 1
    return 0


def _run_locked(args: argparse.Namespace, items: list[Any], out: Path, prompts_file: str | None,
                err: Console) -> Any:
    from ..runs.loop import run

    from ..runs.engines.local import LocalEngine

    engine = engine_from_args(args, config_from_args(args))
    watch = None
    if isinstance(engine, LocalEngine):  # Ray workers explain elsewhere: their items' lines only
        engine.explainer = watch = watched(engine.explainer, err, "item")
    try:
        where = engine.start()
        if args.engine != "local":
            err.print(f"engine {where}", highlight=False)
        with run_progress(err, "explaining", len(items), "item", out, watch) as (start, step):
            return run(items, engine, out, retry_failed=args.retry_failed, trace=not args.no_trace, restart=args.restart,
                       prompts_file=prompts_file, lock=False, on_start=start, on_item=step, edit=args.edit)
    finally:
        engine.close()


def cmd_metrics(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..uses.metrics import compute, render_table
    from ..runs.results_file import read_results

    records = read_results(args.results)
    m = compute(records, _embedder(args.no_content, err))
    if args.json:
        print(strict_dumps(m.to_dict()))
    else:
        console.print(render_table(m, f"metrics of {args.results}"))
    return 0


def cmd_compare(args: argparse.Namespace, console: Console, err: Console) -> int:
    from rich.table import Table

    from ..uses.baseline import compare
    from ..runs.results_file import read_results

    if args.out:
        check_output(args.out, "--out", "jsonl", [args.results], args.force, cache_from_args(args))
    records = read_results(args.results)
    cfg = config_from_args(args)
    scorer = build_scorer(cfg.with_options(scorer=args.compare_scorer, scorer_model=args.compare_scorer_model))
    check_available_offline(scorer, f"--compare-scorer {args.compare_scorer}", "; or use --compare-scorer semantic")
    target = cache = None
    if not args.no_baseline:
        target, cache = build_target(cfg), build_cache(cfg)
    summary, items = compare(records, scorer, target, cache)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            for it in items:
                fh.write(strict_dumps(it.__dict__, ensure_ascii=False) + "\n")
    if args.json:
        print(strict_dumps(summary.to_dict()))
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
    from ..report.html import write_html
    from ..runs.results_file import read_results

    if args.html:
        check_output(args.html, "--html", "html", [args.results], args.force)
    records = read_results(args.results)
    if not args.html:
        from ..report.terminal import render_records

        _check_renderable(records, args.results)
        try:
            render_records(records, console)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a field no check knows of
            raise PromptfoilError(f"{args.results}: cannot show this results file: {type(exc).__name__}: {exc}") from None
        return 0
    path = write_html(records, args.html, title=args.title, source=str(args.results),
                      embed=_embedder(args.no_content, err))
    console.print(f"report written to {path} ({len(records)} items)", highlight=False)
    return 0


def _check_renderable(records: list[dict[str, Any]], path: str) -> None:
    """Every record the terminal report shows can be read back as an explanation; else one
    line naming the item and field (the codec's strict check, :func:`~promptfoil.codec.fields.check_record`)."""
    from ..types import Explanation

    for n, rec in enumerate(records, 1):
        if not rec.get("error"):
            Explanation.from_dict(rec, f"{path}: item {rec.get('id', n)!r}")


COMMANDS = {"run": cmd_run, "metrics": cmd_metrics, "compare": cmd_compare, "report": cmd_report}
