"""Where a dataset run's items are explained: ``local`` (this process) or ``ray`` (actors on
a Ray cluster). Every engine yields one results record per item; the run writes them."""

from __future__ import annotations

from typing import Any

from ...config import Config
from ...errors import ConfigError
from .base import Engine

ENGINES = ("local", "ray")


def make_engine(kind: str, config: Config, parallel: int = 1, **options: Any) -> Engine:
    """An engine of ``kind`` for ``config``; ``parallel``: items in flight at once (local
    engine only); ``options`` go to the Ray engine (workers, address, ...)."""
    if kind == "local":
        if options:
            raise ConfigError(f"{', '.join(sorted(options))} need(s) --engine ray")
        from ...explainer import Explainer
        from .inflight import check_parallel
        from .local import LocalEngine
        from .shared import check_target

        check_target(config, check_parallel(parallel))  # before any model loads
        return LocalEngine(Explainer(config), parallel=parallel)
    if parallel != 1:
        raise ConfigError("--parallel applies to --engine local; with --engine ray, raise --workers "
                          "(each Ray actor explains one item at a time, --worker-cpus 0.25 for actors that only wait on servers)")
    if kind == "ray":
        from .ray import RayEngine

        return RayEngine(config, **options)
    raise ConfigError(f"unknown engine '{kind}'; valid engines: {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "make_engine"]
