"""The default engine: items explained in this process, one after the other or up to
``parallel`` at once (threads, for targets served over HTTP: see :mod:`.inflight`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..items import ExplainerLike, RunItem
from ...config import Config
from ..records import explain_item, settings_of
from .inflight import check_parallel, in_flight
from .shared import check_target, guard


class LocalEngine:
    """One Explainer, in this process: item after item, or ``parallel`` items in flight.

    With ``parallel`` > 1 the explainer's in-process parts are put behind one lock
    (:func:`~.shared.guard`) and a target running its model here is refused; records are
    those of a sequential run, yielded in the order the items finish.
    """

    name = "local"

    def __init__(self, explainer: ExplainerLike, stop_on: tuple[type[Exception], ...] = (), parallel: int = 1) -> None:
        self.parallel = check_parallel(parallel)
        check_target(getattr(explainer, "config", None), self.parallel)
        if self.parallel > 1:
            guard(explainer)
        self.explainer = explainer
        self.stop_on = stop_on  # errors that stop the run instead of being recorded

    @property
    def settings(self) -> dict[str, Any] | None:
        """The experiment's settings (None for an explainer without a :class:`Config`)."""
        config = getattr(self.explainer, "config", None)
        return settings_of(config) if isinstance(config, Config) else None

    def start(self) -> str:
        return "local" if self.parallel == 1 else f"local, {self.parallel} items in flight"

    def explain_one(self, item: RunItem, trace: bool = True) -> dict[str, Any]:
        """The record of one item (errors of a type in ``stop_on`` are raised)."""
        return explain_item(self.explainer, item, trace, self.stop_on)

    def explain_items(self, items: Sequence[RunItem], trace: bool = True) -> Iterator[tuple[RunItem, dict[str, Any]]]:
        if self.parallel > 1 and len(items) > 1:
            yield from in_flight(items, lambda it: self.explain_one(it, trace), self.parallel)
            return
        for it in items:
            yield it, self.explain_one(it, trace)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
