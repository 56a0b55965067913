"""Output paths are checked before any work is done, so a finished result is never lost to a
side output that cannot be written."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError


def check_writable(path: str | Path, option: str) -> Path:
    """``path`` if a file can be written there; otherwise a clear error naming ``option``.

    Nothing is left behind: the check opens an existing file for appending, or creates and
    removes a new one.
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{option} {p} is a folder; give a file path")
    existed = p.exists()
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
