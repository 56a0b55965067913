"""The one place that knows every stage: it composes target, infiller, scorer and search."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .build import (
    build_cache,
    build_constraints,
    build_infiller,
    build_prioritizer,
    build_scorer,
    build_search,
    build_shift,
    build_target,
)
from .config import Config
from .errors import ConfigError
from .infill.base import CheckedInfiller
from .scorers.base import CheckedScorer, run_self_check
from .search import Node, SearchContext
from .search.effects import unit_effects
from .search.constraints import Constraints, ContentKept
from .search.goal import Goal
from .search.refine import Passes, Refined, refine
from .search.space import PromptSpace
from .search.turns import ConversationSpace
from .prompt.conversation import Conversation
from .prompt.kind import judgement_spans, key_spans
from .prompt.prepare import prepare_conversation, prepare_text
from .prompt.segment import edit_distance
from .scorers.sentences import scored_text
from .scorers.verdict import VerdictScorer, verdict_summary
from .targets.conversation import ConversationTarget
from .targets.query import QueryStage
from .types import Calls, Contrast, Direction, Edit, Explanation, TraceEntry

#: What :meth:`Explainer.explain` takes: a text, or a conversation (a list of
#: ``{"role", "content"}`` messages ending with a user turn, or a :class:`Conversation`).
Prompt = str | Conversation | Sequence[dict[str, str]]



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


def stage_seconds(total: float, target: float, search: dict[str, float], check: float,
                  overlapped: float = 0.0) -> dict[str, float]:
    """Time per stage; "other" is the rest (constraints, segmenting, bookkeeping).

    Infilling prefetched in a worker thread counts as infiller time although the target was
    answering meanwhile; "overlapped" says how many of the stages' seconds ran beside others,
    so that target + infiller + scorer + other - overlapped is the wall time.
    """
    parts = {"target": target, "infiller": search.get("infiller", 0.0), "scorer": search.get("scorer", 0.0) + check}
    parts["other"] = max(0.0, total - sum(parts.values()) + overlapped)
    parts["overlapped"] = overlapped
    return {k: round(v, 3) for k, v in parts.items()}


def _submaxims(scorer: Any) -> tuple[str, ...] | None:
    """The sub-maxims a ``maxims`` scorer judges (None for other scorers), for the reports."""
    subs = getattr(scorer, "submaxims", None)
    if getattr(scorer, "name", None) != "maxims" or not isinstance(subs, (list, tuple)) or not subs:
        return None
    return tuple(str(x) for x in subs)


def _distance(space: PromptSpace, contrast: str) -> float:
    """Edit distance; in a conversation over the selected turns only."""
    if isinstance(space, ConversationSpace):
        lay = space.layout
        return edit_distance(lay.edited_text(), lay.edited_text(lay.decode(contrast)))
    return edit_distance(space.prompt, contrast)


def edit_scores(edits: Sequence[Edit], trace: Sequence[TraceEntry]) -> tuple[float | None, ...]:
    """Per edit, the score of the candidate that made that one edit alone (from the trace;
    None when the search never asked it alone)."""
    alone: dict[tuple[int, str], float] = {}
    for t in trace:
        if len(t.edits) == 1 and t.score is not None:
            alone.setdefault((t.edits[0].unit, t.edits[0].new), t.score)
    return tuple(alone.get((e.unit, e.new)) for e in edits)


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
        self.goal = self._goal(self.scorer)
        self.direction: Direction = self.goal.direction
        self.threshold = self.goal.threshold
        self.target = build_target(cfg)
        self.infiller = build_infiller(cfg)
        self.prioritizer = build_prioritizer(cfg)
        self.shift = build_shift(cfg)
        self.cache = build_cache(cfg)
        self.constraints = build_constraints(cfg, self.infiller)

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

    def explain(
        self,
        prompt: Prompt,
        protected: Iterable[Sequence[int]] = (),
        progress: Callable[..., None] | None = None,
        edit: str | Iterable[str] | None = None,
        protect_text: str | Iterable[str] = (),
        edit_only_text: str | Iterable[str] = (),
    ) -> Explanation:
        """Explain the target's response to ``prompt``.

        ``prompt`` is a text or a conversation (see :mod:`promptfoil.conversation`). Never
        edited: the ``protected`` spans, every occurrence of each ``protect_text``, and (when
        ``edit_only_text`` is given) everything outside its occurrences. In a conversation only
        the turns that the ``edit`` selectors pick change (default ``user:-1``: the last user
        turn), a protected span is ``(turn, start, end)`` in that turn's content, and the texts
        are looked up in the selected turns. ``progress`` is called with the number of
        budgeted target queries made so far, and also with ``cached=`` the responses served
        from the cache so far when it takes a ``cached`` keyword (a cached rerun moves too).
        """
        target = self.target
        if isinstance(prompt, str):
            if edit is not None:
                raise ConfigError("edit selectors apply to conversations only; this prompt is a text")
            # iterators read once into lists: the verdict definition may lay the prompt out again
            protected, protect_text, edit_only_text = (_once(protected), _once(protect_text), _once(edit_only_text))
            if self.config.search.keep_key_words:
                protected = [*protected, *key_spans(prompt)]
            space: PromptSpace = PromptSpace(*prepare_text(prompt, protected, self.split_k, protect_text, edit_only_text))
        else:
            lay, segments = prepare_conversation(prompt, protected, edit, self.split_k, protect_text, edit_only_text)
            space = ConversationSpace(lay, segments)
            target = ConversationTarget(self.target, lay)
        text = space.prompt
        t0 = time.perf_counter()
        queries = QueryStage(target, self.cache, self.config.budget)
        original = queries.original(text)
        y0 = original.text
        s = self.config.search
        conv = space.layout.conversation if isinstance(space, ConversationSpace) else None
        t1 = time.perf_counter()
        scorer, goal, reason = self._definition(text, scored_text(y0, original.truncated), conv)
        kept: tuple[str, ...] = ()
        constraints = self.constraints
        if isinstance(scorer, VerdictScorer):
            # the same question, another detail: the judgement stays, no content word turns to grammar
            if isinstance(prompt, str):
                space, kept = self._keep_judgement(space, protected, protect_text, edit_only_text)
            constraints = Constraints([*self.constraints.checks, ContentKept()])
        if s.judge_check:
            run_self_check(scorer, text, scored_text(y0, original.truncated), conv)
        check_seconds = time.perf_counter() - t1
        passes = Passes(minimize=s.minimize, contrasts=s.contrasts, confirm=s.confirm)
        self._hold_for_confirm(queries, passes)
        ctx = SearchContext(
            space, text, y0, CheckedInfiller(self.infiller), queries, CheckedScorer(scorer), goal, s.seed,
            fills_per_mask=s.fills_per_mask, progress=_with_cache_hits(progress, queries), prioritizer=self.prioritizer,
            prefetch=s.prefetch, reuse_fills=s.reuse_fills, shift=self.shift, meaning_weight=s.meaning_weight,
            constraints=constraints, y0_truncated=original.truncated,
        )
        result = self.search(ctx)
        queries.release()  # the search is done: calls kept for --confirm are free to use
        out = refine(ctx, self.search, result, passes)
        best = out.best
        seconds = time.perf_counter() - t0
        calls = Calls(
            target=queries.paid,
            original=queries.original_paid,
            infiller=ctx.counters.infiller,
            scorer=ctx.counters.scorer,
            cache_hits=queries.cache_hits,
            minimize=out.minimize_calls,
            confirm=out.confirm_calls,
        )
        tried = self._contrast(space, best, out) if best is not None else None
        first = tried if out.found else None  # a best try that missed δ is never shown as a contrast
        return Explanation(
            found=out.found,
            prompt=text,
            response=y0,
            contrast_prompt=first.prompt if first else None,
            contrast_response=first.response if first else None,
            score=first.score if first else None,
            threshold=goal.threshold,
            direction=goal.direction,
            edits=first.edits if first else (),
            edit_distance=first.edit_distance if first else None,
            calls=calls,
            budget=self.budget,
            algorithm=self.algorithm,
            split_k=self.split_k,
            seed=self.seed,
            seconds=round(seconds, 3),
            trace=tuple(ctx.trace),
            target=getattr(self.target, "name", "target"),
            infiller=getattr(self.infiller, "name", "infiller"),
            scorer=getattr(scorer, "name", "scorer"),
            scorer_reason=reason,
            verdict=self._verdict(scorer, space, scored_text(y0, original.truncated), first, ctx.trace, goal.threshold),
            stop_reason=out.stop_reason,
            truncated=original.truncated,
            contrast_truncated=bool(first and best and best.truncated),
            scorer_failures=ctx.counters.scorer_failures,
            seconds_by_stage=stage_seconds(
                seconds, queries.seconds, ctx.counters.seconds, check_seconds, ctx.counters.overlapped
            ),
            contrasts=tuple(self._contrast(space, n, out) for n in out.contrasts),
            minimized_from=self._contrast(space, out.before, out) if out.before is not None else None,
            stability=out.stability.get(id(best)) if best is not None else None,
            noise_band=out.noise,
            notes=(*kept, *out.notes),
            submaxims=_submaxims(scorer),
            edit_scores=edit_scores(first.edits, ctx.trace) if first else (),
            best_try=None if out.found else tried,
            unit_effects=unit_effects(ctx.trace, goal.direction),
            **self._conversation_fields(space, first.prompt if first else None),
        )

    def _keep_judgement(self, space: PromptSpace, protected: Iterable[Sequence[int]], protect_text: Any,
                        edit_only_text: Any) -> tuple[PromptSpace, tuple[str, ...]]:
        """The space with an "Is it <judgement> to …?" question's judgement protected, and a note
        saying so: the verdict definition reads each answer against its own question, so a
        changed judgement ("rude" → "legal") would compare answers to two questions. Unchanged
        when there is no judgement, it is protected already, or nothing else could be edited."""
        text = space.prompt
        spans = [s for s in judgement_spans(text) if any(u.editable and u.start < s[1] and s[0] < u.end
                                                          for u in space.segments)]
        if not spans:
            return space, ()
        try:
            kept = PromptSpace(*prepare_text(text, [*protected, *spans], self.split_k, protect_text, edit_only_text))
        except ConfigError:
            return space, ()
        if not kept.n_units:
            return space, ()
        words = ", ".join(f"'{text[a:b]}'" for a, b in spans)
        return kept, (f"the judgement {words} is never edited: a verdict on another judgement answers another question",)

    def _definition(self, text: str, y0: str, conv: Any) -> tuple[Any, Goal, str]:
        """The scorer, goal and reason for this prompt: the configured scorer as it is, or the
        one an ``auto`` scorer picks for it (with that scorer's own default threshold and
        direction unless the user set them)."""
        choose = getattr(self.scorer, "choose", None)
        if not callable(choose):
            return self.scorer, self.goal, ""
        pick = choose(text, y0, conv)
        return pick.scorer, self._goal(pick.scorer), pick.reason

    def _goal(self, scorer: Any) -> Goal:
        """The user's direction and δ, or ``scorer``'s own where unset, checked against its range."""
        cfg = self.config.search
        direction: Direction = cfg.direction or scorer.direction
        threshold = default_threshold(scorer, direction) if cfg.threshold is None else float(cfg.threshold)
        Goal.check_threshold(threshold, direction, scorer.bounds, scorer.name)
        return Goal(direction, threshold)

    @staticmethod
    def _verdict(scorer: Any, space: PromptSpace, y0: str, first: Contrast | None, trace: Sequence[TraceEntry],
                 threshold: float) -> dict[str, Any] | None:
        """The verdict summary of a ``verdict`` explanation (reads already made; no call)."""
        if not isinstance(scorer, VerdictScorer):
            return None
        question0, contrast = space.prompt, None
        if isinstance(space, ConversationSpace):
            question0 = space.layout.conversation.question
        if first is not None:
            asked = first.prompt
            if isinstance(space, ConversationSpace):
                asked = space.layout.decode(first.prompt).question
            contrast = (asked, first.response or "")
        answered = [(tuple(f"{e.old} → {e.new}" for e in t.edits), t.score) for t in trace]
        return verdict_summary(scorer, question0, y0, contrast, answered, threshold)

    @staticmethod
    def _hold_for_confirm(queries: QueryStage, passes: Passes) -> int:
        """Calls kept out of the search's budget so that ``--confirm`` can re-ask the original
        and each contrast ``K`` times; 0 when nothing is to be confirmed or the budget is open."""
        calls = queries.budget.calls
        if not passes.confirm or calls is None or not queries.stochastic:
            return 0
        held = passes.confirm * (1 + passes.contrasts)
        if calls - held < 1:
            raise ConfigError(
                f"--confirm {passes.confirm} with {passes.contrasts} contrast(s) keeps {held} calls for "
                f"re-asking; the budget of {calls} leaves none for the search: raise --budget"
            )
        queries.hold(held)
        return held

    @staticmethod
    def _contrast(space: PromptSpace, node: Node, out: Refined) -> Contrast:
        """A found candidate as a :class:`Contrast` (edit distance over the edited turns of a conversation)."""
        return Contrast(
            prompt=node.candidate.text,
            response=node.response,
            score=node.score,
            edits=space.edits(node.candidate),
            edit_distance=_distance(space, node.candidate.text),
            stability=out.stability.get(id(node)),
        )

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
    protect_text = options.pop("protect_text", ())
    edit_only_text = options.pop("edit_only_text", ())
    edit = options.pop("edit", None)
    config = options.pop("config", None)
    return Explainer(config, **options).explain(
        prompt, protected=protected, edit=edit, protect_text=protect_text, edit_only_text=edit_only_text
    )


def _once(value: Any) -> Any:
    """An iterator as a list (so it can be read twice); anything else as it is, for the checks
    of :func:`prepare_text` to accept or refuse."""
    return list(value) if isinstance(value, Iterator) else value


def _with_cache_hits(progress: Callable[..., None] | None, queries: QueryStage) -> Callable[[int], None] | None:
    """``progress(paid)`` as it was; ``progress(paid, cached=hits)`` for a callback that takes
    ``cached`` (or ``**kwargs``), so a one-argument callback keeps working."""
    if progress is None:
        return None
    try:
        params = inspect.signature(progress).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: the old call
        return progress
    if not any((p.name == "cached" and p.kind is not p.POSITIONAL_ONLY) or p.kind is p.VAR_KEYWORD for p in params):
        return progress
    return lambda paid: progress(paid, cached=queries.cache_hits)
