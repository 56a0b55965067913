"""What the chat-backed targets (``smollm2``/``gguf`` and ``openai``) share: each prompt is
one user turn after an optional system prompt, sent as a :class:`ChatRequest` through a
backend of :mod:`promptfoil.backends`, and its :class:`ChatReply` becomes a :class:`Reply`.

A :class:`~promptfoil.conversation.Conversation` is sent as its messages; the target's own
``system`` option is put first only when the conversation has no system prompt."""

from __future__ import annotations

import math
from typing import Any

from ..backends.chat import ChatReply, ChatRequest
from ..prompt.conversation import Conversation
from ..errors import ConfigError, whole
from ..types import Reply
from .base import BaseTarget


def temperature_of(value: object) -> float:
    """``value`` as a sampling temperature: a finite number of at least 0 (0: greedy), else a
    :class:`ConfigError` before any request (a server would answer NaN with errors only)."""
    try:
        t = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        t = math.nan
    if isinstance(value, bool) or not math.isfinite(t) or t < 0:
        raise ConfigError(f"temperature must be a finite number of at least 0 (got {value!r})")
    return t


class ChatTarget(BaseTarget):
    """Generation settings and the request/reply conversion; subclasses send the request
    in :meth:`_generate_one`."""

    accepts_conversations = True

    def __init__(self, name: str, max_tokens: int, temperature: float, seed: int | None, system: str | None) -> None:
        self.name = name
        self.max_tokens = whole("max_tokens", max_tokens, 1, floats=True)
        self.temperature = temperature_of(temperature)
        self.seed = seed
        self.system = system

    @property
    def cacheable(self) -> bool:
        return self.temperature == 0 or self.seed is not None

    def request(self, prompt: str | Conversation) -> ChatRequest:
        kw: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": self.temperature, "seed": self.seed}
        if isinstance(prompt, Conversation):
            msgs = prompt.to_list()
            if self.system and prompt.system is None:
                msgs.insert(0, {"role": "system", "content": self.system})
            return ChatRequest.of(msgs, **kw)
        return ChatRequest.turn(prompt, self.system, **kw)

    @staticmethod
    def reply(answer: ChatReply) -> Reply:
        return Reply(answer.text.strip(), answer.tokens, answer.truncated, masked=answer.masked)
