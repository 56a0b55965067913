"""Where a dataset run's items are explained: ``local`` (this process) or ``ray`` (actors on
a Ray cluster). Every engine yields one results record per item; the run writes them."""

from __future__ import annotations

from typing import Any

from ...config import Config
from ...errors import ConfigError
from .base import Engine

ENGINES = ("local", "ray")


def make_engine(kind: str, config: Config, **options: Any) -> Engine:
    """An engine of ``kind`` for ``config``; ``options`` go to the Ray engine (workers, address, ...)."""
    if kind == "local":
        if options:
            raise ConfigError(f"{', '.join(sorted(options))} need(s) --engine ray")
        from ...explainer import Explainer
        from .local import LocalEngine

        return LocalEngine(Explainer(config))
    if kind == "ray":
        from .ray import RayEngine

        return RayEngine(config, **options)
    raise ConfigError(f"unknown engine '{kind}'; valid engines: {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "make_engine"]
