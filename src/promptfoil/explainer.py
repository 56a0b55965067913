"""The one place that knows every stage: it composes target, infiller, scorer and search."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from . import plugins  # noqa: F401  (fills the registries)
from .errors import ConfigError
from .infill.base import Infiller, infillers
from .scorers.base import Scorer, scorers
from .search import SearchContext, searches
from .search.budget import Querier
from .search.goal import Goal
from .search.priority import Prioritizer, make_prioritizer
from .search.space import PromptSpace
from .segment import count_words, segment, words
from .targets.base import Target, targets
from .targets.cache import ResponseCache
from .targets.function import FunctionTarget
from .types import Calls, Direction, Explanation

DEFAULT_TARGET = "smollm2"
DEFAULT_INFILLER = "lm"
DEFAULT_SCORER = "semantic"
DEFAULT_ALGORITHM = "cell-budget"
DEFAULT_BUDGET = 40
DEFAULT_SPLIT_K = 1
DEFAULT_MAX_TOKENS = 64
MAX_PROMPT_CHARS = 200_000


def _model_kw(model: str | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments for a registry factory: its options plus ``model`` when given."""
    kw = dict(extra or {})
    if model:
        kw["model"] = model
    return kw


def _create(registry: Any, name: str, kwargs: dict[str, Any]) -> Any:
    try:
        return registry.create(name, **kwargs)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            bad = str(exc).split("argument")[-1].strip(" '")
            raise ConfigError(f"{registry.kind} '{name}' has no option '{bad}'") from None
        raise


def resolve_target(
    target: str | Target | Callable[[list[str]], list[str]],
    model: str | None = None,
    options: dict[str, Any] | None = None,
) -> Target:
    if isinstance(target, str):
        return _create(targets, target, _model_kw(model, options))
    if isinstance(target, Target):
        return target
    if callable(target):
        return FunctionTarget(target)
    raise ConfigError(f"target must be a name, a Target or a callable, got {type(target).__name__}")


def resolve_infiller(infiller: str | Infiller, model: str | None = None, options: dict[str, Any] | None = None) -> Infiller:
    if isinstance(infiller, str):
        return _create(infillers, infiller, _model_kw(model, options))
    if isinstance(infiller, Infiller):
        return infiller
    raise ConfigError(f"infiller must be a name or an Infiller, got {type(infiller).__name__}")


def resolve_scorer(scorer: str | Scorer, model: str | None = None, options: dict[str, Any] | None = None) -> Scorer:
    if isinstance(scorer, str):
        return _create(scorers, scorer, _model_kw(model, options))
    if isinstance(scorer, Scorer):
        return scorer
    raise ConfigError(f"scorer must be a name or a Scorer, got {type(scorer).__name__}")


def edit_distance(x0: str, xc: str) -> float:
    """Word-level Levenshtein distance divided by the number of words in ``x0`` (paper §5.2)."""
    a, b = words(x0), words(xc)
    return Levenshtein.distance(a, b) / max(1, len(a))


