"""Query stage: the target LLM being explained, batch in and batch out, behind a cache."""

from .base import BaseTarget, Target, targets
from .cache import ResponseCache, default_cache_path
from .function import FunctionTarget

__all__ = ["BaseTarget", "FunctionTarget", "ResponseCache", "Target", "default_cache_path", "targets"]
