"""Shared plumbing for OpenAI-compatible endpoints: client, retries, rate limit, token budget.

The official ``openai`` client does the HTTP; its own retries are switched off so that this
module decides what is retried (429, 5xx, timeouts, dropped connections, unreadable
answers), how long to wait (``Retry-After`` first, else exponential backoff with jitter) and
what the user sees when it gives up: one line naming the endpoint, never a traceback and
never the API key.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigError, PromptfoilError
from .models import require
from .targets.base import TargetError

log = logging.getLogger("promptfoil.http")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
NO_KEY = "no-key"  # local servers ignore the key; the client insists on one
T = TypeVar("T")


class EndpointError(TargetError):
    """A request to an endpoint failed for good.

    ``answered`` holds the prompts of the same batch that did get an answer, so the caller
    can keep (and cache) them instead of asking again.
    """


class TokenBudgetExhausted(EndpointError):
    """The token budget ran out before every prompt of a batch could be sent."""

    out_of_budget = True


def redact_url(url: str) -> str:
    """The URL without user:password (credentials must never reach logs, ids or results)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        parts = parts._replace(netloc=host)
    return urlunsplit(parts).rstrip("/")


@dataclass(frozen=True)
class Endpoint:
    """Where to send requests. The key is held here only; ``repr`` and ``url`` never show it."""

    base_url: str
    key_env: str = DEFAULT_KEY_ENV

    @property
    def url(self) -> str:
        return redact_url(self.base_url)

    def api_key(self) -> str:
        return os.environ.get(self.key_env) or NO_KEY

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"


def resolve_endpoint(base_url: str | None = None, api_key_env: str | None = None) -> Endpoint:
    """``base_url`` or ``$OPENAI_BASE_URL`` or OpenAI's own; the key is read from ``api_key_env``."""
    url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"base_url must be an http(s) URL, got {redact_url(str(url))!r}")
    key_env = api_key_env or DEFAULT_KEY_ENV
    if not isinstance(key_env, str) or not key_env.replace("_", "").isalnum():
        raise ConfigError(
            "api_key_env is the NAME of an environment variable holding the key "
            "(e.g. OPENAI_API_KEY), not the key itself"
        )
    return Endpoint(url.rstrip("/"), key_env)


def make_client(endpoint: Endpoint, timeout: float) -> Any:
    """An ``openai.OpenAI`` client with its own retries off (this module retries)."""
    openai = require("openai", "An OpenAI-compatible endpoint", "openai", "openai")
    return openai.OpenAI(
        base_url=endpoint.base_url, api_key=endpoint.api_key(), timeout=timeout, max_retries=0
    )


class RateLimiter:
    """At most ``rpm`` request starts per minute, spaced evenly; thread-safe. ``None``: no limit."""

    def __init__(self, rpm: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if rpm is not None and rpm <= 0:
            raise ConfigError(f"rpm must be positive (got {rpm})")
        self.interval = 60.0 / rpm if rpm else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class TokenMeter:
    """Counts tokens the endpoint reports; refuses new requests once ``budget`` is spent."""

    def __init__(self, budget: int | None) -> None:
        if budget is not None and budget < 1:
            raise ConfigError(f"token_budget must be at least 1 (got {budget})")
        self.budget = budget
        self.prompt = 0
        self.completion = 0
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.total >= self.budget

    def add(self, usage: Any) -> None:
        if usage is None:
            return
        with self._lock:
            self.prompt += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion += int(getattr(usage, "completion_tokens", 0) or 0)


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` extra tries after the first; waits grow ``base * 2**i`` up to ``cap`` seconds."""

    retries: int = 4
    base: float = 0.5
    cap: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return min(self.cap, self.base * (2**attempt)) * (0.5 + rng.random() / 2)


def retry_after(exc: Any) -> float | None:
    """Seconds from a ``Retry-After`` (or ``retry-after-ms``) header of a failed response."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        when = email.utils.parsedate_to_datetime(raw) if raw else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def _classify(exc: BaseException) -> tuple[bool, str]:
    """(retry?, short reason) for an exception raised by the openai client."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return True, "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return True, "connection failed"
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code == 429 or code >= 500 or code == 408:
            return True, f"HTTP {code}"
        return False, f"HTTP {code}: {_brief(exc)}"
    if isinstance(exc, (openai.APIResponseValidationError, ValueError, KeyError, TypeError)):
        return True, "unreadable answer"
    if isinstance(exc, openai.APIError):
        return True, f"{type(exc).__name__}"
    return False, f"{type(exc).__name__}"


def _brief(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        msg = inner.get("message") if isinstance(inner, dict) else body.get("message")
        if msg:
            return str(msg)[:200]
    return str(getattr(exc, "message", "") or exc)[:200]


def scrub(text: str, endpoint: Endpoint) -> str:
    """``text`` with the API key (as some servers echo it in errors) blanked out."""
    key = endpoint.api_key()
    return text.replace(key, "***") if key and key != NO_KEY else text


def call_with_retries(
    fn: Callable[[], T],
    endpoint: Endpoint,
    policy: RetryPolicy,
    limiter: RateLimiter | None = None,
    what: str = "request",
    rng: random.Random | None = None,
) -> T:
    """Run ``fn`` (one HTTP request), retrying transient failures; raise :class:`EndpointError`."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        if limiter is not None:
            limiter.wait()
        try:
            return fn()
        except PromptfoilError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below, re-raised as one line
            retry, reason = _classify(exc)
            if not retry or attempt >= policy.retries:
                tries = f" after {attempt + 1} tries" if attempt else ""
                msg = f"{what} to {endpoint.url} failed{tries}: {reason}"
                raise EndpointError(scrub(msg, endpoint)) from None
            wait = retry_after(exc)
            wait = policy.backoff(attempt, rng) if wait is None else min(wait, max(policy.cap, 60.0))
            log.warning("%s to %s: %s; retry %d/%d in %.1fs", what, endpoint.url, scrub(reason, endpoint),
                        attempt + 1, policy.retries, wait)
            time.sleep(wait)
            attempt += 1


def only_model(client: Any, endpoint: Endpoint, policy: RetryPolicy, limiter: RateLimiter | None) -> str:
    """The name of the single model a server serves (llama.cpp, vLLM with one model)."""
    listing = call_with_retries(lambda: client.models.list(), endpoint, policy, limiter, "model listing")
    names = [str(m.id) for m in getattr(listing, "data", None) or []]
    if len(names) != 1:
        shown = ", ".join(names[:10]) or "none"
        raise ConfigError(f"{endpoint.url} serves {len(names)} models ({shown}); name one with --target-model")
    return names[0]
