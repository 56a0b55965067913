"""Progress off a terminal: plain lines instead of a progress bar.

Rich draws its bar only on a terminal; under a pipe, ``nohup`` or a CI log a long ``run``,
``redteam`` or ``explain`` would say nothing for minutes. There, each finished item gets
one line (id, found/failed, calls, seconds), and one explanation a line every
:data:`CALLS_PER_LINE` target calls (cache hits counted: a cached rerun moves too).
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..report.visible import visible

#: One progress line per this many target calls (paid or served from the cache) inside one explanation.
CALLS_PER_LINE = 10


def one_line(value: object) -> str:
    """``value`` as text safe inside one progress line: every control character (ESC/OSC
    sequences, bidi overrides, newlines and tabs too) shown as a visible one, and rich markup
    (``[red]``) escaped, so an id or an error cannot restyle, reorder or split the line."""
    return escape(visible(str(value)).replace("\n", "\u2424").replace("\t", "\u2409"))


class CallLines:
    """A ``progress(paid, cached=...)`` callback of :meth:`Explainer.explain` that prints
    ``LABEL: 20/40 target calls, 5 cached (12.3 s)`` each time another :data:`CALLS_PER_LINE`
    calls were made or served from the cache."""

    def __init__(self, err: Console, label: str, budget: int | None, every: int = CALLS_PER_LINE) -> None:
        self.err, self.label, self.budget, self.every = err, label, budget, max(1, every)
        self.t0 = time.perf_counter()
        self.shown = 0  # calls (paid + cached) at the last line

    def __call__(self, paid: int, cached: int = 0) -> None:
        total = paid + cached
        if total // self.every <= self.shown // self.every:
            return
        self.shown = total
        of = "" if self.budget is None else f"/{self.budget}"
        self.err.print(f"{one_line(self.label)}: {paid}{of} target calls, {cached} cached "
                       f"({time.perf_counter() - self.t0:.1f} s)", highlight=False, soft_wrap=True)


class WatchedExplainer:
    """An explainer whose every :meth:`explain` prints :class:`CallLines` (``item 3/10``);
    everything else is the wrapped explainer's. For the local engine of ``run``/``redteam``."""

    def __init__(self, explainer: Any, err: Console, noun: str) -> None:
        self._explainer, self._err, self._noun = explainer, err, noun
        self.todo: int | None = None
        self.started = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._explainer, name)

    def explain(self, prompt: Any, *args: Any, **kw: Any) -> Any:
        self.started += 1
        of = "" if self.todo is None else f"/{self.todo}"
        if kw.get("progress") is None:
            kw["progress"] = CallLines(self._err, f"{self._noun} {self.started}{of}",
                                       getattr(self._explainer, "budget", None))
        return self._explainer.explain(prompt, *args, **kw)


class ItemLines:
    """One line per finished item: ``item 3/10 q7: found, 23 target calls (4 cached), 4.1 s``."""

    def __init__(self, err: Console, noun: str, total: int) -> None:
        self.err, self.noun, self.total = err, noun, total
        self.n = 0
        self.last = time.perf_counter()

    def start(self, todo: int) -> None:
        self.total = todo
        self.last = time.perf_counter()
        self.err.print(f"{todo} {self.noun}(s) to explain", highlight=False)

    def item(self, item_id: str, rec: dict[str, Any]) -> None:
        self.n += 1
        now = time.perf_counter()
        seconds = rec.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            seconds = now - self.last
        self.last = now
        calls = rec.get("calls") if isinstance(rec.get("calls"), dict) else {}
        paid = int(calls.get("target", 0) or 0) + int(calls.get("original", 0) or 0)
        cached = int(calls.get("cache_hits", 0) or 0)
        state = "failed" if "error" in rec else "found" if rec.get("found") else "not found"
        self.err.print(f"{self.noun} {self.n}/{self.total} {one_line(item_id)}: {state}, {paid} target calls "
                       f"({cached} cached), {seconds:.1f} s", highlight=False, soft_wrap=True)


def plain(err: Console) -> bool:
    """Progress is shown as plain lines: stderr is not a terminal."""
    return not err.is_terminal

