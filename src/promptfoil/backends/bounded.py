"""HTTP exchanges with a wall-clock deadline and a cap on the size of the answer.

The HTTP client's timeouts bound each read, not a request: a server that sends one byte every
few seconds never trips them. :class:`BoundedTransport` runs each exchange (one try: the
openai client's retries stay the client's) in a worker thread over a connection pool of its
own; when it is not finished by the deadline that pool is closed, which ends the exchange at
once (its socket is gone), and the client sees a read timeout. Pools that finished cleanly
are kept for the next exchange, so connections are still reused.

The answer is read (and decompressed) as a stream and refused as soon as it passes its cap:
a reply far larger than what was asked for is never held in memory, cached or printed. The
cap of a request is set with :func:`reply_cap` around the call that sends it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ..errors import PromptfoilError

#: Every answer may hold this much besides its text (JSON, usage, ids).
CAP_BASE = 64 * 1024
#: Allowance per token asked for (a token is rarely over a few bytes, even JSON-escaped).
CAP_PER_TOKEN = 1024
#: The cap when no token count is known (model listings and the like).
CAP_DEFAULT = 4 * 1024 * 1024

_cap: ContextVar[int | None] = ContextVar("promptfoil_reply_cap", default=None)


class ReplyTooLarge(PromptfoilError):
    """The server sent more than the cap allows for the answer asked for."""


def cap_for(max_tokens: int, top_logprobs: int = 0) -> int:
    """Bytes accepted for an answer of ``max_tokens`` tokens (``top_logprobs`` alternatives each)."""
    return CAP_BASE + max(1, max_tokens) * CAP_PER_TOKEN * (1 + max(0, top_logprobs))


@contextmanager
def reply_cap(max_bytes: int) -> Iterator[None]:
    """Requests sent in this block (this thread) accept answers of at most ``max_bytes``
    (plus twice the request's own size, for servers that echo the prompt)."""
    token = _cap.set(max_bytes)
    try:
        yield
    finally:
        _cap.reset(token)


def read_capped(chunks: Iterable[bytes], max_bytes: int) -> bytes:
    """The bytes of ``chunks``, refused (:class:`ReplyTooLarge`) once they pass ``max_bytes``."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise ReplyTooLarge(f"the server sent more than {max_bytes:,} bytes for one answer (refused)")
        parts.append(chunk)
    return b"".join(parts)


class BoundedTransport:
    """An ``httpx2`` transport: each exchange at most ``seconds`` long and capped in size.

    ``make`` builds the inner transport (one connection pool); it is closed to cut off an
    exchange that runs past its deadline.
    """

    def __init__(self, seconds: float, make: Callable[[], Any] | None = None) -> None:
        import httpx2

        self.seconds = float(seconds)
        self._make = make or httpx2.HTTPTransport
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def _acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._make()

    def _release(self, inner: Any) -> None:
        with self._lock:
            self._idle.append(inner)

    @staticmethod
    def _discard(inner: Any) -> None:
        try:
            inner.close()
        except Exception:  # noqa: BLE001 - a cut-off pool may complain; it is dropped anyway
            pass

    def _exchange(self, inner: Any, request: Any, cap: int) -> Any:
        import httpx2

        response = inner.handle_request(request)
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise ReplyTooLarge(f"the server announced an answer of {int(declared):,} bytes; "
                                    f"the cap is {cap:,} (refused)")
            raw = httpx2.Response(response.status_code, headers=response.headers, stream=response.stream,
                                  request=request)
            body = read_capped(raw.iter_bytes(), cap)  # decoded: a compressed bomb is capped too
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx2.Response(response.status_code, headers=headers, content=body,
                               extensions=response.extensions, request=request)

    def handle_request(self, request: Any) -> Any:
        import httpx2

        try:
            sent = len(request.content or b"")
        except Exception:  # noqa: BLE001 - a body not read yet: no allowance for an echo
            sent = 0
        cap = (_cap.get() or CAP_DEFAULT) + 2 * sent
        inner = self._acquire()
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = self._exchange(inner, request, cap)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name="promptfoil-request", daemon=True).start()
        if not done.wait(self.seconds):
            self._discard(inner)  # closes its sockets: the worker's read fails and it ends
            raise httpx2.ReadTimeout(f"no complete answer within {self.seconds:g} s", request=request)
        if "error" in box:
            self._discard(inner)
            raise box["error"]
        self._release(inner)
        return box["value"]

    def __enter__(self) -> BoundedTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for inner in idle:
            self._discard(inner)
