"""Cheap, stable identities of model files for the response cache: they change when the
weights (or a folder's configs and chat template) do, without reading gigabytes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

HEAD = 1 << 20  # bytes of a weight file that are hashed
WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".gguf")


def _feed(h: Any, path: Path, whole: bool) -> None:
    with path.open("rb") as fh:
        h.update(fh.read() if whole else fh.read(HEAD))


def file_identity(path: Path) -> str:
    """``name:size:hash`` of one model file (the hash covers its first MiB)."""
    h = hashlib.sha256()
    _feed(h, path, whole=False)
    return f"{path.name}:{path.stat().st_size}:{h.hexdigest()[:16]}"


def folder_identity(path: Path) -> str:
    """``resolved-path:hash`` of a model folder: every small file whole (configs, tokenizer,
    chat template), and the name, size and first MiB of each weight file."""
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file():
            h.update(f"{f.name}:{f.stat().st_size}".encode())
            _feed(h, f, whole=f.suffix not in WEIGHTS)
    return f"{path.resolve()}:{h.hexdigest()[:16]}"
