"""Up to N items explained at once in threads of this process (``--parallel N``).

What it is for: a target served over HTTP mostly waits for its server, and a batching
server (vLLM, llama.cpp with several slots) answers several requests at once; one
explanation at a time leaves it idle between a search's batches. Threads are enough for
that waiting. The caller (the run loop) stays the only writer: records come back here, in
the order the items finish.

The threads are daemons: an interrupted or failed run does not wait for the explanations
still in flight (their answers are in the response cache; nothing of them is written).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ...errors import ConfigError
from ..items import RunItem

#: The most items in flight that ``--parallel`` accepts (threads, not processes).
MAX_PARALLEL = 256


def check_parallel(value: Any) -> int:
    """``value`` as a whole number from 1 to :data:`MAX_PARALLEL`, else a one-line error."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARALLEL:
        raise ConfigError(f"--parallel must be a whole number from 1 to {MAX_PARALLEL} (got {value!r})")
    return value


def _next(done: queue.SimpleQueue[Any]) -> Any:
    """The next finished item; waits in short steps so that Ctrl-C reaches the driver."""
    while True:
        try:
            return done.get(timeout=0.5)
        except queue.Empty:
            continue


def in_flight(
    items: Sequence[RunItem], explain_one: Callable[[RunItem], dict[str, Any]], parallel: int,
) -> Iterator[tuple[RunItem, dict[str, Any]]]:
    """Yield ``(item, explain_one(item))`` as each finishes, keeping up to ``parallel`` running.

    An exception from ``explain_one`` (an error that stops the run) is raised here once it
    arrives; no further item is started.
    """
    todo: queue.SimpleQueue[RunItem | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[RunItem, dict[str, Any] | None, BaseException | None]] = queue.SimpleQueue()
    stop = threading.Event()
    for it in items:
        todo.put(it)

    def worker() -> None:
        while not stop.is_set():
            it = todo.get()
            if it is None:
                return
            try:
                done.put((it, explain_one(it), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the driver, which raises it
                done.put((it, None, exc))
                return

    threads = [threading.Thread(target=worker, name=f"promptfoil-item-{i}", daemon=True)
               for i in range(min(parallel, len(items)))]
    for _ in threads:
        todo.put(None)  # one end mark per thread, after every item
    for t in threads:
        t.start()
    try:
        for _ in range(len(items)):
            it, rec, exc = _next(done)
            if exc is not None:
                raise exc
            assert rec is not None
            yield it, rec
    finally:
        stop.set()  # nothing new starts; explanations already running end on their own
