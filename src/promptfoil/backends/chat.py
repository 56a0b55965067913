"""The chat backend every model-talking component shares: a request, a reply and the protocol
(:func:`~.chat_factory.chat_backend` picks the local GGUF model or an OpenAI-compatible endpoint).

The ``llm`` infiller and the judge scorers only see :class:`ChatBackend`; the ``gguf`` /
``smollm2`` and ``openai`` targets send their one request through the same two backends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..settings.defaults import DEFAULT_MAX_TOKENS

Message = dict[str, str]

#: The options a chat-backed component's factory passes on to :func:`chat_backend`
#: (declared with ``Registry.register(..., options=BACKEND_OPTIONS)``).
BACKEND_OPTIONS = ("model", "base_url", "api_key_env", "max_concurrency", "timeout", "rpm", "backend")


@dataclass(frozen=True)
class ChatRequest:
    """One conversation to continue. ``top_logprobs`` > 0 asks for the first token's
    alternatives (servers that cannot give them return none, and callers fall back)."""

    messages: tuple[tuple[str, str], ...]
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 0.0
    seed: int | None = 0
    top_logprobs: int = 0

    @staticmethod
    def of(messages: Sequence[Message], **kw: Any) -> ChatRequest:
        return ChatRequest(tuple((m["role"], m["content"]) for m in messages), **kw)

    @staticmethod
    def turn(prompt: str, system: str | None = None, **kw: Any) -> ChatRequest:
        """A single user turn, after an optional system prompt."""
        return ChatRequest(((("system", system),) if system else ()) + (("user", prompt),), **kw)

    def as_messages(self) -> list[Message]:
        return [{"role": r, "content": c} for r, c in self.messages]


@dataclass(frozen=True)
class ChatReply:
    """The text; when asked and available, ``{token: probability}`` of its first token; the
    tokens the backend reports (prompt + completion, 0 if unknown); and whether generation
    stopped at ``max_tokens``. ``masked``: a secret the server echoed was masked in the text."""

    text: str
    first_token: dict[str, float] | None = None
    tokens: int = 0
    truncated: bool = False
    masked: bool = False


class ChatBackend(Protocol):
    """Answers a batch of chat requests, one reply per request, in order."""

    @property
    def identity(self) -> str: ...

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]: ...


def _get(obj: Any, name: str) -> Any:
    """``obj[name]`` for dicts (llama.cpp answers), ``obj.name`` for objects (openai's)."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def top_probs(entries: Any) -> dict[str, float] | None:
    """``[{token, logprob}, ...]`` (dicts or objects) -> ``{token: probability}``."""
    out: dict[str, float] = {}
    for e in entries or ():
        tok, lp = _get(e, "token"), _get(e, "logprob")
        if isinstance(tok, str) and isinstance(lp, (int, float)) and math.isfinite(lp):
            out[tok] = out.get(tok, 0.0) + math.exp(lp)
    return out or None


class UnreadableAnswer(ValueError):
    """An answer that is not a completion; the message says what the server sent instead."""


def _shown(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_reply(out: Any, top_logprobs: int = 0, chat: bool = True) -> ChatReply:
    """A :class:`ChatReply` from a (chat) completion answer, a dict (llama.cpp) or the openai
    client's object: the text, usage, ``finish_reason`` and, when asked, the first token's
    alternatives. Anything else (no choices, a page of HTML, a null text) raises
    :class:`UnreadableAnswer` saying what was sent."""
    if isinstance(out, (str, bytes)):
        raise UnreadableAnswer(f"the server sent no JSON completion but {_shown(out)!r}")
    choices = _get(out, "choices")
    if not isinstance(choices, (list, tuple)) or not choices:
        got = "an empty 'choices' list" if isinstance(choices, (list, tuple)) else "no 'choices'"
        raise UnreadableAnswer(f"the server's answer has {got}: {_shown(_dump(out))}")
    choice = choices[0]
    text = _get(_get(choice, "message"), "content") if chat else _get(choice, "text")
    if text is None:
        where = "message content" if chat else "text"
        reason = _get(choice, "finish_reason")
        raise UnreadableAnswer(f"the server's answer has a null {where} (finish_reason {reason!r})")
    if not isinstance(text, str):
        raise UnreadableAnswer(f"the server's answer text is {type(text).__name__}, not a string")
    usage = _get(out, "usage")
    tokens = 0
    if usage is not None:
        try:
            tokens = int(_get(usage, "prompt_tokens") or 0) + int(_get(usage, "completion_tokens") or 0)
        except (TypeError, ValueError):
            tokens = 0  # usage we cannot read is usage we do not count
    first = None
    if top_logprobs:
        content = _get(_get(choice, "logprobs"), "content") or []
        first = top_probs(_get(content[0], "top_logprobs")) if content else None
    return ChatReply(text, first, tokens, _get(choice, "finish_reason") == "length")


def _dump(out: Any) -> Any:
    """A dict of an answer object, for showing it."""
    if isinstance(out, dict):
        return out
    dump = getattr(out, "model_dump", None)
    try:
        return dump(exclude_unset=True) if callable(dump) else out
    except Exception:  # noqa: BLE001 - only for a message
        return out
