"""``promptfoil gate``: does a results file's documented behaviour still hold on a new target?

Exit 0 when the share of checked items that do not hold is at most ``--max-broken``, 1 when
it is above, 2 on bad input (the shared handler in :mod:`promptfoil.cli` prints one line).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..build import build_cache, build_scorer, build_target
from ..config import DEFAULT_MAX_TOKENS, DEFAULT_SCORER, Component, Config
from ..errors import ConfigError, PromptfoilError
from ..infill.base import infillers
from ..uses.gate import DEFAULT_MIN_PASS_RATE, LABELS, Case, GateReport, cases_from_records, check_cases
from ..uses.gate import check_pass_rate
from ..uses.gate_explain import explain_regressions, search_config
from ..scorers.base import Scorer, scorers
from ..report.visible import visible, visible_all
from .paths import FORCE_HELP, check_output
from .options import (
    add_cache_options, add_component_options, add_endpoint_arguments, cache_from_args, component_name,
    endpoint_from_args, parse_option,
)

GATE_EXAMPLES = """\
examples:
  promptfoil gate results.jsonl --target openai --base-url $NEW_MODEL_URL --target-model new \\
      --max-broken 0.1 --junit gate.xml --markdown gate.md --html gate.html
  promptfoil gate results.jsonl --target-option temperature=0.7 --repeats 5 --json > gate.json

