"""The one place that knows every stage: it composes target, infiller, scorer and search."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from .build import build_cache, build_infiller, build_prioritizer, build_scorer, build_search, build_target
from .config import Config
from .conversation import Conversation, Layout, layout
from .errors import ConfigError
from .search import SearchContext
from .search.goal import Goal
from .search.space import PromptSpace
from .search.turns import ConversationSpace
from .segment import count_words, segment, words
from .targets.conversation import ConversationTarget
from .targets.query import QueryStage
from .types import Calls, Direction, Explanation

#: What :meth:`Explainer.explain` takes: a text, or a conversation (a list of
#: ``{"role", "content"}`` messages ending with a user turn, or a :class:`Conversation`).
Prompt = str | Conversation | Sequence[dict[str, str]]

MAX_PROMPT_CHARS = 200_000


def edit_distance(x0: str, xc: str) -> float:
    """Word-level Levenshtein distance divided by the number of words in ``x0`` (paper §5.2)."""
    a, b = words(x0), words(xc)
    return Levenshtein.distance(a, b) / max(1, len(a))


def default_threshold(scorer: Any, direction: Direction) -> float:
    """The scorer's measured default δ for ``direction``.

    A default belongs to a direction: a scorer names its defaults in ``default_thresholds``
    (direction -> δ), or gives one ``default_threshold`` for its own ``direction``. Any other
    direction needs an explicit threshold, because a δ chosen for "increase" is meaningless
    (or trivially reached) for "decrease".
    """
    table = getattr(scorer, "default_thresholds", None) or {scorer.direction: scorer.default_threshold}
    if direction in table:
        return float(table[direction])
    name = getattr(scorer, "name", "scorer")
    raise ConfigError(
        f"scorer '{name}' has a measured default threshold only for direction "
        f"{' / '.join(sorted(table))}; give --threshold (threshold=) for direction '{direction}'"
    )


class Explainer:
    """Finds contrastive explanations with one fixed set of components.

    Build it once from a :class:`~promptfoil.config.Config` (or flat keyword settings, see
    :meth:`Config.with_options`) and call :meth:`explain` for many prompts: models load once.
    """

    def __init__(self, config: Config | None = None, **options: Any) -> None:
        if config is not None and not isinstance(config, Config):
            raise ConfigError(f"config must be a promptfoil Config, got {type(config).__name__}")
        cfg = (config or Config()).with_options(**options)
        self.config = cfg
        self.search = build_search(cfg)
        self.scorer = build_scorer(cfg)
        self.direction: Direction = cfg.search.direction or self.scorer.direction
        self.threshold = (
            default_threshold(self.scorer, self.direction) if cfg.search.threshold is None else float(cfg.search.threshold)
        )
        Goal.check_threshold(self.threshold, self.direction, self.scorer.bounds, self.scorer.name)
        self.goal = Goal(self.direction, self.threshold)
        self.target = build_target(cfg)
        self.infiller = build_infiller(cfg)
        self.prioritizer = build_prioritizer(cfg)
        self.cache = build_cache(cfg)

    # Read-only views that reports and jobs use.
    @property
    def algorithm(self) -> str:
        return self.config.search.algorithm

    @property
    def budget(self) -> int | None:
        return self.config.budget.calls

    @property
    def split_k(self) -> int:
        return self.config.search.split_k

    @property
    def seed(self) -> int:
        return self.config.search.seed

    def _check_prompt(self, prompt: object, protected: Sequence[tuple[int, int]]) -> PromptSpace:
        if not isinstance(prompt, str):
            raise ConfigError(f"prompt must be a string or a conversation, got {type(prompt).__name__}")
        if not prompt.strip():
            raise ConfigError("prompt is empty: give a prompt with at least one word")
        self._check_length(prompt)
        space = PromptSpace(prompt, segment(prompt, self.split_k, protected))
        if space.n_units == 0:
            raise ConfigError("prompt has no editable words (only punctuation, or all protected)")
        self._check_words(count_words(prompt))
        return space

    def _check_length(self, text: str) -> None:
        if len(text) > MAX_PROMPT_CHARS:
            raise ConfigError(f"prompt has {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}")

    def _check_words(self, n_words: int) -> None:
        if n_words < self.split_k:
            raise ConfigError(
                f"prompt has {n_words} editable word(s) but split_k={self.split_k} needs at least "
                f"{self.split_k} for one edit; lower --split-k"
            )

    def _conversation_space(self, prompt: object, protected: Sequence[Sequence[int]],
                            edit: str | Iterable[str] | None) -> ConversationSpace:
        lay: Layout = layout(Conversation.of(prompt), edit)
        self._check_length(lay.text)
        space = ConversationSpace(lay, segment(lay.text, self.split_k, lay.protected(protected)))
        for turn in lay.turns:
            s, e = lay.spans[turn]
            if not any(s <= space.unit(u).start and space.unit(u).end <= e for u in range(space.n_units)):
                role = lay.conversation.messages[turn].role
                raise ConfigError(f"turn {turn} ({role}) is selected for edits but has no editable word")
        self._check_words(count_words(lay.edited_text()))
        return space

    def explain(
        self,
        prompt: Prompt,
        protected: Iterable[Sequence[int]] = (),
        progress: Callable[[int], None] | None = None,
        edit: str | Iterable[str] | None = None,
    ) -> Explanation:
        """Explain the target's response to ``prompt``; ``protected`` spans are never edited.

        ``prompt`` is a text or a conversation. In a conversation only the turns that the
        ``edit`` selectors pick change (default ``user:-1``: the last user turn), and a
        protected span is ``(turn, start, end)`` in that turn's content. ``progress`` is
        called with the number of budgeted target queries made so far.
        """
        target = self.target
        if isinstance(prompt, str):
            if edit is not None:
                raise ConfigError("edit selectors apply to conversations only; this prompt is a text")
            spans = list(protected)
            if any(isinstance(p, (tuple, list)) and len(p) == 3 for p in spans):
                raise ConfigError("a protected span of a prompt text is (start, end); (turn, start, end) is for conversations")
            space: PromptSpace = self._check_prompt(prompt, spans)  # type: ignore[arg-type]
        else:
            space = self._conversation_space(prompt, list(protected), edit)
            target = ConversationTarget(self.target, space.layout)
        text = space.prompt
        t0 = time.perf_counter()
        queries = QueryStage(target, self.cache, self.config.budget)
        y0 = queries.original(text).text
        s = self.config.search
        ctx = SearchContext(
            space, text, y0, self.infiller, queries, self.scorer, self.goal, s.seed,
            fills_per_mask=s.fills_per_mask, progress=progress, prioritizer=self.prioritizer,
        )
        result = self.search(ctx)
        best = result.best
        calls = Calls(
            target=queries.paid,
            original=queries.original_paid,
            infiller=ctx.counters.infiller,
            scorer=ctx.counters.scorer,
            cache_hits=queries.cache_hits,
        )
        return Explanation(
            found=result.found,
            prompt=text,
            response=y0,
            contrast_prompt=best.candidate.text if best else None,
            contrast_response=best.response if best else None,
            score=best.score if best else None,
            threshold=self.threshold,
            direction=self.direction,
            edits=space.edits(best.candidate) if best else (),
            edit_distance=self._distance(space, best.candidate.text) if best else None,
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
            **self._conversation_fields(space, best.candidate.text if best else None),
        )

    @staticmethod
    def _distance(space: PromptSpace, contrast: str) -> float:
        """Edit distance; in a conversation over the selected turns only."""
        if isinstance(space, ConversationSpace):
            lay = space.layout
            return edit_distance(lay.edited_text(), lay.edited_text(lay.decode(contrast)))
        return edit_distance(space.prompt, contrast)

    @staticmethod
    def _conversation_fields(space: PromptSpace, contrast: str | None) -> dict[str, Any]:
        if not isinstance(space, ConversationSpace):
            return {}
        lay = space.layout
        back = lay.decode(contrast) if contrast is not None else None
        return {
            "conversation": tuple(lay.conversation.to_list()),
            "contrast_conversation": tuple(back.to_list()) if back is not None else None,
            "edited_turns": lay.turns,
        }


def explain(prompt: Prompt, **options: Any) -> Explanation:
    """One-shot :class:`Explainer` (flat settings, see :meth:`Config.with_options`) applied to
    ``prompt`` (a text, or a conversation with ``edit=`` selectors)."""
    protected = options.pop("protected", ())
    edit = options.pop("edit", None)
    config = options.pop("config", None)
    return Explainer(config, **options).explain(prompt, protected=protected, edit=edit)
