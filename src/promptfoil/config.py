"""One typed configuration with one default per setting.

The CLI, the Python API and the job commands all describe an explanation with a
:class:`Config` and build the same :class:`~promptfoil.explainer.Explainer` from it.
Nothing here loads a model; :mod:`promptfoil.build` turns a config into components.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, whole
from .search.cell_budget import UNIT_ORDERS, check_give_up
from .targets.budget import Budget
from .types import DIRECTIONS, Direction

DEFAULT_TARGET = "smollm2"
DEFAULT_INFILLER = "lm"
DEFAULT_SCORER = "semantic"
DEFAULT_ALGORITHM = "cell-budget"
DEFAULT_BUDGET = 40
DEFAULT_SPLIT_K = 1
DEFAULT_MAX_TOKENS = 64
#: Fluency margin (nats per token below the original prompt's mean log-likelihood), chosen
#: on a labelled set of candidates (benchmarks/results/fluency_cut.md).
DEFAULT_MIN_FLUENCY = 0.55


def _number_or_none(name: str, value: object, lo: float, hi: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        span = f"at least {lo:g}" if hi == math.inf else f"in [{lo:g}, {hi:g}]"
        raise ConfigError(f"{name} must be a number {span}, or None to turn it off (got {value!r})")


@dataclass(frozen=True)
class Component:
    """A component by registry name (or ``package.module:Name``, or a ready object), the
    model it loads, and the options its factory takes."""

    name: Any
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.options, Mapping):
            raise ConfigError(f"component options must be a dict of settings (got {type(self.options).__name__})")
        if isinstance(self.model, Path):
            object.__setattr__(self, "model", str(self.model))
        if self.model is not None and not isinstance(self.model, str):
            raise ConfigError(f"a component's model must be a name or a path (got {type(self.model).__name__})")

    @property
    def label(self) -> str:
        return self.name if isinstance(self.name, str) else getattr(self.name, "name", type(self.name).__name__)


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible server shared by every component that can talk to one: the
    ``openai`` target, the ``llm`` infiller and the judge scorers. ``base_url`` None: the
    ``openai`` target falls back to ``$OPENAI_BASE_URL`` and the other components run locally.
    Several URLs (a tuple) are a fleet of servers of one model; ``max_concurrency`` and ``rpm``
    then hold per server."""

    base_url: str | tuple[str, ...] | None = None
    api_key_env: str | None = None
    max_concurrency: int | None = None
    rpm: float | None = None
    completions: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.base_url, (list, tuple)):
            urls = tuple(self.base_url)
            if not urls or not all(isinstance(u, str) and u for u in urls):
                raise ConfigError(f"base_url must be a URL or a list of URLs (got {self.base_url!r})")
            object.__setattr__(self, "base_url", urls[0] if len(urls) == 1 else urls)
        elif self.base_url is not None and not isinstance(self.base_url, str):
            raise ConfigError(f"base_url must be a URL or a list of URLs (got {type(self.base_url).__name__})")
        if self.max_concurrency is not None:
            whole("max_concurrency", self.max_concurrency, 1)
        if self.rpm is not None and (not isinstance(self.rpm, (int, float)) or isinstance(self.rpm, bool)
                                     or not math.isfinite(self.rpm) or self.rpm <= 0):
            raise ConfigError(f"rpm must be a positive number (got {self.rpm!r})")

    def shared(self) -> dict[str, Any]:
        """Settings passed to each endpoint-capable component (those that were given)."""
        return {k: v for k, v in (("api_key_env", self.api_key_env), ("max_concurrency", self.max_concurrency),
                                  ("rpm", self.rpm)) if v is not None}


@dataclass(frozen=True)
class Search:
    """How the search walks: algorithm, unit size, goal (threshold, direction) and seed, and
    what is done with a contrast once found (minimise, confirm, look for more)."""

    algorithm: str = DEFAULT_ALGORITHM
    split_k: int = DEFAULT_SPLIT_K
    threshold: float | None = None
    direction: Direction | None = None
    seed: int = 0
    fills_per_mask: int = 6
    alpha: float = 0.5
    max_iters: int = 100
    order: Any = "none"  # "none", "prompt-shift" or a Prioritizer
    unit_order: str = "content-first"  # CELL-budget's seeds: "content-first", "stance-first" or "random"
    prefetch: bool = True  # infill the next target batch while the target answers this one
    reuse_fills: bool = False  # fill each unit once in x0's context and reuse those fills in edited prompts
    give_up: tuple[float, float] | None = None  # (share, margin): cell-budget stops when nothing is near δ
    meaning_weight: float = 0.0  # rank candidates by score minus this times the prompt's shift in meaning
    min_fluency: float | None = DEFAULT_MIN_FLUENCY  # None: no fluency constraint
    min_prompt_similarity: float | None = None  # cosine of MiniLM prompt embeddings; None: off
    min_edit_similarity: float | None = None  # cosine of MiniLM embeddings of each replaced run of words; None: off
    judge_check: bool = True  # self-check an LLM judge before trusting it
    minimize: bool = True  # undo edits of a found contrast while it still reaches δ (budget permitting)
    confirm: int = 0  # re-ask a stochastic target K times: the contrast must hold in most re-samples
    contrasts: int = 1  # up to N contrasts that edit disjoint units

    def __post_init__(self) -> None:
        _number_or_none("min_fluency", self.min_fluency, 0.0, math.inf)
        _number_or_none("min_prompt_similarity", self.min_prompt_similarity, -1.0, 1.0)
        _number_or_none("min_edit_similarity", self.min_edit_similarity, -1.0, 1.0)
        if not isinstance(self.judge_check, bool):
            raise ConfigError(f"judge_check must be true or false (got {self.judge_check!r})")
        whole("split_k", self.split_k, 1)
        whole("confirm", self.confirm, 0)
        whole("contrasts", self.contrasts, 1)
        object.__setattr__(self, "give_up", check_give_up(self.give_up))
        _number_or_none("meaning_weight", self.meaning_weight, 0.0, math.inf)
        if not isinstance(self.reuse_fills, bool):
            raise ConfigError(f"reuse_fills must be true or false (got {self.reuse_fills!r})")
        if not isinstance(self.minimize, bool):
            raise ConfigError(f"minimize must be true or false (got {self.minimize!r})")
        whole("fills_per_mask", self.fills_per_mask, 1)
        whole("max_iters", self.max_iters, 1)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be a whole number (got {self.seed!r})")
        if self.unit_order not in UNIT_ORDERS:
            raise ConfigError(f"unit_order must be one of {', '.join(UNIT_ORDERS)} (got {self.unit_order!r})")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"alpha must lie in [0, 1] (got {self.alpha!r})")
        if self.threshold is not None:
            if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)):
                raise ConfigError(f"threshold must be a number (got {self.threshold!r})")
            if not math.isfinite(self.threshold):
                raise ConfigError(f"threshold must be a finite number (got {self.threshold!r})")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise ConfigError(f"unknown direction '{self.direction}'; valid directions: {', '.join(DIRECTIONS)}")


