"""``promptfoil experiment``: the paper's Tables 1-5 grid and the calls-vs-length figure."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from ..build import build_cache, build_scorer, build_target
from ..errors import ConfigError
from ..scorers.base import scorers
from .jobs import RUN_EXAMPLES, _add_source, _paper_compare_scorer, _embedder, load_items
from .offline import check_available_offline
from .paths import check_output_folder
from .options import add_engine_options, add_explainer_options, cache_from_args, config_from_args, engine_from_args


def add_parsers(sub: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
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
    t.add_argument("--compare-scorer", default=_paper_compare_scorer(), choices=scorers.names(),
                   help="scorer of Tables 1/3 (default: %(default)s)")
    t.add_argument("--no-baseline", action="store_true", help="skip the baseline columns")
    t.add_argument("--no-content", action="store_true", help="skip content preservation")
    add_explainer_options(t)
    add_engine_options(t)

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
    add_engine_options(f)




def _stage_progress(err: Console) -> Callable[[str, int, int], None]:
    def show(name: str, done: int, todo: int) -> None:
        if done == 0:
            err.print(f"{name}: {todo} to explain", highlight=False)
        elif done == todo or done % 10 == 0:
            err.print(f"{name}: {done}/{todo}", highlight=False)
    return show


class _CellEngines:
    """One engine per grid cell (``--engine local`` or ``ray``), started when the cell begins
    and closed when the next one starts (or at the end), so Ray actors never pile up."""

    def __init__(self, args: argparse.Namespace, err: Console) -> None:
        self.args, self.err = args, err
        self.current: Any = None

    def __call__(self, cfg: Any) -> Any:
        self.close()
        self.current = engine_from_args(self.args, cfg)
        where = self.current.start()
        if self.args.engine != "local":
            self.err.print(f"engine {where}", highlight=False)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


def cmd_experiment(args: argparse.Namespace, console: Console, err: Console) -> int:
    cells_engine = _CellEngines(args, err)
    try:
        return _experiment(args, console, err, cells_engine)
    finally:
        cells_engine.close()


def _experiment(args: argparse.Namespace, console: Console, err: Console, cells_engine: _CellEngines) -> int:

    if args.experiment is None:
        raise ConfigError("choose an experiment: tables or calls-vs-length")
    if any(k < 1 for k in args.split_ks):
        raise ConfigError("--split-ks values must be at least 1")
    check_output_folder(args.out, "--out", [args.prompts], cache_from_args(args))
    items = load_items(args.prompts, args.format, args.limit)
    cfg = config_from_args(args)
    if args.experiment == "tables":
        from ..uses.experiments.tables import run_tables

        compare_scorer = build_scorer(cfg.with_options(scorer=args.compare_scorer))
        check_available_offline(compare_scorer, f"--compare-scorer {args.compare_scorer}")
        cache = build_cache(cfg)
        target = None if args.no_baseline else build_target(cfg)
        cells = run_tables(
            items, args.out, lambda s, a, k: cells_engine(cfg.with_options(scorer=s, algorithm=a, split_k=k)),
            scorers=args.scorers, split_ks=args.split_ks, compare_scorer=compare_scorer,
            baseline_target=target, cache=cache, embed=_embedder(args.no_content, err),
            progress=_stage_progress(err),
        )
        console.print(f"{len(cells)} configurations; tables in {Path(args.out) / 'tables'}", highlight=False)
        return 0
    from ..uses.experiments.calls_vs_length import run_calls_vs_length

    pts, png = run_calls_vs_length(
        items, args.out, lambda k: cells_engine(cfg.with_options(scorer="bleu", algorithm="cell-budget", split_k=k)),
        split_ks=args.split_ks, n_bins=args.bins, budget=args.budget, progress=_stage_progress(err),
    )
    console.print(f"{len(pts)} points; figure written to {png}", highlight=False)
    return 0


COMMANDS = {"experiment": cmd_experiment}
