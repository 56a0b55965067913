"""Several OpenAI-compatible servers of one model, used as one endpoint (``--base-url`` given
more than once).

Each request goes to the server with the fewest requests outstanding (ties take turns), at
most ``max_concurrency`` at a time per server. A server that fails a request (refused, timed
out, 5xx, 429, an unreadable answer) is rested, for a second at first and twice as long
after each failure in a row (at most 30 s), and the request is tried on another server at
once; when every server has failed it, the fleet waits a short backoff and goes round
again, ``retries`` times. A request a server rejects for its own sake (another 4xx) is not
tried elsewhere. One URL builds no fleet: the single-server client is used as before.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..errors import ConfigError
from .chat import ChatReply, ChatRequest
from .openai import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Endpoint, EndpointClient, EndpointError

T = TypeVar("T")
REST = 1.0  # seconds a server rests after its first failure; doubles per failure in a row
MAX_REST = 30.0


def base_urls(base_url: str | Sequence[str] | None) -> list[str | None]:
    """``--base-url`` as a list: one URL (or None, for ``$OPENAI_BASE_URL``) or several."""
    if base_url is None or isinstance(base_url, str):
        return [base_url]
    urls = list(base_url)
    if not urls or not all(isinstance(u, str) and u for u in urls):
        raise ConfigError(f"base_url must be a URL or a list of URLs (got {base_url!r})")
    if len(set(urls)) != len(urls):
        raise ConfigError("the same --base-url is given twice")
    return urls


def resolve_all(base_url: str | Sequence[str] | None, api_key_env: str | None = None) -> list[Endpoint]:
    """Every endpoint ``--base-url`` names (one: ``$OPENAI_BASE_URL`` or OpenAI's when None)."""
    return [Endpoint.resolve(u, api_key_env) for u in base_urls(base_url)]


class Fleet:
    """Servers that answer alike, behind the interface of one :class:`EndpointClient`
    (``model``, ``identity``, ``one``, ``complete``) and of a chat backend (``chat``)."""

    def __init__(self, endpoints: Sequence[Endpoint], model: str | None = None, max_concurrency: int = 4,
                 timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES, rpm: float | None = None) -> None:
        if len(endpoints) < 2:
            raise ConfigError("a fleet needs at least two servers")
        self.members = [EndpointClient(e, model, timeout, 0, rpm) for e in endpoints]  # the fleet retries
        self.max_concurrency = max_concurrency
        self.retries = retries
        self.outstanding = [0] * len(endpoints)
        self.answered = [0] * len(endpoints)  # requests each server answered
        self._rest_until = [0.0] * len(endpoints)
        self._fails = [0] * len(endpoints)
        self._turn = 0
        self._model = model
        self._cond = threading.Condition()

    @property
    def endpoints(self) -> list[Endpoint]:
        return [m.endpoint for m in self.members]

    @property
    def model(self) -> str:
        """The model name; when none was given, the only model of the first server that answers."""
        if self._model is None:
            self._model = self._run(lambda m: m.model)
        return self._model

    @property
    def identity(self) -> str:
        return f"openai:{'|'.join(e.url for e in self.endpoints)}:{self.model}"

    # -- choosing a server ---------------------------------------------------------------
    def _pick(self, tried: set[int]) -> int:
        """The least busy server not yet tried; rested servers only when no other is left."""
        n = len(self.members)
        with self._cond:
            while True:
                now = time.monotonic()
                left = [i for i in range(n) if i not in tried]
                fresh = [i for i in left if self._rest_until[i] <= now]
                pool = fresh or sorted(left, key=lambda i: self._rest_until[i])[:1]
                free = [i for i in pool if self.outstanding[i] < self.max_concurrency]
                if free:
                    i = min(free, key=lambda i: (self.outstanding[i], (i - self._turn) % n))
                    self._turn = (i + 1) % n
                    self.outstanding[i] += 1
                    return i
                self._cond.wait(timeout=0.5)

    def _done(self, i: int, ok: bool | None) -> None:
        with self._cond:
            self.outstanding[i] -= 1
            if ok:
                self.answered[i] += 1
                self._fails[i] = 0
                self._rest_until[i] = 0.0
            elif ok is False:
                self._fails[i] += 1
                self._rest_until[i] = time.monotonic() + min(MAX_REST, REST * 2 ** (self._fails[i] - 1))
            self._cond.notify_all()

    def _run(self, send: Callable[[EndpointClient], T]) -> T:
        """``send`` on one server after another until one answers; rounds of every server,
        ``retries`` + 1 of them at most, with a backoff in between."""
        last: EndpointError | None = None
        for round_ in range(self.retries + 1):
            if round_:
                time.sleep(min(8.0, 0.25 * 2**round_) * random.uniform(0.5, 1.0))
            tried: set[int] = set()
            while len(tried) < len(self.members):
                i = self._pick(tried)
                try:
                    out = send(self.members[i])
                except EndpointError as exc:
                    self._done(i, False if exc.server_fault else None)
                    if not exc.server_fault:
                        raise
                    tried.add(i)
                    last = exc
                    continue
                except BaseException:
                    self._done(i, None)
                    raise
                self._done(i, True)
                return out
        assert last is not None
        raise EndpointError(f"every server of the fleet failed ({len(self.members)} servers, "
                            f"{self.retries + 1} rounds); last: {last}")

    # -- requests ------------------------------------------------------------------------
    def one(self, r: ChatRequest, options: dict[str, Any] | None = None) -> ChatReply:
        """One chat completion on whichever server is free."""
        return self._run(lambda m: m.one(r, options))

    def complete(self, prompt: str, r: ChatRequest, options: dict[str, Any] | None = None) -> ChatReply:
        """One legacy completion on whichever server is free."""
        return self._run(lambda m: m.complete(prompt, r, options))

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        """A batch, up to ``max_concurrency`` requests per server at once."""
        _ = self.model
        width = min(self.max_concurrency * len(self.members), len(requests))
        if width <= 1:
            return [self.one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=width) as pool:
            return list(pool.map(self.one, requests))
