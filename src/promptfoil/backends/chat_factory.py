"""Picks the chat backend a component talks to, from a registry: a local GGUF model
(``local``: llama.cpp), one OpenAI-compatible endpoint (``endpoint``), or a fleet of them
(``fleet``). A package adds its own backend under a name (entry-point group
``promptfoil.chat_backends``, or an import path ``package.module:factory``) and a component
uses it with the ``backend`` option (``--scorer-option backend=NAME``). Apart from
:mod:`.chat` so that the shared request/reply types import no backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..registry import Registry
from .chat import ChatBackend

#: Chat backends by name; each factory takes those of the component's backend options (see
#: :data:`~.chat.BACKEND_OPTIONS`) that it names.
chat_backends: Registry[ChatBackend] = Registry("chat_backend")


@chat_backends.register("local", "a GGUF chat model in this process via llama.cpp (default: the embedded SmolLM2)")
def _local(model: str | None = None) -> ChatBackend:
    from .llamacpp import LocalChat

    return LocalChat(model)


def _served(model: str | None) -> str | None:
    return None if model in (None, "", "auto") else model


@chat_backends.register("endpoint", "one OpenAI-compatible server (base_url)")
def _endpoint(base_url: str | Sequence[str], model: str | None = None, api_key_env: str | None = None,
              max_concurrency: int = 4, timeout: float = 30.0, rpm: float | None = None) -> ChatBackend:
    from .fleet import resolve_all
    from .openai import EndpointChat

    endpoints = resolve_all(base_url, api_key_env)
    return EndpointChat(endpoints[0], _served(model), max_concurrency, timeout, rpm=rpm)


@chat_backends.register("fleet", "several OpenAI-compatible servers of one model, the least busy asked first")
def _fleet(base_url: str | Sequence[str], model: str | None = None, api_key_env: str | None = None,
           max_concurrency: int = 4, timeout: float = 30.0, rpm: float | None = None) -> ChatBackend:
    from .fleet import Fleet, resolve_all

    return Fleet(resolve_all(base_url, api_key_env), _served(model), max_concurrency, timeout, rpm=rpm)


def chat_backend(
    model: str | None = None,
    base_url: str | Sequence[str] | None = None,
    api_key_env: str | None = None,
    max_concurrency: int = 4,
    timeout: float = 30.0,
    rpm: float | None = None,
    backend: str | None = None,
) -> ChatBackend:
    """The backend named ``backend``; by default an endpoint backend when ``base_url`` is
    given (several URLs: a fleet, ``max_concurrency`` per server), else the local GGUF
    (``model`` = path or a short name of :mod:`.model_store`, default the embedded SmolLM2).
    For an endpoint, ``model`` is the served model's name (default, or ``"auto"``: the
    server's only model)."""
    if backend is None:
        from .fleet import base_urls

        backend = "local" if not base_url else "fleet" if len(base_urls(base_url)) > 1 else "endpoint"
    given: dict[str, Any] = {"model": model, "base_url": base_url, "api_key_env": api_key_env,
                             "max_concurrency": max_concurrency, "timeout": timeout, "rpm": rpm}
    # Each backend gets the options it takes (the local model has no server settings).
    return chat_backends.create(backend, **{k: v for k, v in given.items() if chat_backends.takes(backend, k)})
