"""One rule for every file promptfoil writes, checked before any model is loaded or asked.

An output is never an input of the same command, and the response cache (with its SQLite
``-wal``/``-journal``/``-shm`` files) always counts as an input; ``--force`` never changes
that. Paths are compared after resolving symlinks, and by device and inode, so a symlink
or a hard link cannot smuggle an input in under another name. An output is never a folder,
and never an existing file of another kind unless ``--force`` says so (an HTML report may
replace an HTML report, never your notes). Inside a folder promptfoil owns (an experiment),
no file is written through a link.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..codec.jsonl import loads
from ..errors import ConfigError, PromptfoilError
from ..targets.cache import default_cache_path

#: Files SQLite keeps beside a database while it is open; writing over one damages the cache.
SQLITE_SIDECARS = ("-wal", "-journal", "-shm")


def cache_files(cache: Any = True) -> list[Path]:
    """The response cache's files for ``cache`` (a ``Config.cache`` value: True, a path, a
    ResponseCache, or False) and, always, the default cache's: each with its sidecars."""
    paths = [default_cache_path()]
    if isinstance(cache, (str, os.PathLike)):
        paths.append(Path(cache))
    elif getattr(cache, "path", None) is not None:
        paths.append(Path(cache.path))
    return [p.with_name(p.name + s) for p in paths for s in ("", *SQLITE_SIDECARS)]


def resolved(path: str | Path) -> Path:
    """``path`` with every symlink followed (also of a file that does not exist yet)."""
    return Path(os.path.realpath(path))


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when writing ``a`` would write ``b``: the same path once symlinks are followed,
    or one file under two names (hard links: same device and inode)."""
    try:
        if resolved(a) == resolved(b):
            return True
        return os.path.samestat(os.stat(a), os.stat(b))
    except (OSError, ValueError):
        return False


def refuse_inputs(path: str | Path, option: str, inputs: Iterable[str | Path | None], cache: Any = True) -> None:
    """A ConfigError when writing ``path`` would write one of ``inputs`` or the response cache."""
    for src in inputs:
        if src is not None and str(src) != "-" and same_file(path, src):
            raise ConfigError(f"{option} {path} is also an input of this command ({src}); "
                              "write the output to another file")
    for c in cache_files(cache):
        if same_file(path, c):
            raise ConfigError(f"{option} {path} is the response cache ({c}); "
                              "write the output to another file (--force does not change this)")


def _head(p: Path, n: int = 4096) -> str:
    try:
        with p.open("rb") as fh:
            return fh.read(n).decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    except OSError:
        return ""


def _jsonl(text: str) -> bool:
    line = text.split("\n", 1)[0]
    try:
        return isinstance(loads(line, "first line"), dict)
    except PromptfoilError:
        return line.startswith("{")  # a first line longer than the sniffed head


#: Does an existing file's beginning look like a file of this kind (so replacing it is safe)?
KINDS: dict[str, Callable[[str], bool]] = {
    "html": lambda head: head[:15].lower().startswith(("<!doctype html", "<html")),
    "svg": lambda head: head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in head),
    "junit": lambda head: head.startswith("<?xml") and "<testsuite" in head,
    "jsonl": _jsonl,
    "md": lambda head: True,
    # the gate's pull-request summary (report/gate_markdown.MARKER): only an earlier one is replaced
    "gate-summary": lambda head: head.startswith("<!-- promptfoil gate summary -->"),
    "csv": lambda head: True,
    "png": lambda head: head.startswith("\ufffdPNG") or head.startswith("PNG"),
}


def check_output(
    path: str | Path, option: str, kind: str, inputs: Iterable[str | Path | None] = (), force: bool = False,
    cache: Any = True,
) -> Path:
    """``path`` once it is safe to write a ``kind`` file there; otherwise one clear error
    naming ``option``. ``inputs`` are the files this command reads; ``cache`` the response
    cache it uses (``Config.cache``), which is never written over, whatever ``force`` says.

    Nothing is left behind: an existing file is opened for appending (not changed), a new
    one is created and removed again.
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{option} {p} is a folder; give a file path")
    refuse_inputs(p, option, inputs, cache)
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


def check_output_folder(path: str | Path, option: str, inputs: Iterable[str | Path | None] = (),
                        cache: Any = True) -> Path:
    """A folder to write into: not an existing file, not an input, not the cache."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{option} {p} is a file; give a folder")
    refuse_inputs(p, option, inputs, cache)
    return p


def check_inside(folder: str | Path, path: str | Path, inputs: Iterable[str | Path | None] = (),
                 cache: Any = True) -> Path:
    """``path``, a file promptfoil writes inside its own ``folder``, once writing it cannot
    write anything else: not a symlink, not one of several hard links to a file, resolving
    inside ``folder``, not an input or the cache. Otherwise a PromptfoilError naming it."""
    p = Path(path)
    if p.is_symlink():
        raise PromptfoilError(f"{p} is a symbolic link; promptfoil does not write through links in {folder} "
                              "(remove the link)")
    if p.exists():
        st = p.stat()
        if not p.is_file():
            raise PromptfoilError(f"{p} is not a regular file; cannot write it")
        if st.st_nlink > 1:
            raise PromptfoilError(f"{p} is a hard link to another file ({st.st_nlink} names); "
                                  "promptfoil does not write through links (remove it)")
    root = resolved(folder)
    if root not in resolved(p).parents:
        raise PromptfoilError(f"{p} resolves outside {folder}; promptfoil does not write through links there")
    refuse_inputs(p, str(folder), inputs, cache)
    return p
