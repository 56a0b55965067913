"""Query stage: the target LLM being explained, batch in and batch out, behind a cache.
Owns the Target protocol and base class, the response cache, the Budget and the QueryStage."""

from .base import BaseTarget, Target, targets
from .cache import ResponseCache, default_cache_path
from .function import FunctionTarget

__all__ = ["BaseTarget", "FunctionTarget", "ResponseCache", "Target", "default_cache_path", "targets"]