@dataclass(frozen=True)
class Config:
    """Everything that defines an explanation; every field has its one default here."""

    target: Component = field(default_factory=lambda: Component(DEFAULT_TARGET))
    infiller: Component = field(default_factory=lambda: Component(DEFAULT_INFILLER))
    scorer: Component = field(default_factory=lambda: Component(DEFAULT_SCORER))
    search: Search = field(default_factory=Search)
    budget: Budget = field(default_factory=lambda: Budget(calls=DEFAULT_BUDGET))
    max_tokens: int | None = DEFAULT_MAX_TOKENS  # the target's response length (when it takes one)
    endpoint: Endpoint = field(default_factory=Endpoint)
    cache: Any = True  # True (default file), False/None (off), a path, or a ResponseCache

    def __post_init__(self) -> None:
        if self.max_tokens is not None:
            whole("max_tokens", self.max_tokens, 1)
        if not (isinstance(self.cache, (bool, str, Path)) or self.cache is None or hasattr(self.cache, "get_many")):
            raise ConfigError(
                f"cache must be True, False, a file path or a ResponseCache (got {type(self.cache).__name__})"
            )

    def with_options(self, **flat: Any) -> Config:
        """A copy with flat keyword settings applied (the API's ``explain(prompt, budget=20, ...)``).

        Keys: ``target``/``infiller``/``scorer`` (name or object), ``*_model``, ``*_options``,
        every field of :class:`Search` and :class:`Endpoint`, ``budget`` (calls),
        ``token_budget``, ``time_budget``, ``max_tokens`` and ``cache``.
        """
        unknown = sorted(set(flat) - set(FLAT_KEYS))
        if unknown:
            raise ConfigError(f"unknown option '{unknown[0]}'; valid options: {', '.join(sorted(FLAT_KEYS))}")
        cfg = self
        for kind in ("target", "infiller", "scorer"):
            cur: Component = getattr(cfg, kind)
            keys = (kind, f"{kind}_model", f"{kind}_options")
            if not any(k in flat for k in keys):
                continue
            name = flat.get(kind, cur.name)
            same = name is cur.name or (isinstance(name, str) and name == cur.name)
            model = flat[f"{kind}_model"] if f"{kind}_model" in flat else (cur.model if same else None)
            options = flat[f"{kind}_options"] if f"{kind}_options" in flat else (cur.options if same else {})
            if options is None:
                options = {}
            cfg = replace(cfg, **{kind: Component(name, model, options)})
        search = {k: flat[k] for k in SEARCH_KEYS if k in flat}
        if search:
            cfg = replace(cfg, search=replace(cfg.search, **search))
        endpoint = {k: flat[k] for k in ENDPOINT_KEYS if k in flat}
        if endpoint:
            cfg = replace(cfg, endpoint=replace(cfg.endpoint, **endpoint))
        limits = {new: flat[old] for old, new in BUDGET_KEYS.items() if old in flat}
        if limits:
            cfg = replace(cfg, budget=replace(cfg.budget, **limits))
        rest = {k: flat[k] for k in ("max_tokens", "cache") if k in flat}
        return replace(cfg, **rest) if rest else cfg


SEARCH_KEYS = tuple(f.name for f in fields(Search))
ENDPOINT_KEYS = tuple(f.name for f in fields(Endpoint))
BUDGET_KEYS = {"budget": "calls", "token_budget": "tokens", "time_budget": "seconds"}
FLAT_KEYS = frozenset(
    [f"{k}{s}" for k in ("target", "infiller", "scorer") for s in ("", "_model", "_options")]
    + list(SEARCH_KEYS) + list(ENDPOINT_KEYS) + list(BUDGET_KEYS) + ["max_tokens", "cache"]
)