class Explainer:
    """Finds contrastive explanations with one fixed set of components.

    Build it once and call :meth:`explain` for many prompts: models load once.
    """

    def __init__(
        self,
        target: str | Target | Callable[[list[str]], list[str]] = DEFAULT_TARGET,
        infiller: str | Infiller = DEFAULT_INFILLER,
        scorer: str | Scorer = DEFAULT_SCORER,
        algorithm: str = DEFAULT_ALGORITHM,
        budget: int | None = DEFAULT_BUDGET,
        split_k: int = DEFAULT_SPLIT_K,
        threshold: float | None = None,
        direction: Direction | None = None,
        seed: int = 0,
        cache: ResponseCache | str | bool | None = True,
        fills_per_mask: int = 6,
        target_model: str | None = None,
        infiller_model: str | None = None,
        scorer_model: str | None = None,
        max_tokens: int | None = None,
        alpha: float = 0.5,
        max_iters: int = 100,
        target_options: dict[str, Any] | None = None,
        infiller_options: dict[str, Any] | None = None,
        scorer_options: dict[str, Any] | None = None,
        order: str | Prioritizer | None = "none",
    ) -> None:
        if algorithm not in searches:
            searches.create(algorithm)  # raises with the valid names
        if budget is not None and (not isinstance(budget, int) or budget < 1):
            raise ConfigError(f"budget must be a whole number of at least 1 (got {budget!r})")
        if not isinstance(split_k, int) or split_k < 1:
            raise ConfigError(f"split_k must be a whole number of at least 1 (got {split_k!r})")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"alpha must lie in [0, 1] (got {alpha})")
        self.scorer = resolve_scorer(scorer, scorer_model, scorer_options)
        self.direction: Direction = direction or self.scorer.direction
        self.threshold = self.scorer.default_threshold if threshold is None else float(threshold)
        self.goal = Goal(self.direction, self.threshold)
        Goal.check_threshold(self.threshold, self.direction, self.scorer.bounds, self.scorer.name)
        t_opts = dict(target_options or {})
        if max_tokens is not None:
            t_opts.setdefault("max_tokens", max_tokens)
        self.target = resolve_target(target, target_model, t_opts)
        self.infiller = resolve_infiller(infiller, infiller_model, infiller_options)
        self.algorithm = algorithm
        self.search = searches.create(algorithm, alpha=alpha, max_iters=max_iters)
        self.budget = budget if budget is not None or algorithm == "cell" else DEFAULT_BUDGET
        self.split_k = split_k
        self.seed = seed
        self.fills_per_mask = fills_per_mask
        self.prioritizer = make_prioritizer(order)
        if cache is True:
            self.cache: ResponseCache | None = ResponseCache()
        elif isinstance(cache, (str,)):
            self.cache = ResponseCache(cache)
        elif isinstance(cache, ResponseCache):
            self.cache = cache
        else:
            self.cache = None

    def _check_prompt(self, prompt: object, protected: Sequence[tuple[int, int]]) -> PromptSpace:
        if not isinstance(prompt, str):
            raise ConfigError(f"prompt must be a string, got {type(prompt).__name__}")
        if not prompt.strip():
            raise ConfigError("prompt is empty: give a prompt with at least one word")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ConfigError(
                f"prompt has {len(prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}"
            )
        space = PromptSpace(prompt, segment(prompt, self.split_k, protected))
        n_words = count_words(prompt)
        if space.n_units == 0:
            raise ConfigError("prompt has no editable words (only punctuation, or all protected)")
        if n_words < self.split_k:
            raise ConfigError(
                f"prompt has {n_words} word(s) but split_k={self.split_k} needs at least "
                f"{self.split_k} for one edit; lower --split-k"
            )
        return space

    def explain(
        self,
        prompt: str,
        protected: Iterable[tuple[int, int]] = (),
        progress: Callable[[int], None] | None = None,
    ) -> Explanation:
        """Explain the target's response to ``prompt``; ``protected`` spans are never edited.

        ``progress`` is called with the number of budgeted target queries made so far.
        """
        space = self._check_prompt(prompt, list(protected))
        t0 = time.perf_counter()
        querier = Querier(self.target, self.cache, self.budget)
        y0 = querier.original(prompt)
        ctx = SearchContext(
            space, prompt, y0, self.infiller, querier, self.scorer, self.goal, self.seed,
            fills_per_mask=self.fills_per_mask, chunk=int(getattr(self.target, "batch_size", 1)),
            progress=progress,
            prioritizer=self.prioritizer,
        )
        result = self.search(ctx, budget=self.budget)
        best = result.best
        calls = Calls(
            target=querier.paid,
            original=querier.original_paid,
            infiller=ctx.counters.infiller,
            scorer=ctx.counters.scorer,
            cache_hits=querier.cache_hits,
        )
        return Explanation(
            found=result.found,
            prompt=prompt,
            response=y0,
            contrast_prompt=best.candidate.text if best else None,
            contrast_response=best.response if best else None,
            score=best.score if best else None,
            threshold=self.threshold,
            direction=self.direction,
            edits=space.edits(best.candidate) if best else (),
            edit_distance=edit_distance(prompt, best.candidate.text) if best else None,
            calls=calls,
            budget=self.budget,
            algorithm=self.algorithm,
            split_k=self.split_k,
            seed=self.seed,
            seconds=round(time.perf_counter() - t0, 3),
            trace=tuple(ctx.trace),
            target=getattr(self.target, "name", "target"),
            infiller=getattr(self.infiller, "name", "infiller"),
            scorer=getattr(self.scorer, "name", "scorer"),
            stop_reason=result.stop_reason,
        )


def explain(prompt: str, **options: Any) -> Explanation:
    """One-shot :class:`Explainer` (see its arguments) applied to ``prompt``."""
    protected = options.pop("protected", ())
    return Explainer(**options).explain(prompt, protected=protected)
