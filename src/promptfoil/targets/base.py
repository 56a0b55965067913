"""The target protocol and a base class with one hook to override."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ..registry import Registry


@runtime_checkable
class Target(Protocol):
    """The LLM being explained.

    ``identity`` names the model for the response cache; ``None`` means responses may only
    be cached in memory (two different functions must never share cached answers).
    ``settings`` are the generation settings that change the answer (part of the cache key).
    ``cacheable`` is False for sampled generation without a seed.
    """

    name: str

    @property
    def identity(self) -> str | None: ...

    @property
    def settings(self) -> dict[str, Any]: ...

    @property
    def cacheable(self) -> bool: ...

    def generate(self, prompts: Sequence[str]) -> list[str]: ...


class BaseTarget:
    """Subclass and override :meth:`_generate_one` (or :meth:`generate` for real batching)."""

    name = "target"

    @property
    def identity(self) -> str | None:
        return None

    @property
    def settings(self) -> dict[str, Any]:
        return {}

    @property
    def cacheable(self) -> bool:
        return True

    def _generate_one(self, prompt: str) -> str:
        raise NotImplementedError

    def generate(self, prompts: Sequence[str]) -> list[str]:
        return [self._generate_one(p) for p in prompts]

    def describe(self) -> str:
        """Human-readable identity for results and logs."""
        return f"{self.name}({json.dumps(self.settings, sort_keys=True)})"


targets: Registry[Target] = Registry("target")
