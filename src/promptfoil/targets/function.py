"""Any Python callable ``list[str] -> list[str]`` as a target (or, with ``chat=True``, a
callable of message lists, which can then explain conversations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..prompt.conversation import Conversation
from ..errors import PromptfoilError
from .base import BaseTarget


class FunctionTarget(BaseTarget):
    """Wraps a batch function. Give ``name`` to let its answers be cached on disk.

    Without a name the function has no stable identity (two different lambdas look alike),
    so its answers are never written to the persistent cache.

    ``chat=True``: ``fn`` takes a list of conversations, each a list of ``{"role",
    "content"}`` dicts, and returns one reply per conversation; a plain prompt reaches it as
    one user message. A function of strings (the default) cannot take a conversation.
    """

    conversation_hint = (
        "; a function of message lists can: promptfoil.FunctionTarget(fn, chat=True) gets lists "
        "of {'role', 'content'} dicts"
    )

    def __init__(
        self, fn: Callable[[list[Any]], Sequence[str]], name: str | None = None, chat: bool = False
    ) -> None:
        if not callable(fn):
            raise PromptfoilError(f"target must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "function")
        self._stable = name
        self.chat = bool(chat)

    @property
    def accepts_conversations(self) -> bool:
        return self.chat

    @property
    def identity(self) -> str | None:
        return f"function{':chat' if self.chat else ''}:{self._stable}" if self._stable else None

    @property
    def settings(self) -> dict[str, Any]:
        return {}

    def _generate_batch(self, prompts: list[Any]) -> list[str]:
        if self.chat:
            out = self.fn([p.to_list() if isinstance(p, Conversation) else [{"role": "user", "content": p}]
                           for p in prompts])
        else:
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
