"""``promptfoil doctor``: the first command to run when something does not work. It lists what
is installed and what is missing, each missing piece with the command that fixes it.

Exit 0 when everything the default ``explain`` needs is there (and a ``--base-url`` given
answered), 1 otherwise; missing optional extras are listed but do not fail it.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.text import Text

from ..report.visible import visible
from ..runs.jsonout import strict_dumps

EXAMPLES = """\
examples:
  promptfoil doctor                                          # packages, models, cache
  promptfoil doctor --base-url http://localhost:8000/v1      # also: does the server answer GET /models?
  promptfoil doctor --json                                   # one JSON object for scripts
"""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "doctor", help="what is installed and what is missing, with the command that fixes each",
        description="Checks the optional packages (extras) and their versions, the llama.cpp build, the "
        "embedded models, the response cache (location, size) and, with --base-url, whether an "
        "OpenAI-compatible server answers. Exit 0: the defaults can run; 1: something they need is missing.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--base-url", metavar="URL", default=None,
                   help="an OpenAI-compatible server to try (default: $OPENAI_BASE_URL when set)")
    p.add_argument("--api-key-env", metavar="VAR", default="OPENAI_API_KEY",
                   help="environment variable holding the server's key (default: %(default)s; never shown)")
    p.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS",
                   help="how long to wait for the server (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def cmd_doctor(args: argparse.Namespace, console: Console, err: Console) -> int:
    import os

    from ..errors import ConfigError
    from ..uses.doctor import diagnose

    if not (0 < args.timeout <= 60):
        raise ConfigError(f"--timeout must be above 0 and at most 60 seconds, got {args.timeout:g}")
    base_url = args.base_url or os.environ.get("OPENAI_BASE_URL") or None
    d = diagnose(base_url, args.api_key_env, args.timeout)
    if args.json:
        print(strict_dumps(d.to_dict(), ensure_ascii=False))
        return 0 if d.healthy else 1
    group = None
    for c in d.checks:
        if c.group != group:
            group = c.group
            console.print(Text(group, style="bold"))
        mark = ("✓", "green") if c.ok else (("✗", "bold red") if c.needed else ("–", "yellow"))
        console.print(Text.assemble("  ", mark, f" {visible(c.name)}: ", (visible(c.detail), "dim" if c.ok else "")),
                      highlight=False, soft_wrap=True)
        if c.fix:
            console.print(Text.assemble("      fix: ", (c.fix, "cyan")), highlight=False, soft_wrap=True)
    if d.healthy:
        console.print("the defaults can run (promptfoil demo -n 1 tries them)", highlight=False)
    else:
        console.print(Text("something needed is missing or does not answer: run the fix lines marked ✗",
                           style="bold red"), highlight=False)
    return 0 if d.healthy else 1


COMMANDS = {"doctor": cmd_doctor}
