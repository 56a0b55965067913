"""OpenAI-compatible endpoints (vLLM, Ollama, llama.cpp's server, TGI, hosted APIs).

The official ``openai`` client does the HTTP and retries what is transient on the wire
(``max_retries`` = our ``retries``): 408, 409, 429 and 5xx answers, timeouts and dropped
connections, waiting ``Retry-After``/``retry-after-ms`` (up to two minutes) or else an
exponential backoff with jitter. This module adds only what the client lacks: a
requests-per-minute limit, retrying answers it cannot read (malformed JSON, no text), the
served model's name when none is given, usage and ``finish_reason`` on every reply, and one
error line naming the endpoint, never a traceback and never the API key.

Each try is bounded (:mod:`promptfoil.backends.bounded`): at most ``timeout`` seconds of wall
time from sending to the last byte, however slowly the server drips its answer, and an answer
no larger than its cap (64 KiB + 1 KiB per token asked for). The defaults, 30 s and 2 retries,
let a server that hangs cost at most about a minute and a half per prompt.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..errors import ConfigError, PromptfoilError, TargetError
from .masking import is_secret, mask_secrets, public_url, url_secrets
from .bounded import ReplyTooLarge, cap_for, reply_cap
from .chat import ChatReply, ChatRequest, UnreadableAnswer, read_reply
from .embedded import require

log = logging.getLogger("promptfoil.backends.openai")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
NO_KEY = "no-key"  # local servers ignore the key; the client insists on one
DEFAULT_TIMEOUT = 30.0  # seconds per try, the whole exchange
MAX_RETRIES = 20  # more is a typo (each retry waits longer): refused
DEFAULT_RETRIES = 2
T = TypeVar("T")


class EndpointError(TargetError):
    """A request to an endpoint failed for good (answers of the same batch travel on it).

    ``server_fault`` is False when the server refused the request itself (a 4xx other than
    408/409/429): another server of a fleet would refuse it too.
    """

    server_fault = True


def redact_url(url: str) -> str:
    """The URL without user:password, query string or fragment (``?api_key=...``): what may
    reach logs, cache keys and results."""
    return public_url(url)


@dataclass(frozen=True)
class Endpoint:
    """Where to send requests. The key is read on use; ``repr`` and ``url`` never show it."""

    base_url: str
    key_env: str = DEFAULT_KEY_ENV

    @staticmethod
    def resolve(base_url: str | None = None, api_key_env: str | None = None) -> Endpoint:
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

    @property
    def url(self) -> str:
        return redact_url(self.base_url)

    def api_key(self) -> str:
        return os.environ.get(self.key_env) or NO_KEY

    @property
    def client_url(self) -> str:
        """The base URL the client builds paths on: without its query string (see :attr:`query`)."""
        parts = urlsplit(self.base_url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")).rstrip("/")

    @property
    def query(self) -> dict[str, str]:
        """Query parameters of the base URL, sent with every request (some servers take the key so)."""
        return dict(parse_qsl(urlsplit(self.base_url).query, keep_blank_values=True))

    def scrub(self, text: str) -> str:
        """``text`` with the API key and the URL's secrets masked, in any case and in part
        (some servers echo the key, upper-cased or without its prefix, in their errors)."""
        key = self.api_key()
        return mask_secrets(text, ([key] if is_secret(key) else []) + url_secrets(self.base_url))

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"


class RateLimiter:
    """At most ``rpm`` request starts per minute, spaced evenly; thread-safe. ``None``: no limit."""

    def __init__(self, rpm: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if rpm is not None and (not isinstance(rpm, (int, float)) or isinstance(rpm, bool)
                                or not math.isfinite(rpm) or rpm <= 0):
            raise ConfigError(f"rpm must be a positive number (got {rpm!r})")
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


def _failure(exc: BaseException) -> tuple[str, bool]:
    """(short reason, is it an unreadable answer we should ask again) for a client error."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timed out", False
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed", False
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code in (408, 409, 429) or code >= 500:
            return f"HTTP {code}", False
        return f"HTTP {code}: {_brief(exc)}", False
    if isinstance(exc, UnreadableAnswer):
        return f"unreadable answer: {exc}", True
    if isinstance(exc, (openai.APIResponseValidationError, ValueError, KeyError, TypeError, IndexError)):
        return f"unreadable answer ({type(exc).__name__}: {str(exc)[:120]})", True
    return type(exc).__name__, False


def _server_fault(exc: BaseException) -> bool:
    """False for an answer that rejects the request itself (4xx but 408, 409, 429)."""
    code = getattr(exc, "status_code", None)
    return not (isinstance(code, int) and 400 <= code < 500 and code not in (408, 409, 429))