Every item is checked: the new answer y0' to the original prompt x0 and, where the run found
a contrast, yc' to the contrast prompt xc. With the run's scorer g, δ and direction, a sample
  original drifted  g(x0, y0, x0, y0') reaches δ (the stored answer moved like a contrast)
  contrast lost     otherwise, g(x0, y0', xc, yc') does not reach δ (the edit no longer flips)
  holds             neither
  failed            the new target gave no answer, or the scorer no finite score
  skipped           the run recorded an error for the item (not counted)

Decision rule: each item is asked --repeats K times; its pass rate (samples that hold) gets a
95% Wilson interval, and the item is broken when the whole interval lies below
--min-pass-rate (default 0.8: with K=1 the one sample must hold; with K=3 two of three must;
with K=5 three of five). When an item's K answers to x0 differ (a sampled target), its noise
band is the median score between two of them, less an answer's score against itself; a sample
then counts as drifted only when its drift passes δ by the band, and as lost only when its flip
falls short of δ by more than the band: sampling noise alone breaks nothing. The gate fails (exit 1) when more than --max-broken of the checked
items are broken. The paired old-vs-new figures (share that hold, flip-rate change, score
change, with 95% intervals) are reported beside it and never change the exit code.

The worst --explain N drifted or lost items are searched again on the new target (budget
--explain-budget calls each, the run's infiller and search settings): the new minimal edit
that flips the new model is shown beside the stored one, or "no contrast within budget".

Answers are cached by target name and settings: give --no-cache when the new model is served
under the same name at the same URL as the old one. A sampled target with a seed is asked with
seeds seed, seed+1, ... for the K samples, so a rerun is reproducible and cached.
"""

STYLES = {"holds": "green", "drifted": "bold red", "lost": "bold red", "failed": "bold yellow", "skipped": "dim"}


def add_parsers(sub: Any) -> None:
    g = sub.add_parser(
        "gate", help="regression gate for CI: does a results file's documented behaviour still hold on a new target?",
        description="Asks the new target every item's original prompt and, where the run found one, its contrast "
        "prompt (no search), scores the answers with the run's own scorer and threshold, explains the worst "
        "regressions by searching the new target, and fails when too many items no longer hold. Exit 0: passed; "
        "1: more than --max-broken of the checked items are broken; 2: bad input.",
        epilog=GATE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("results", help="results JSONL written by `promptfoil run`, `redteam` or `experiment`")
    g.add_argument("--max-broken", type=float, default=0.0, metavar="SHARE",
                   help="largest share of checked items that may be broken, 0-1 (default: %(default)s)")
    g.add_argument("--repeats", default="1", metavar="K",
                   help="ask each check K times (for a sampled target); whole number of at least 1 (default: 1)")
    g.add_argument("--min-pass-rate", default=str(DEFAULT_MIN_PASS_RATE), metavar="P",
                   help="an item is broken when the 95%% Wilson interval of its pass rate lies wholly below P "
                   "(default: %(default)s)")
    g.add_argument("--seed", type=int, default=0, help="seed of the paired comparison's bootstrap (default: 0)")
    e = g.add_argument_group("explaining regressions (the search run again on the new target)")
    e.add_argument("--explain", default="3", metavar="N",
                   help="search again the N worst drifted or lost items; 0: none (default: 3)")
    e.add_argument("--explain-budget", default="20", metavar="B",
                   help="target calls each of those searches may pay (default: 20)")
    e.add_argument("--infiller", type=component_name("infiller", infillers.names()), metavar="INFILLER",
                   help="infiller of those searches (default: the one the run recorded)")
    e.add_argument("--infiller-model", help="model for that infiller")
    e.add_argument("--infiller-option", type=parse_option, action="append", default=[], metavar="KEY=VALUE",
                   help="extra setting for that infiller (repeatable)")
    o = g.add_argument_group("outputs (checked before any call; never an input or the response cache)")
    o.add_argument("--junit", metavar="FILE", help="also write JUnit XML (one test case per item) for CI")
    o.add_argument("--markdown", metavar="FILE", help="also write a summary for a pull-request comment")
    o.add_argument("--html", metavar="FILE", help="also write a before/after HTML page")
    o.add_argument("--html-link", metavar="URL",
                   help="where the markdown links to the HTML page (e.g. a CI artifact URL; default: the --html path)")
    o.add_argument("--json", action="store_true", help="print the verdicts as one JSON object (every sample kept)")
    o.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_component_options(g, infiller=False, scorer_default=None, scorer_help=(
        "how to build the run's scorer when its recorded name is not a registered one "
        "(e.g. a plugin's import path) (default: the name each record stores)"))
    add_endpoint_arguments(g)
    add_cache_options(g)
    g.set_defaults(max_tokens=None)  # default: the max_tokens the run recorded (answers are compared as it cut them)


def whole_option(option: str, raw: str, least: int) -> int:
    """``raw`` as a whole number of at least ``least``, else a one-line ConfigError."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or value < least:
        raise ConfigError(f"{option} must be a whole number of at least {least} (got {raw!r})")
    return int(value)


def share_option(option: str, raw: str) -> float:
    """``raw`` as a share above 0 and at most 1, else a one-line ConfigError."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{option} must be a share above 0 and at most 1 (got {raw!r})")
    return value


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
    sampled = report.summary.repeats > 1
    cols = [("id", "left"), ("verdict", "left"), ("drift", "right"), ("flip", "right"), ("δ", "right")]
    for col, just in cols + ([("holds", "right")] if sampled else []) + [("why", "left")]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for it in visible_all(report.items):
        delta = "" if it.threshold is None else f"{it.threshold:g}"
        rate = [f"{it.passes}/{len(it.samples)}" if it.samples else ""] if sampled else []
        t.add_row(Text(it.id), Text(LABELS[it.verdict], style=STYLES[it.verdict]), _fmt(it.drift),
                  _fmt(it.flip), delta, *rate, Text(it.reason))
    t.caption = "drift = g(x0, y0, x0, y0'), flip = g(x0, y0', xc, yc'): stored y, new y'" + (
        " (first sample)" if sampled else "")
    return t


def explanation_lines(report: GateReport) -> list[Text]:
    """Per explained regression: the stored contrast, whether it still flips, the new one."""
    out: list[Text] = []
    for it in report.items:
        ex = it.explanation
        if ex is None:
            continue
        stored = "none (the run found no contrast)" if it.contrast_prompt is None else (
            f"{visible(it.contrast_prompt)!r} (edit distance {_fmt(it.stored_edit_distance)})")
        flips = {True: "yes", False: "no", None: "n/a"}[it.still_flips]
        new = (f"{visible(ex.contrast_prompt or '')!r} (edit distance {_fmt(ex.edit_distance)}; {ex.boundary})"
               if ex.found else ex.boundary)
        out.append(Text.assemble((f"{visible(it.id)}", "bold"), f" {LABELS[it.verdict]}: stored contrast {stored}; "
                                 f"still flips the new model: {flips}; new contrast: {new}"))
    return out


def summary_line(report: GateReport) -> Text:
    s = report.summary
    verdict = Text("PASSED", style="bold green") if s.passed else Text("FAILED", style="bold red")
    return Text.assemble(
        verdict,
        f": {s.checked} checked, {s.holds} hold, {s.drifted} original drifted, {s.lost} contrast lost, "
        f"{s.failed} failed; {s.skipped} skipped. Broken {s.broken}/{s.checked} = {s.broken_share:.1%} "
        f"({'at most' if s.passed else 'more than'} --max-broken {s.max_broken:.1%})",
    )


def _explainers(cfg: Config, target: Any, cache: Any, scorer_of: Any, infiller: Component | None,
                budget: int) -> Any:
    """Case -> Explainer on the new target (one per distinct recorded setting, models loaded once)."""
    from ..explainer import Explainer

    made: dict[str, Explainer] = {}

    def explainer_for(case: Case) -> Explainer:
        base = replace(cfg, target=Component(target), scorer=Component(scorer_of(case.scorer)),
                       cache=cache if cache is not None else False)
        sc = search_config(case, base, budget, infiller)
        key = repr((sc.infiller, sc.search, case.scorer))
        if key not in made:
            made[key] = Explainer(sc)
        return made[key]

    return explainer_for


def _check_outputs(args: argparse.Namespace, cache: Any) -> list[tuple[str, str, str]]:
    """(option, path, kind) of each output asked for, once each is safe to write (before any call)."""
    given = [(o, p, k) for o, p, k in (("--junit", args.junit, "junit"), ("--markdown", args.markdown, "gate-summary"),
                                        ("--html", args.html, "html")) if p]
    for option, path, kind in given:
        others = [q for o, q, _ in given if o != option]
        if any(os.path.realpath(q) == os.path.realpath(path) for q in others):
            raise ConfigError(f"{option} {path} is also another output of this command; give each output its own file")
        check_output(path, option, kind, [args.results, *others], args.force, cache=cache)
    return given


def _write(report: GateReport, args: argparse.Namespace, outputs: list[tuple[str, str, str]]) -> None:
    from ..report.gate_html import render_gate_html
    from ..report.gate_markdown import render_markdown
    from ..report.junit import junit_text

    name = Path(args.results).name
    link = args.html_link or (os.path.relpath(args.html, Path(args.markdown).parent) if args.html and args.markdown
                              else None)
    for option, path, kind in outputs:
        if kind == "junit":
            text = junit_text(report, name=f"promptfoil gate: {name}")
        elif kind == "gate-summary":
            text = render_markdown(report, name, html_link=link)
        else:
            text = render_gate_html(report, title=f"promptfoil gate: {name}", source=str(args.results))
        try:
            Path(path).write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise PromptfoilError(f"cannot write {option} {path}: {exc.strerror or exc}") from None


def cmd_gate(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..runs.results_file import read_results

    repeats = whole_option("--repeats", args.repeats, 1)
    min_pass_rate = share_option("--min-pass-rate", args.min_pass_rate)
    explain, explain_budget = whole_option("--explain", args.explain, 0), whole_option("--explain-budget", args.explain_budget, 1)
    check_pass_rate(repeats, min_pass_rate)
    outputs = _check_outputs(args, cache_from_args(args))  # before any call: a failing write must not waste the check
    records = read_results(args.results)
    cases = cases_from_records(records)
    infiller = Component(args.infiller, args.infiller_model, dict(args.infiller_option)) if args.infiller else None
    cfg = _config(args, records)
    target, cache, scorer_of = build_target(cfg), build_cache(cfg), _scorer_builder(args, cfg, err)
    report = check_cases(cases, target, scorer_of, cache, args.max_broken, repeats, min_pass_rate, args.seed)
    if explain and report.regressions():
        report = explain_regressions(report, cases, _explainers(cfg, target, cache, scorer_of, infiller, explain_budget),
                                     explain, explain_budget)
    _write(report, args, outputs)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        console.print(render(report, f"gate of {args.results}"))
        for line in explanation_lines(report):
            console.print(line, highlight=False)
        if report.paired is not None:
            console.print(Text(f"old vs new: {report.paired.line()}"), highlight=False)
        console.print(summary_line(report), highlight=False)
    return 0 if report.summary.passed else 1


COMMANDS = {"gate": cmd_gate}
