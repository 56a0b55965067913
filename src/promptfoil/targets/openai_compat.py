"""Target ``openai``: any OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI, hosted APIs).

The base class sends a batch ``max_concurrency`` requests at a time (``batch_size`` tells
the search to hand over that many) and keeps the answers of a batch that partly failed.
Each reply carries the tokens the server reports, for the query stage's token budget.
Transport, retries and error lines are :mod:`promptfoil.backends.openai`'s; several base URLs
make a :class:`~promptfoil.backends.fleet.Fleet` (``max_concurrency`` per server). The API key
is read from an environment variable on use and appears in no identity, setting, log or error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends.fleet import Fleet, resolve_all
from ..backends.openai import DEFAULT_RETRIES, DEFAULT_TIMEOUT, MAX_RETRIES, EndpointClient
from ..prompt.conversation import Conversation
from ..errors import ConfigError, whole
from ..types import Reply
from .base import Capabilities, targets
from .chat import ChatTarget
from ..settings.defaults import DEFAULT_MAX_TOKENS

# Generation settings passed through to the server as they are (and part of the cache key).
PASSTHROUGH = ("top_p", "stop", "presence_penalty", "frequency_penalty", "logit_bias")


class OpenAITarget(ChatTarget):
    """Chat completions (default) or legacy completions (``completions=True``)."""

    capabilities = Capabilities(thread_safe=True, endpoint=True)

    def __init__(
        self,
        model: str | None = None,
        base_url: str | Sequence[str] | None = None,
        api_key_env: str | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0,
        seed: int | None = 0,
        system: str | None = None,
        completions: bool = False,
        max_concurrency: int = 4,
        rpm: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        extra: dict[str, Any] | None = None,
        **generation: Any,
    ) -> None:
        unknown = sorted(set(generation) - set(PASSTHROUGH))
        if unknown:
            raise ConfigError(
                f"target 'openai' has no option {unknown[0]!r}; generation settings it passes "
                f"through: {', '.join(PASSTHROUGH)} (others: extra={{...}})"
            )
        if extra is not None and not isinstance(extra, dict):
            raise ConfigError("extra must be a JSON object of settings for the server")
        if not model or not isinstance(model, str):
            raise ConfigError(
                "target 'openai' needs the served model's name: --target-model NAME "
                "(or --target-model auto to use the server's only model)"
            )
        super().__init__("openai", max_tokens, temperature, seed, system)
        per_server = whole("max_concurrency", max_concurrency, 1, floats=True)
        served, retries = None if model == "auto" else model, whole("retries", retries, 0, floats=True)
        if retries > MAX_RETRIES:
            raise ConfigError(f"retries must be a whole number from 0 to {MAX_RETRIES} (got {retries})")
        self.endpoints = resolve_all(base_url, api_key_env)
        self.endpoint = self.endpoints[0]
        self.server: EndpointClient | Fleet = (
            EndpointClient(self.endpoint, served, timeout, retries, rpm) if len(self.endpoints) == 1
            else Fleet(self.endpoints, served, per_server, timeout, retries, rpm)
        )
        self.max_concurrency = per_server * len(self.endpoints)  # the fleet keeps each server to per_server
        self.completions = bool(completions)
        self.generation = {k: v for k, v in generation.items() if v is not None}
        self.extra = dict(extra or {})

    @property
    def model(self) -> str:
        """The model name; for "auto", the server's only model (asked once, on first use)."""
        return self.server.model

    @property
    def identity(self) -> str | None:
        return self.server.identity

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "api": "completions" if self.completions else "chat",
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "system": self.system,
            **self.generation,
            **({"extra": self.extra} if self.extra else {}),
        }

    @property
    def accepts_conversations(self) -> bool:  # type: ignore[override]
        return not self.completions  # the legacy completions API takes one text

    conversation_hint = "; with the legacy completions API (--completions) it takes text only: use the chat API"

    def _generate_one(self, prompt: str | Conversation) -> Reply:
        options = {**self.generation, **({"extra_body": self.extra} if self.extra else {})}
        if self.completions:
            assert isinstance(prompt, str)  # conversations are refused before (accepts_conversations)
            return self.reply(self.server.complete(prompt, self.request(prompt), options))
        return self.reply(self.server.one(self.request(prompt), options))


targets.register(
    "openai", "any OpenAI-compatible server: --base-url URL --target-model NAME (chat or completions)",
    options=PASSTHROUGH,
)(OpenAITarget)
