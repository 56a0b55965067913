"""Fetching a GGUF file from a model hub (for users who can reach one), through
``huggingface_hub``: ``OWNER/REPO/FILE.gguf`` or a ``.../OWNER/REPO/resolve/REV/FILE`` URL.

The file lands in ``<cache>/models/hub/OWNER/REPO/FILE`` with its sha256 beside it
(``FILE.sha256``), so ``promptfoil models verify`` can re-check it and
``hub:OWNER/REPO/FILE.gguf`` names it wherever a GGUF file is accepted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..errors import MissingDependency, PromptfoilError
from .model_fetch import Fetched
from .model_store import HUB_PREFIX, hub_path, models_dir, sha256_file, sidecar

#: The hub whose URLs need no ``endpoint`` (``huggingface_hub``'s default, or ``$HF_ENDPOINT``).
DEFAULT_HOST = "huggingface.co"


@dataclass(frozen=True)
class HubFile:
    """One file of a hub repository, and the hub that serves it (None: the default)."""

    repo_id: str
    filename: str
    revision: str | None = None
    endpoint: str | None = None

    @property
    def spec(self) -> str:
        """``OWNER/REPO/FILE``: how the file is named once fetched (after ``hub:``)."""
        return f"{self.repo_id}/{self.filename}"


def parse_hub(spec: str) -> HubFile:
    """A :class:`HubFile` from ``OWNER/REPO/FILE.gguf`` or a hub URL; else a one-line error."""
    text = spec.strip().removeprefix(HUB_PREFIX)
    if "://" in text:
        url = urlparse(text)
        parts = [p for p in url.path.split("/") if p]
        if url.scheme not in ("http", "https") or len(parts) < 5 or parts[2] not in ("resolve", "blob"):
            raise PromptfoilError(f"a hub URL looks like https://HOST/OWNER/REPO/resolve/REVISION/FILE (got {spec!r})")
        endpoint = None if url.netloc == DEFAULT_HOST else f"{url.scheme}://{url.netloc}"
        hub = HubFile(f"{parts[0]}/{parts[1]}", "/".join(parts[4:]), parts[3], endpoint)
    else:
        parts = [p for p in text.split("/") if p]
        if len(parts) < 3:
            raise PromptfoilError(f"a hub file is named OWNER/REPO/FILE.gguf (got {spec!r})")
        hub = HubFile(f"{parts[0]}/{parts[1]}", "/".join(parts[2:]))
    if not hub.filename.endswith(".gguf"):
        raise PromptfoilError(f"only GGUF files can be fetched from a hub (got {hub.filename!r})")
    hub_path(hub.spec)  # refuses '..' and empty parts
    return hub


def hub_download(hub: HubFile, local_dir: Path) -> Path:
    """Download ``hub`` into the staging folder ``local_dir`` with ``huggingface_hub``; the
    file's path. Tests replace this function."""
    try:
        import huggingface_hub
    except ImportError:
        raise MissingDependency("Fetching from a model hub", "huggingface_hub", "hf",
                                "or: pip install huggingface_hub") from None
    try:
        got = huggingface_hub.hf_hub_download(hub.repo_id, hub.filename, revision=hub.revision,
                                              endpoint=hub.endpoint, local_dir=str(local_dir))
    except Exception as exc:  # noqa: BLE001 - network, auth, missing file: one line for the user
        first = (str(exc).strip().splitlines() or [""])[0]
        raise PromptfoilError(f"could not fetch {hub.spec} from the model hub: {type(exc).__name__}: {first}") from None
    return Path(got)


def fetch_hub(spec: str, sha256: str | None = None, force: bool = False) -> Fetched:
    """Fetch a hub GGUF file into the model cache and record its sha256; with ``sha256`` a
    file that does not match is refused. The download goes to a staging folder that is always
    removed: the model's own folder only ever holds finished files."""
    hub = parse_hub(spec)
    final = hub_path(hub.spec)
    expected = sha256.lower() if sha256 else None
    if final.is_file() and sidecar(final).is_file() and not force:
        recorded = sidecar(final).read_text(encoding="utf-8").split()[0]
        if expected in (None, recorded):
            return Fetched(HUB_PREFIX + hub.spec, final, final.stat().st_size, recorded, 0.0, already=True)
    t0 = time.perf_counter()
    models_dir().mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".hub-", dir=models_dir()))  # whatever is left here goes
    try:
        got = hub_download(hub, stage).resolve()
        if not got.is_file():
            raise PromptfoilError(f"the hub download of {hub.spec} left no file")
        digest = sha256_file(got)
        if expected and digest != expected:
            raise PromptfoilError(f"{hub.spec} does not match the sha256 given (got {digest[:12]}…, expected "
                                  f"{expected[:12]}…); nothing was kept")
        final.parent.mkdir(parents=True, exist_ok=True)
        if not got.is_relative_to(stage.resolve()):  # a link into another cache: copy it in
            shutil.copyfile(got, stage / ".copy")
            got = stage / ".copy"
        os.replace(got, final)
        sidecar(final).write_text(f"{digest}  {final.name}\n", encoding="utf-8")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Fetched(HUB_PREFIX + hub.spec, final, final.stat().st_size, digest, time.perf_counter() - t0)
