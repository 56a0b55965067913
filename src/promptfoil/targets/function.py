"""Any Python callable ``list[str] -> list[str]`` as a target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import PromptfoilError
from .base import BaseTarget


class FunctionTarget(BaseTarget):
    """Wraps a batch function. Give ``name`` to let its answers be cached on disk.

    Without a name the function has no stable identity (two different lambdas look alike),
    so its answers are never written to the persistent cache.
    """

    def __init__(
        self, fn: Callable[[list[str]], Sequence[str]], name: str | None = None
    ) -> None:
        if not callable(fn):
            raise PromptfoilError(f"target must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "function")
        self._stable = name

    @property
    def identity(self) -> str | None:
        return f"function:{self._stable}" if self._stable else None

    @property
    def settings(self) -> dict[str, Any]:
        return {}

    def _generate_batch(self, prompts: list[str]) -> list[str]:
        out = self.fn(list(prompts))
        if isinstance(out, (str, bytes, dict)) or not isinstance(out, Sequence):
            raise PromptfoilError(
                f"target function {self.name!r} must return a list of strings, got {type(out).__name__}"
            )
        if len(out) != len(prompts):
            raise PromptfoilError(
                f"target function {self.name!r} must return one string per prompt "
                f"(got {len(out)} item(s) for {len(prompts)} prompt(s))"
            )
        bad = [o for o in out if not isinstance(o, str)]
        if bad:
            raise PromptfoilError(
                f"target function {self.name!r} must return one string per prompt "
                f"(got {type(bad[0]).__name__}: {bad[0]!r:.40})"
            )
        return list(out)
