"""Target ``openai``: any OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI, hosted APIs).

A batch of prompts is sent ``max_concurrency`` requests at a time (the target's
``batch_size`` tells the search to hand it that many at once). Each request is retried on
its own, so one failing prompt never makes the others be asked again; when a prompt fails
for good, the answers already received travel with the error (``EndpointError.answered``)
and the querier keeps them. The API key is read from an environment variable on use and
appears in no identity, setting, log line or error.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from ..errors import ConfigError, PromptfoilError
from ..http import (
    EndpointError,
    RateLimiter,
    RetryPolicy,
    TokenBudgetExhausted,
    TokenMeter,
    call_with_retries,
    make_client,
    only_model,
    resolve_endpoint,
)
from .base import BaseTarget, targets

# Generation settings passed through to the server as they are (and part of the cache key).
PASSTHROUGH = ("top_p", "stop", "presence_penalty", "frequency_penalty", "logit_bias")


class OpenAITarget(BaseTarget):
    """Chat completions (default) or legacy completions (``completions=True``)."""

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key_env: str | None = None,
        max_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = 0,
        system: str | None = None,
        completions: bool = False,
        max_concurrency: int = 4,
        rpm: float | None = None,
        token_budget: int | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        extra: dict[str, Any] | None = None,
        **generation: Any,
    ) -> None:
        unknown = sorted(set(generation) - set(PASSTHROUGH))
        if unknown:
            raise ConfigError(
                f"target 'openai' has no option {unknown[0]!r}; generation settings it passes "
                f"through: {', '.join(PASSTHROUGH)} (others: extra={{...}})"
            )
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1 (got {max_tokens!r})")
        if not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be a whole number of at least 1 (got {max_concurrency!r})")
        if timeout <= 0:
            raise ConfigError(f"timeout must be positive (got {timeout})")
        if extra is not None and not isinstance(extra, dict):
            raise ConfigError("extra must be a JSON object of settings for the server")
        if not model or not isinstance(model, str):
            raise ConfigError(
                "target 'openai' needs the served model's name: --target-model NAME "
                "(or --target-model auto to use the server's only model)"
            )
        self.endpoint = resolve_endpoint(base_url, api_key_env)
        self.name = "openai"
        self._model = None if model == "auto" else model
        self.max_tokens = max_tokens
        self.temperature = float(temperature)
        self.seed = seed
        self.system = system
        self.completions = bool(completions)
        self.max_concurrency = max_concurrency
        self.timeout = float(timeout)
        self.generation = {k: v for k, v in generation.items() if v is not None}
        self.extra = dict(extra or {})
        self.limiter = RateLimiter(rpm)
        self.tokens = TokenMeter(token_budget)
        self.policy = RetryPolicy(retries=retries)
        self.requests = 0  # HTTP requests that got an answer, retries not included
        self._client: Any = None
        self._lock = threading.Lock()

    # -- identity ------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.endpoint, self.timeout)
        return self._client

    @property
    def model(self) -> str:
        """The model name; for "auto", the server's only model (asked once, on first use)."""
        if self._model is None:
            self._model = only_model(self.client, self.endpoint, self.policy, self.limiter)
        return self._model

    @property
    def identity(self) -> str | None:
        return f"openai:{self.endpoint.url}:{self.model}"

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
    def cacheable(self) -> bool:
        return self.temperature == 0 or self.seed is not None

    @property
    def exhausted(self) -> bool:
        """True once the token budget is spent (the search then stops as at budget end)."""
        return self.tokens.exhausted

    # -- requests ------------------------------------------------------------------------
    def _kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens, "temperature": self.temperature}
        if self.seed is not None:
            kw["seed"] = self.seed
        kw.update(self.generation)
        if self.extra:
            kw["extra_body"] = self.extra
        return kw

    def _send(self, prompt: str) -> str:
        kw = self._kwargs()

        def once() -> str:
            if self.completions:
                out = self.client.completions.create(prompt=prompt, **kw)
                text = out.choices[0].text
            else:
                messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
                    {"role": "user", "content": prompt}
                ]
                out = self.client.chat.completions.create(messages=messages, **kw)
                text = out.choices[0].message.content
            if not isinstance(text, str) and text is not None:
                raise ValueError("answer without text")
            self.tokens.add(getattr(out, "usage", None))
            return (text or "").strip()

        if self.tokens.exhausted:
            raise TokenBudgetExhausted(
                f"token budget of {self.tokens.budget} spent at {self.endpoint.url} "
                f"({self.tokens.total} tokens used)"
            )
        what = "completion request" if self.completions else "chat request"
        answer = call_with_retries(once, self.endpoint, self.policy, self.limiter, what)
        with self._lock:
            self.requests += 1
        return answer

    def generate(self, prompts: Sequence[str]) -> list[str]:
        prompts = list(prompts)
        if not prompts:
            return []
        _ = self.model  # resolve once, before the threads start
        answers: dict[int, str] = {}
        failure: PromptfoilError | None = None
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(prompts))) as pool:
            futures = {pool.submit(self._send, p): i for i, p in enumerate(prompts)}
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for f in pending:
                f.cancel()
            wait(pending)
            for f, i in futures.items():
                if f.cancelled():
                    continue
                exc = f.exception()
                if exc is None:
                    answers[i] = f.result()
                elif failure is None or isinstance(failure, TokenBudgetExhausted):
                    failure = exc if isinstance(exc, PromptfoilError) else EndpointError(
                        f"request to {self.endpoint.url} failed: {type(exc).__name__}"
                    )
        if failure is not None or len(answers) < len(prompts):
            answered = {prompts[i]: a for i, a in answers.items()}
            if failure is None:  # pragma: no cover - every unfinished future has an exception
                failure = EndpointError(f"requests to {self.endpoint.url} did not finish")
            kind = TokenBudgetExhausted if isinstance(failure, TokenBudgetExhausted) else EndpointError
            raise kind(str(failure), answered)
        return [answers[i] for i in range(len(prompts))]


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ConfigError(f"{name} must be a whole number (got {value!r})")
    return int(value)


@targets.register("openai", "any OpenAI-compatible server: --base-url URL --target-model NAME (chat or completions)")
def _make_openai(
    model: str | None = None, max_tokens: int = 64, base_url: str | None = None, **kwargs: Any
) -> OpenAITarget:
    for key in ("max_concurrency", "token_budget", "retries"):
        if key in kwargs:
            kwargs[key] = _opt_int(kwargs[key], key)
    if kwargs.get("max_concurrency") is None:
        kwargs.pop("max_concurrency", None)
    if kwargs.get("retries") is None:
        kwargs.pop("retries", None)
    return OpenAITarget(model=model, max_tokens=max_tokens, base_url=base_url, **kwargs)
