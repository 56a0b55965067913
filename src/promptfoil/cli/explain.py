"""``promptfoil explain``, ``demo`` and ``list``: one prompt at a time, and discovery."""

from __future__ import annotations

import argparse
from pathlib import Path
import os
import sys
from typing import Any

from rich.console import Console

from ..config import DEFAULT_BUDGET
from ..errors import ConfigError, PromptfoilError
from ..explainer import Explainer
from ..infill.base import infillers
from ..scorers.base import scorers
from ..search import searches
from ..targets.base import targets
from ..runs.jsonout import strict_dumps
from .options import add_conversation_options, add_explainer_options, cache_from_args, config_from_args, parse_budget
from .paths import FORCE_HELP, check_output

EXAMPLES = """\
examples:
  promptfoil explain "Why are rich people able to avoid financial ruin?"
  promptfoil explain "Is it fine to skip a friend's wedding?" --algorithm cell --split-k 2
  promptfoil explain "..." --budget 20 --threshold 0.4 --json > result.json
  promptfoil explain "..." --time-budget 60 --scorer mypkg.judges:Strict   # a plugin scorer
  promptfoil explain --conversation chat.json --edit user:-1 --scorer judge-contradiction
  promptfoil explain --conversation chat.json --edit 'assistant:*' --scorer maxims
  promptfoil list                      # every target, infiller, scorer and algorithm
"""


def _protect(value: str) -> tuple[int, ...]:
    try:
        parts = tuple(int(p) for p in value.split(":"))
        if len(parts) not in (2, 3):
            raise ValueError
        return parts
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START:END character offsets (TURN:START:END in a conversation), got {value!r}"
        ) from None


def read_conversation(source: str) -> Any:
    """The conversation of ``--conversation FILE`` (``-``: standard input)."""
    from ..prompt.conversation import load_messages

    if source == "-":
        return load_messages(_stdin_text("the conversation"), "standard input")
    try:
        with open(source, encoding="utf-8") as fh:
            raw = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read conversation file {source}: {exc}") from None
    return load_messages(raw, source)


