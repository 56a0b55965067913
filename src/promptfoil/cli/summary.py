"""``promptfoil summary``: the dataset profile of a ``run``/``redteam`` results file or an
``experiment`` folder, as a table (default), JSON (``--json``) or an HTML page (``--html``)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from ..runs.jsonout import strict_dumps
from .paths import FORCE_HELP, check_output

EXAMPLES = """\
examples:
  promptfoil summary results.jsonl                     # flip rate by rule/category when the rows have one
  promptfoil summary results.jsonl --by category --json
  promptfoil summary findings.jsonl --html profile.html  # red team: breaches first, then findings by rule
  promptfoil summary exp/                              # every results file of an experiment, by run
"""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "summary", help="profile a results file: flip rate per category, words that flip answers, cost",
        description="Flip rate with its standard error overall and per category (--by FIELD: any field "
        "of the input rows), the words and kinds of edit that most often flip answers, LLM calls and "
        "seconds per item; for redteam results first the questions whose original answer the policy "
        "judge already rates as breaking the policy, then findings by rule with the strongest of each.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", help="a results JSONL (run, redteam) or an experiment folder")
    p.add_argument("--by", metavar="FIELD", help="split the flip rate by this field (default: run, rule or "
                   "category, the first the results have)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--html", metavar="FILE", help="also write the profile as one self-contained HTML page")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def cmd_summary(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..uses.summary import load, summarize

    if args.html:
        check_output(args.html, "--html", "html", [args.results], args.force)
    records, kind = load(args.results)
    s = summarize(records, str(args.results), args.by, kind or None)
    if args.json:
        print(strict_dumps(s.to_dict(), ensure_ascii=False))
    else:
        from ..report.summary import render_summary

        render_summary(s, console)
    if args.html:
        from ..report.html import write_html

        path = write_html(records, args.html, title=f"profile of {args.results}", source=str(args.results),
                          profile=s, cards=False)
        (err if args.json else console).print(f"profile written to {path}", highlight=False)
    return 0


COMMANDS = {"summary": cmd_summary}
