"""What an engine is: something that explains run items and hands back their records.

The caller (:func:`promptfoil.runs.run`) stays the only writer of the results file; an
engine only decides where and in what order items are explained.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..items import RunItem


@runtime_checkable
class Engine(Protocol):
    """Explains items somewhere (this process, Ray actors, ...)."""

    def start(self) -> str:
        """Get ready (connect, start workers); returns a one-line description."""
        ...

    def explain_items(self, items: Sequence[RunItem], trace: bool = True) -> Iterator[tuple[RunItem, dict[str, Any]]]:
        """Yield ``(item, results record)`` once per item, in the order they finish."""
        ...

    def close(self) -> None:
        """Release workers and anything :meth:`start` brought up."""
        ...