def add_parsers(sub: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    ex = sub.add_parser(
        "explain", help="explain the target's response to one prompt",
        description="Query the target with PROMPT, then search for a minimally edited prompt whose "
        "response scores past the threshold against the original response.",
        epilog=EXAMPLES, formatter_class=fmt,
    )
    ex.add_argument("prompt", nargs="?", help="the prompt to explain (use '-' to read it from standard input)")
    ex.add_argument("--conversation", metavar="FILE", help="explain the next assistant reply of a conversation: a JSON "
                    "list of {\"role\", \"content\"} messages ending with a user turn ('-': standard input)")
    s = add_explainer_options(ex)
    s.add_argument("--protect", type=_protect, action="append", default=[], metavar="START:END", help="character span never edited (repeatable); in a conversation TURN:START:END within that turn")
    s.add_argument("--protect-text", action="append", default=[], metavar="TEXT", help="never edit any occurrence of TEXT in the prompt, or in the edited turns of a conversation (repeatable), e.g. --protect-text 'in one sentence'")
    s.add_argument("--edit-only-text", action="append", default=[], metavar="TEXT", help="edit only inside the occurrences of TEXT; the rest of the prompt (of the edited turns) is protected (repeatable)")
    add_conversation_options(s)
    o = ex.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print the result as one JSON object")
    o.add_argument("--no-trace", action="store_true", help="leave the search trace out of --json output")
    o.add_argument("--svg", metavar="PATH", help="also save the terminal rendering as an SVG picture")
    o.add_argument("--html", metavar="PATH", help="also write a self-contained HTML report with the trace explorer")
    o.add_argument("--force", action="store_true", help=FORCE_HELP)

    sub.add_parser("list", help="list targets, infillers, scorers and algorithms (plugins included)")

    demo = sub.add_parser(
        "demo", help="explain a few shipped prompts with the embedded default models",
        description="Runs the default pipeline (SmolLM2 target, LM infiller, the auto scorer, CELL-budget) "
        "on the first N prompts shipped with promptfoil. The auto scorer reads a yes/no question's verdict "
        "when the qwen-0.5b judge is fetched (promptfoil models fetch qwen-0.5b; make demo fetches it) and "
        "measures how far the answer's meaning moved otherwise; each result says which and why.",
    )
    demo.add_argument("-n", type=int, default=3, help="how many shipped prompts (default: %(default)s)")
    demo.add_argument("--budget", type=parse_budget, default=DEFAULT_BUDGET, help="budget per explanation (default: %(default)s)")


def cmd_list(args: argparse.Namespace, console: Console, err: Console) -> int:
    from rich.table import Table

    for title, reg in (("targets", targets), ("infillers", infillers), ("scorers", scorers), ("algorithms", searches)):
        table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
        table.add_column(style="cyan", no_wrap=True)
        table.add_column()
        for e in reg.entries():
            table.add_row(e.name, e.summary if e.source == "built-in" else f"{e.summary} ({e.source})")
        console.print(table)
    console.print(f"plugins register in the entry-point groups {', '.join(r.group for r in (targets, infillers, scorers, searches))}",
                  style="dim", highlight=False)
    return 0


def read_prompt(arg: str) -> str:
    """The prompt argument, or standard input for ``-``, as text; invalid UTF-8 is a clear error."""
    if arg != "-":
        return arg
    return _stdin_text("the prompt")


def _stdin_text(what: str) -> str:
    """Standard input as text; invalid UTF-8 is a clear error."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # already text (a replaced sys.stdin)
        return sys.stdin.read()
    data = raw.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"standard input is not valid UTF-8 text: byte 0x{data[exc.start]:02x} at position {exc.start} "
            f"(save {what} as UTF-8)"
        ) from None


def _explain_input(args: argparse.Namespace) -> Any:
    """The prompt text, or the conversation of ``--conversation``."""
    if args.conversation is not None:
        if args.prompt is not None:
            raise ConfigError("give either a PROMPT or --conversation FILE, not both")
        return read_conversation(args.conversation)
    if args.prompt is None:
        raise ConfigError("give a PROMPT to explain, or --conversation FILE")
    if args.edit is not None:
        raise ConfigError("--edit selects turns of a conversation; use it with --conversation FILE")
    return read_prompt(args.prompt)


def cmd_explain(args: argparse.Namespace, console: Console, err: Console) -> int:
    # Side outputs are checked before the search, and written after the result is shown.
    inputs = [args.conversation]
    if args.svg and args.html and Path(args.svg).resolve() == Path(args.html).resolve():
        raise ConfigError("--svg and --html name the same file; give each its own")
    cache = cache_from_args(args)
    svg = check_output(args.svg, "--svg", "svg", inputs, args.force, cache) if args.svg else None
    html = check_output(args.html, "--html", "html", inputs, args.force, cache) if args.html else None
    prompt = _explain_input(args)
    explainer = Explainer(config_from_args(args))
    kw: dict[str, Any] = {"protect_text": args.protect_text, "edit_only_text": args.edit_only_text}
    if not isinstance(prompt, str):
        kw["edit"] = args.edit
    show = err.is_terminal and not args.json
    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("explaining"), BarColumn(), MofNCompleteColumn(), TextColumn("target calls{task.fields[cached]}"),
            TimeElapsedColumn(), console=err, transient=True,
        ) as bar:
            task = bar.add_task("search", total=explainer.budget, cached="")

            def moved(paid: int, cached: int = 0) -> None:  # cache hits shown: a cached rerun moves too
                bar.update(task, completed=paid, cached=f", {cached} cached" if cached else "")

            result = explainer.explain(prompt, protected=args.protect, progress=moved, **kw)
    elif not err.is_terminal:  # piped, nohup: a plain line every few target calls
        from .progress import CallLines

        result = explainer.explain(prompt, protected=args.protect,
                                   progress=CallLines(err, "explaining", explainer.budget), **kw)
    else:
        result = explainer.explain(prompt, protected=args.protect, **kw)
    from ..report.terminal import render

    if args.json:
        d = result.to_dict()
        if args.no_trace:
            d.pop("trace")
        print(strict_dumps(d, ensure_ascii=False))
    else:
        render(result, console)  # the result first: a side output that fails cannot lose it
    try:
        if html is not None:
            from ..report.html import write_explanation_html

            write_explanation_html(result, html)
        if svg is not None and not args.json:
            with open(os.devnull, "w") as sink:
                rec = Console(record=True, width=100, file=sink)
                render(result, rec)
                rec.save_svg(str(svg), title="promptfoil explain")
    except OSError as exc:
        raise PromptfoilError(f"the explanation is above, but an output file could not be written: {exc}") from None
    return 0


def cmd_demo(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..uses.datasets import shipped_prompts
    from ..report.terminal import render

    explainer = Explainer(budget=args.budget)
    found = 0
    items = shipped_prompts()[: max(1, args.n)]
    for i, item in enumerate(items, 1):
        console.rule(f"[bold]{i}/{len(items)}[/bold]  {item['id']}")
        result = explainer.explain(item["prompt"])
        render(result, console)
        found += result.found
    console.rule(f"{found}/{len(items)} explanations found")
    return 0


COMMANDS = {"explain": cmd_explain, "list": cmd_list, "demo": cmd_demo}
