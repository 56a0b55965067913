"""Picks the chat backend a component talks to: a local GGUF model (llama.cpp), one
OpenAI-compatible endpoint, or a fleet of them. Apart from :mod:`.chat` so that the shared
request/reply types import no backend."""

from __future__ import annotations

from collections.abc import Sequence

from .chat import ChatBackend


def chat_backend(
    model: str | None = None,
    base_url: str | Sequence[str] | None = None,
    api_key_env: str | None = None,
    max_concurrency: int = 4,
    timeout: float = 30.0,
    rpm: float | None = None,
) -> ChatBackend:
    """An endpoint backend when ``base_url`` is given (several URLs: a :class:`~.fleet.Fleet`,
    ``max_concurrency`` per server), else a local GGUF (``model`` = path or a short name of
    :mod:`.model_store`, default the embedded SmolLM2). For an endpoint, ``model`` is the served
    model's name (default, or ``"auto"``: the server's only model)."""
    if base_url:
        from .fleet import Fleet, resolve_all
        from .openai import EndpointChat

        served = None if model in (None, "", "auto") else model
        endpoints = resolve_all(base_url, api_key_env)
        if len(endpoints) > 1:
            return Fleet(endpoints, served, max_concurrency, timeout, rpm=rpm)
        return EndpointChat(endpoints[0], served, max_concurrency, timeout, rpm=rpm)
    from .llamacpp import LocalChat

    return LocalChat(model)
