"""``promptfoil gate``: does a results file's documented behaviour still hold on a new target?

Exit 0 when the share of checked items that do not hold is at most ``--max-broken``, 1 when
it is above, 2 on bad input (the shared handler in :mod:`promptfoil.cli` prints one line).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..build import build_cache, build_scorer, build_target
from ..config import DEFAULT_MAX_TOKENS, DEFAULT_SCORER, Component, Config
from ..errors import ConfigError, PromptfoilError
from ..uses.gate import LABELS, GateReport, cases_from_records, check_cases
from ..scorers.base import Scorer, scorers
from ..report.visible import visible_all
from .paths import FORCE_HELP, check_output
from .options import add_cache_options, add_component_options, add_endpoint_arguments, cache_from_args, endpoint_from_args

GATE_EXAMPLES = """\
examples:
  promptfoil gate results.jsonl --target openai --base-url $NEW_MODEL_URL --target-model new \\
      --max-broken 0.1 --junit gate.xml
  promptfoil gate results.jsonl --target gguf --target-model new.gguf --json > gate.json

Each found contrast is checked with two calls: the new answer y0' to the original prompt x0
and yc' to the contrast prompt xc. With the run's scorer g, δ and direction:
  original drifted  g(x0, y0, x0, y0') reaches δ (the stored answer moved like a contrast)
  contrast lost     otherwise, g(x0, y0', xc, yc') does not reach δ (the edit no longer flips)
  holds             neither
  failed            the new target gave no answer, or the scorer no finite score
  skipped           the run recorded an error or found no contrast (not counted)
Answers are cached by target name and settings: give --no-cache when the new model is served
under the same name at the same URL as the old one.
"""

STYLES = {"holds": "green", "drifted": "bold red", "lost": "bold red", "failed": "bold yellow", "skipped": "dim"}


def add_parsers(sub: Any) -> None:
    g = sub.add_parser(
        "gate", help="regression gate for CI: do a results file's contrasts still hold on a new target?",
        description="Asks the new target each found contrast's original and contrast prompt (no search), "
        "scores both answers with the run's own scorer and threshold, and fails when too many items no "
        "longer hold. Exit 0: passed; 1: more than --max-broken of the checked items do not hold; 2: bad input.",
        epilog=GATE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("results", help="results JSONL written by `promptfoil run`, `redteam` or `experiment`")
    g.add_argument("--max-broken", type=float, default=0.0, metavar="SHARE",
                   help="largest share of checked items that may not hold, 0-1 (default: %(default)s)")
    g.add_argument("--junit", metavar="FILE", help="also write JUnit XML (one test case per item) for CI")
    g.add_argument("--json", action="store_true", help="print the verdicts as one JSON object")
    g.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_component_options(g, infiller=False, scorer_default=None, scorer_help=(
        "how to build the run's scorer when its recorded name is not a registered one "
        "(e.g. a plugin's import path) (default: the name each record stores)"))
    add_endpoint_arguments(g)
    add_cache_options(g)
    g.set_defaults(max_tokens=None)  # default: the max_tokens the run recorded (answers are compared as it cut them)


def recorded_max_tokens(records: list[dict[str, Any]]) -> int:
    """The response length the run asked for (its settings), else the default."""
    for rec in records:
        value = (rec.get("settings") or {}).get("max_tokens") if isinstance(rec.get("settings"), dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
    return DEFAULT_MAX_TOKENS


def _config(args: argparse.Namespace, records: list[dict[str, Any]] | None = None) -> Config:
    max_tokens = args.max_tokens if args.max_tokens is not None else recorded_max_tokens(records or [])
    return Config(
        target=Component(args.target, args.target_model, dict(args.target_option)),
        scorer=Component(args.scorer or DEFAULT_SCORER, args.scorer_model, dict(args.scorer_option)),
        max_tokens=max_tokens, endpoint=endpoint_from_args(args), cache=cache_from_args(args),
    )


def _scorer_builder(args: argparse.Namespace, cfg: Config, err: Console) -> Any:
    """Recorded scorer name -> Scorer, built through the Config path (``--scorer`` wins)."""

    def build(recorded: str) -> Scorer:
        name = args.scorer or recorded
        if not args.scorer and recorded not in scorers:  # a results file names components, never code
            raise ConfigError(f"the results were scored by {recorded!r}, which is not a registered scorer "
                              f"(registered: {', '.join(scorers.names())}); a results file may only name "
                              "registered components: give the scorer with --scorer (an import path "
                              "package.module:Name is accepted there)")
        scorer = build_scorer(replace(cfg, scorer=Component(name, args.scorer_model, dict(args.scorer_option))))
        if args.scorer and getattr(scorer, "name", recorded) != recorded:
            err.print(f"[yellow]warning:[/yellow] the results were scored by '{recorded}'; "
                      f"checking with '{scorer.name}' against the run's thresholds", highlight=False)
        return scorer

    return build


def _fmt(score: float | None) -> str:
    return "" if score is None else f"{score:.3f}"


def render(report: GateReport, title: str) -> Table:
    """A table of verdicts, one row per item (model text stays plain text)."""
    t = Table(title=title, title_justify="left")
    for col, just in (("id", "left"), ("verdict", "left"), ("drift", "right"), ("flip", "right"),
                      ("δ", "right"), ("why", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for it in visible_all(report.items):
        delta = "" if it.threshold is None else f"{it.threshold:g}"
        t.add_row(Text(it.id), Text(LABELS[it.verdict], style=STYLES[it.verdict]), _fmt(it.drift),
                  _fmt(it.flip), delta, Text(it.reason))
    t.caption = "drift = g(x0, y0, x0, y0'), flip = g(x0, y0', xc, yc'): stored y, new y'"
    return t


def summary_line(report: GateReport) -> Text:
    s = report.summary
    verdict = Text("PASSED", style="bold green") if s.passed else Text("FAILED", style="bold red")
    return Text.assemble(
        verdict,
        f": {s.checked} checked, {s.holds} hold, {s.drifted} original drifted, {s.lost} contrast lost, "
        f"{s.failed} failed; {s.skipped} skipped. Broken {s.broken}/{s.checked} = {s.broken_share:.1%} "
        f"({'at most' if s.passed else 'more than'} --max-broken {s.max_broken:.1%})",
    )


def cmd_gate(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..report.junit import write_junit
    from ..runs.results_file import read_results

    if args.junit:  # before any call: a failing write must not waste the check
        check_output(args.junit, "--junit", "junit", [args.results], args.force)
    records = read_results(args.results)
    cases = cases_from_records(records)
    cfg = _config(args, records)
    report = check_cases(cases, build_target(cfg), _scorer_builder(args, cfg, err), build_cache(cfg),
                         args.max_broken)
    if args.junit:
        try:
            write_junit(report, args.junit, name=f"promptfoil gate: {Path(args.results).name}")
        except OSError as exc:
            raise PromptfoilError(f"cannot write {args.junit}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        console.print(render(report, f"gate of {args.results}"))
        console.print(summary_line(report), highlight=False)
    return 0 if report.summary.passed else 1


COMMANDS = {"gate": cmd_gate}
