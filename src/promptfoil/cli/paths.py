"""One rule for every file the CLI writes, checked before any model is loaded or asked.

An output is never an input of the same command, never a folder, and never an existing file
of another kind unless ``--force`` says so (an HTML report may replace an HTML report, never
your notes). A finished result is never lost to a side output that cannot be written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import ConfigError

FORCE_HELP = "replace an existing output file even when it is not of the kind this command writes"


def _head(p: Path, n: int = 4096) -> str:
    try:
        with p.open("rb") as fh:
            return fh.read(n).decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    except OSError:
        return ""


def _jsonl(text: str) -> bool:
    line = text.split("\n", 1)[0]
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return line.startswith("{")  # a first line longer than the sniffed head


#: Does an existing file's beginning look like a file of this kind (so replacing it is safe)?
KINDS: dict[str, Callable[[str], bool]] = {
    "html": lambda head: head[:15].lower().startswith(("<!doctype html", "<html")),
    "svg": lambda head: head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in head),
    "junit": lambda head: head.startswith("<?xml") and "<testsuite" in head,
    "jsonl": _jsonl,
}


def same_file(a: str | Path, b: str | Path) -> bool:
    try:
        pa, pb = Path(a), Path(b)
        return pa.exists() and pb.exists() and os.path.samefile(pa, pb)
    except OSError:
        return False


def check_output(
    path: str | Path, option: str, kind: str, inputs: Iterable[str | Path | None] = (), force: bool = False,
) -> Path:
    """``path`` once it is safe to write a ``kind`` file there; otherwise one clear error
    naming ``option``. ``inputs`` are the files this command reads.

    Nothing is left behind: an existing file is opened for appending (not changed), a new
    one is created and removed again.
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{option} {p} is a folder; give a file path")
    for src in inputs:
        if src is not None and str(src) != "-" and same_file(p, src):
            raise ConfigError(f"{option} {p} is also an input of this command; write the output to another file")
    existed = p.exists()
    if existed:
        if not p.is_file():
            raise ConfigError(f"{option} {p} is not a regular file")
        head = _head(p)
        if head and not force and not KINDS[kind](head):
            raise ConfigError(
                f"{option} {p} exists and is not a {kind} file; refusing to replace it "
                "(give another path, or --force to replace it)"
            )
    try:
        with p.open("a"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write {option} {p}: {exc.strerror or exc}") from None
    if not existed:
        try:
            os.unlink(p)
        except OSError:
            pass
    return p


def check_output_folder(path: str | Path, option: str, inputs: Iterable[str | Path | None] = ()) -> Path:
    """A folder to write into: not an existing file, not an input."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{option} {p} is a file; give a folder")
    for src in inputs:
        if src is not None and str(src) != "-" and same_file(p, src):
            raise ConfigError(f"{option} {p} is also an input of this command")
    return p
