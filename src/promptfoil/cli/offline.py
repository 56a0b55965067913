"""Fail at once, not after minutes of retries, when a component needs a hub model that is not
on this machine and the hub may not be reached (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import PromptfoilError

_TRUE = ("1", "true", "yes", "on")


def offline() -> bool:
    """The user said the hub must not be reached."""
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def in_local_cache(model: str) -> bool:
    """A local folder, or a hub id whose ``config.json`` lies in the local hub cache."""
    if Path(model).expanduser().exists():
        return True
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        found = try_to_load_from_cache(model, "config.json", cache_dir=os.environ.get("HF_HUB_CACHE") or None)
    except Exception:  # noqa: BLE001 - a malformed id: let the loader say what is wrong
        return True
    return isinstance(found, str)


def check_available_offline(component: Any, what: str, hint: str = "") -> None:
    """When offline, a component whose ``model`` is a hub id missing from the local cache is an error now."""
    model = getattr(component, "model", None)
    if not isinstance(model, str) or "/" not in model or not offline() or in_local_cache(model):
        return
    raise PromptfoilError(
        f"{what} needs the model '{model}', which is not in the local Hugging Face cache, and "
        f"HF_HUB_OFFLINE is set: download it first (unset HF_HUB_OFFLINE once){hint}"
    )