def _brief(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        msg = inner.get("message") if isinstance(inner, dict) else body.get("message")
        if msg:
            return str(msg)[:200]
    return str(getattr(exc, "message", "") or exc)[:200]


def _client_tries(exc: BaseException) -> int:
    """Requests the client made for the failed call (it says so in a header it sends)."""
    request = getattr(exc, "request", None)
    try:
        return 1 + int(request.headers.get("x-stainless-retry-count", 0))  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return 1


class EndpointClient:
    """One endpoint and model: the client (built on first use), the rate limit and retries.

    ``model=None`` means the server's only model, asked once. ``retries`` is how many times
    a failed request is tried again, by the client (transport) or here (unreadable answers).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        model: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        rpm: float | None = None,
    ) -> None:
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= MAX_RETRIES:
            raise ConfigError(f"retries must be a whole number from 0 to {MAX_RETRIES} (got {retries!r})")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not math.isfinite(timeout) or timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds (got {timeout!r})")
        self.endpoint = endpoint
        self.timeout = float(timeout)
        self.retries = retries
        self.limiter = RateLimiter(rpm)
        self._model = model
        self._client: Any = None
        self._lock = threading.RLock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                openai = require("openai", "An OpenAI-compatible endpoint", "openai", "openai")
                import httpx2

                from .bounded import BoundedTransport

                self._client = openai.OpenAI(
                    base_url=self.endpoint.client_url, api_key=self.endpoint.api_key(),
                    timeout=self.timeout, max_retries=self.retries, default_query=self.endpoint.query or None,
                    http_client=httpx2.Client(transport=BoundedTransport(self.timeout), timeout=self.timeout),
                )
            return self._client

    @property
    def model(self) -> str:
        """The model name; when none was given, the server's only model (asked once)."""
        with self._lock:
            if self._model is None:
                listing = self.call(lambda: self.client.models.list(), "model listing")
                names = [str(m.id) for m in getattr(listing, "data", None) or []]
                if len(names) != 1:
                    shown = ", ".join(names[:10]) or "none"
                    raise ConfigError(f"{self.endpoint.url} serves {len(names)} models ({shown}); name one with --target-model")
                self._model = names[0]
            return self._model

    @property
    def identity(self) -> str:
        return f"openai:{self.endpoint.url}:{self.model}"

    def call(self, fn: Callable[[], T], what: str) -> T:
        """Run one request (the client retries the wire); ask again when the answer cannot be
        read; on failure raise one :class:`EndpointError` line naming the endpoint."""
        attempt = 0
        while True:
            self.limiter.wait()
            try:
                return fn()
            except ReplyTooLarge as exc:  # never retried: the same question gets the same answer
                raise EndpointError(self.endpoint.scrub(f"{what} to {self.endpoint.url} failed: {exc}")) from None
            except PromptfoilError:
                raise
            except Exception as exc:  # noqa: BLE001 - described below, re-raised as one line
                reason, again = _failure(exc)
                if reason == "timed out":
                    reason = f"timed out (no complete answer within {self.timeout:g} s)"
                if again and attempt < self.retries:
                    attempt += 1
                    log.warning("%s to %s: %s; retry %d/%d", what, self.endpoint.url, self.endpoint.scrub(reason),
                                attempt, self.retries)
                    time.sleep(min(8.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0))
                    continue
                tries = attempt + 1 if again else _client_tries(exc)
                after = f" after {tries} tries" if tries > 1 else ""
                err = EndpointError(self.endpoint.scrub(f"{what} to {self.endpoint.url} failed{after}: {reason}"))
                err.server_fault = _server_fault(exc)
                raise err from None

    def _kwargs(self, r: ChatRequest, options: dict[str, Any] | None) -> dict[str, Any]:
        kw: dict[str, Any] = {"model": self.model, "max_tokens": r.max_tokens, "temperature": r.temperature}
        if r.seed is not None:
            kw["seed"] = r.seed
        if r.top_logprobs:
            kw.update(logprobs=True, top_logprobs=r.top_logprobs)
        kw.update(options or {})
        return kw

    def one(self, r: ChatRequest, options: dict[str, Any] | None = None) -> ChatReply:
        """One chat completion; ``options`` go to the client as they are (``top_p``, ``extra_body``...)."""
        kw = self._kwargs(r, options)

        def create() -> Any:
            with reply_cap(cap_for(r.max_tokens, r.top_logprobs)):
                return self.client.chat.completions.create(messages=r.as_messages(), **kw)

        return self._scrubbed(self.call(lambda: read_reply(create(), r.top_logprobs), "chat request"))

    def complete(self, prompt: str, r: ChatRequest, options: dict[str, Any] | None = None) -> ChatReply:
        """One legacy (text) completion of ``prompt`` with the settings of ``r``."""
        kw = self._kwargs(r, options)

        def create() -> Any:
            with reply_cap(cap_for(r.max_tokens)):
                return self.client.completions.create(prompt=prompt, **kw)

        return self._scrubbed(self.call(lambda: read_reply(create(), chat=False), "completion request"))

    def _scrubbed(self, reply: ChatReply) -> ChatReply:
        """A reply whose text names no secret: a server that echoes the key in an answer must
        not get it into the cache, a results file or a report. A masked reply is marked
        (``masked``): the query stage never caches it, so no answer masked for one key is
        served to another."""
        clean = self.endpoint.scrub(reply.text)
        return reply if clean == reply.text else replace(reply, text=clean, masked=True)


class EndpointChat(EndpointClient):
    """The chat backend over an endpoint: a batch is sent ``max_concurrency`` at a time."""

    def __init__(self, endpoint: Endpoint, model: str | None = None, max_concurrency: int = 4,
                 timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES, rpm: float | None = None) -> None:
        if not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be a whole number of at least 1 (got {max_concurrency!r})")
        super().__init__(endpoint, model, timeout, retries, rpm)
        self.max_concurrency = max_concurrency

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        _ = self.model  # resolve once, before the threads start
        if len(requests) <= 1 or self.max_concurrency == 1:
            return [self.one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(self.one, requests))
