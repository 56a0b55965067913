"""One HTTP exchange under a wall-clock deadline and a cap on the size of the answer.

The HTTP client's timeouts bound each read, not a request: a server that sends one byte every
few seconds never trips them. Here each exchange runs in a worker thread with a client of its
own; when it is not finished by the deadline that client is closed, which ends the exchange at
once (its socket is gone), and the caller gets :class:`RequestDeadline`. Clients that finished
cleanly are kept for the next exchange, so connections are still reused.

The answer is read as a stream and refused as soon as it passes ``max_bytes``: a reply far
larger than what was asked for is never held in memory, cached or printed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from ..errors import PromptfoilError

C = TypeVar("C")
T = TypeVar("T")


class RequestDeadline(Exception):
    """The exchange did not finish within its deadline (it was cut off)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class ReplyTooLarge(PromptfoilError):
    """The server sent more than the cap allows for the answer asked for."""


class ClientPool(Generic[C]):
    """Clients made on demand (``make``), reused after a clean exchange, closed after a bad one."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._idle: list[C] = []
        self._lock = threading.Lock()

    def acquire(self) -> C:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._make()

    def release(self, client: C) -> None:
        with self._lock:
            self._idle.append(client)

    @staticmethod
    def discard(client: C) -> None:
        try:
            client.close()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - closing a broken client may fail; it is dropped anyway
            pass

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for c in idle:
            self.discard(c)


def run_bounded(pool: ClientPool[C], fn: Callable[[C], T], seconds: float) -> T:
    """``fn(client)`` with a client of ``pool``, cut off after ``seconds`` (wall clock)."""
    client = pool.acquire()
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = fn(client)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="promptfoil-request", daemon=True).start()
    if not done.wait(seconds):
        pool.discard(client)  # closes its sockets: the worker's read fails and it ends
        raise RequestDeadline(seconds)
    if "error" in box:
        pool.discard(client)
        raise box["error"]
    pool.release(client)
    return box["value"]  # type: ignore[no-any-return]


def read_capped(chunks: Iterable[bytes], max_bytes: int, declared: int | None = None) -> bytes:
    """The bytes of ``chunks``, refused (:class:`ReplyTooLarge`) once they pass ``max_bytes``."""
    if declared is not None and declared > max_bytes:
        raise ReplyTooLarge(f"the server announced an answer of {declared:,} bytes; the cap is {max_bytes:,}")
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise ReplyTooLarge(f"the server sent more than {max_bytes:,} bytes for one answer")
        parts.append(chunk)
    return b"".join(parts)
