"""One small "chat backend" for the components that talk to a model: the ``llm`` infiller
and the judge scorers. A backend is either the local GGUF model (llama.cpp, default: the
embedded SmolLM2) or any OpenAI-compatible endpoint; both answer batches of
:class:`ChatRequest` with :class:`ChatReply`, so the components never know which one it is.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import ConfigError, PromptfoilError
from .http import (
    Endpoint,
    RateLimiter,
    RetryPolicy,
    TokenMeter,
    call_with_retries,
    make_client,
    only_model,
    resolve_endpoint,
)
from .models import load_llama, smollm2_gguf

Message = dict[str, str]


@dataclass(frozen=True)
class ChatRequest:
    """One conversation to continue. ``top_logprobs`` > 0 asks for the first token's
    alternatives (servers that cannot give them return none, and callers fall back)."""

    messages: tuple[tuple[str, str], ...]
    max_tokens: int = 64
    temperature: float = 0.0
    seed: int | None = 0
    top_logprobs: int = 0

    @staticmethod
    def of(messages: Sequence[Message], **kw: Any) -> ChatRequest:
        return ChatRequest(tuple((m["role"], m["content"]) for m in messages), **kw)

    def as_messages(self) -> list[Message]:
        return [{"role": r, "content": c} for r, c in self.messages]


@dataclass(frozen=True)
class ChatReply:
    """The text and, when asked and available, ``{token: probability}`` of its first token."""

    text: str
    first_token: dict[str, float] | None = None


class ChatBackend(Protocol):
    """Answers a batch of chat requests, one reply per request, in order."""

    @property
    def identity(self) -> str: ...

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]: ...


def _top(entries: Any) -> dict[str, float] | None:
    """``[{token, logprob}, ...]`` (dicts or objects) -> ``{token: probability}``."""
    if not entries:
        return None
    out: dict[str, float] = {}
    for e in entries:
        tok = e.get("token") if isinstance(e, dict) else getattr(e, "token", None)
        lp = e.get("logprob") if isinstance(e, dict) else getattr(e, "logprob", None)
        if isinstance(tok, str) and isinstance(lp, (int, float)) and math.isfinite(lp):
            out[tok] = out.get(tok, 0.0) + math.exp(lp)
    return out or None


class LocalChat:
    """A local GGUF chat model via llama.cpp, loaded on first use; requests run in turn."""

    def __init__(self, model_path: str | Path | None = None, n_ctx: int = 2048) -> None:
        self.path = Path(model_path) if model_path else None
        self.n_ctx = n_ctx
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return f"gguf:{(self.path or smollm2_gguf()).name}"

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        path = self.path or smollm2_gguf()
        if not path.is_file():
            raise PromptfoilError(f"GGUF model file not found: {path}")
        replies = []
        with self._lock:
            for r in requests:
                # prompt logits for every token are slow; only ask for them when needed
                llm = load_llama(str(path), self.n_ctx, bool(r.top_logprobs))
                kw: dict[str, Any] = {"max_tokens": r.max_tokens, "temperature": r.temperature}
                if r.temperature == 0:
                    kw["top_k"] = 1
                if r.seed is not None:
                    kw["seed"] = r.seed
                if r.top_logprobs:
                    kw.update(logprobs=True, top_logprobs=r.top_logprobs)
                try:
                    out = llm.create_chat_completion(messages=r.as_messages(), **kw)
                except (ValueError, RuntimeError) as exc:  # e.g. the prompt exceeds the context
                    raise PromptfoilError(f"local chat model {path.name} failed: {exc}") from None
                choice = out["choices"][0]
                first = None
                if r.top_logprobs:
                    content = (choice.get("logprobs") or {}).get("content") or []
                    first = _top(content[0].get("top_logprobs")) if content else None
                replies.append(ChatReply(str(choice["message"].get("content") or ""), first))
        return replies


@dataclass
class EndpointChat:
    """Any OpenAI-compatible chat endpoint; a batch is sent ``max_concurrency`` at a time."""

    endpoint: Endpoint
    model: str | None = None
    max_concurrency: int = 4
    timeout: float = 60.0
    retries: int = 4
    rpm: float | None = None
    meter: TokenMeter = field(default_factory=lambda: TokenMeter(None))

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be at least 1 (got {self.max_concurrency})")
        self._client: Any = None
        self._limiter = RateLimiter(self.rpm)
        self._policy = RetryPolicy(retries=self.retries)

    @property
    def identity(self) -> str:
        return f"openai:{self.endpoint.url}:{self.served_model}"

    @property
    def served_model(self) -> str:
        """The model name; when none was given, the server's only model (asked once)."""
        if self.model is None:
            self.model = only_model(self.client, self.endpoint, self._policy, self._limiter)
        return self.model

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.endpoint, self.timeout)
        return self._client

    def _one(self, r: ChatRequest) -> ChatReply:
        kw: dict[str, Any] = {"max_tokens": r.max_tokens, "temperature": r.temperature}
        if r.seed is not None:
            kw["seed"] = r.seed
        if r.top_logprobs:
            kw.update(logprobs=True, top_logprobs=r.top_logprobs)

        def send() -> ChatReply:
            out = self.client.chat.completions.create(model=self.served_model, messages=r.as_messages(), **kw)
            choice = out.choices[0]
            self.meter.add(getattr(out, "usage", None))
            first = None
            content = getattr(getattr(choice, "logprobs", None), "content", None)
            if r.top_logprobs and content:
                first = _top(getattr(content[0], "top_logprobs", None))
            return ChatReply(str(choice.message.content or ""), first)

        return call_with_retries(send, self.endpoint, self._policy, self._limiter, "chat request")

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        _ = self.served_model  # resolve once, before the threads start
        if len(requests) <= 1 or self.max_concurrency == 1:
            return [self._one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(self._one, requests))


def chat_backend(
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    max_concurrency: int = 4,
    timeout: float = 60.0,
    rpm: float | None = None,
) -> ChatBackend:
    """An endpoint backend when ``base_url`` is given, else a local GGUF (``model`` = path).

    For an endpoint, ``model`` is the served model name (default: the server's only model).
    """
    if base_url:
        served = None if model in (None, "", "auto") else model
        return EndpointChat(resolve_endpoint(base_url, api_key_env), served, max_concurrency, timeout, rpm=rpm)
    return LocalChat(model)


BACKEND_OPTIONS = ("model", "base_url", "api_key_env", "max_concurrency", "timeout", "rpm")


def backend_and_options(
    component: str, options: dict[str, Any], allowed: set[str]
) -> tuple[ChatBackend, dict[str, Any]]:
    """Split a factory's options into its chat backend and the component's own settings.

    A factory built on this sets ``uses_chat_backend = True`` so the CLI knows it takes the
    endpoint flags.

    ``component`` names it in the error for an option it does not have (e.g. "scorer 'maxims'").
    """
    unknown = sorted(set(options) - set(BACKEND_OPTIONS) - allowed)
    if unknown:
        raise ConfigError(f"{component} has no option {unknown[0]!r}")
    b = {k: options[k] for k in BACKEND_OPTIONS if k in options}
    backend = chat_backend(
        b.get("model"), b.get("base_url"), b.get("api_key_env"),
        int(b.get("max_concurrency", 4)), float(b.get("timeout", 60.0)), b.get("rpm"),
    )
    return backend, {k: v for k, v in options.items() if k not in BACKEND_OPTIONS}
