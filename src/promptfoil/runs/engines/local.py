"""The default engine: items explained one after the other in this process."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..items import ExplainerLike, RunItem
from ...config import Config
from ..records import explain_item, settings_of


class LocalEngine:
    """One Explainer, in this process, item after item (today's behaviour)."""

    name = "local"

    def __init__(self, explainer: ExplainerLike, stop_on: tuple[type[Exception], ...] = ()) -> None:
        self.explainer = explainer
        self.stop_on = stop_on  # errors that stop the run instead of being recorded

    @property
    def settings(self) -> dict[str, Any] | None:
        """The experiment's settings (None for an explainer without a :class:`Config`)."""
        config = getattr(self.explainer, "config", None)
        return settings_of(config) if isinstance(config, Config) else None

    def start(self) -> str:
        return "local"

    def explain_items(self, items: Sequence[RunItem], trace: bool = True) -> Iterator[tuple[RunItem, dict[str, Any]]]:
        for it in items:
            yield it, explain_item(self.explainer, it, trace, self.stop_on)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
