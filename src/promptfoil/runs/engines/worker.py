"""The explaining side of a distributed engine: builds one Explainer and explains items.

A plain class, so it can be tested without Ray; the Ray engine turns it into an actor.
Errors that would stop a local run (a missing package, a config the components reject)
come back as values rather than exceptions, so the driver raises them as one clear line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...config import Config
from ...errors import MissingDependency, PromptfoilError
from ..items import RunItem
from ..records import explain_item


@dataclass(frozen=True)
class Outcome:
    """A results record, or the error that stops the whole run."""

    record: dict[str, Any] | None = None
    fatal: PromptfoilError | None = None


def _fatal(exc: BaseException) -> PromptfoilError:
    if isinstance(exc, PromptfoilError):
        return exc
    return PromptfoilError(f"a worker could not build its explainer: {type(exc).__name__}: {exc}")


class ExplainWorker:
    """Builds its Explainer once from ``config`` (models load once per worker).

    The Explainer is built on the first :meth:`ready` or :meth:`explain`, not in the
    constructor: an actor that answers :meth:`placed` is running on a node, however long
    its models then take to load (the driver bounds the wait for placement on its own).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.explainer: Any = None
        self.error: PromptfoilError | None = None
        self._built = False

    def placed(self) -> bool:
        """True: this worker runs on a node (nothing is built yet)."""
        return True

    def _build(self) -> None:
        if self._built:
            return
        from ...explainer import Explainer

        self._built = True
        try:
            self.explainer = Explainer(self.config)
        except Exception as exc:  # noqa: BLE001 - sent to the driver, which stops the run
            self.error = _fatal(exc)

    def ready(self) -> PromptfoilError | None:
        """None once the Explainer is built, else the error that stops the run."""
        self._build()
        return self.error

    def explain(self, item: RunItem, trace: bool = True) -> Outcome:
        self._build()
        if self.explainer is None:
            return Outcome(fatal=self.error)
        try:
            return Outcome(record=explain_item(self.explainer, item, trace))
        except MissingDependency as exc:
            return Outcome(fatal=exc)
