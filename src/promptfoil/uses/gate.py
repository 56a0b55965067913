"""The regression gate: does the behaviour a results file documents still hold on a new target?

For each stored explanation (original prompt ``x0`` with the run's answer ``y0``, contrast
prompt ``xc`` with the run's answer ``yc``) the new target is asked ``x0`` and ``xc`` once
each (no search; answers go through the query stage and the response cache), giving ``y0'``
and ``yc'``. Two scores are taken with the run's own scorer, and each is read against the
run's own δ and direction (``Goal.reached``: "at least as different as a contrast"):

* **drift** ``g(x0, y0, x0, y0')``: the stored answer against the new answer to the
  *unchanged* prompt. Reaching δ means the original answer moved as far as a contrast does.
* **flip** ``g(x0, y0', xc, yc')``: the new target's own answers to both prompts, compared
  as the search compared them. Reaching δ means the edit still flips the new target.

Verdicts: ``drifted`` when the drift reaches δ (checked first: the explanation's premise is
gone whatever the flip does), else ``lost`` when the flip does not reach δ, else ``holds``.
``failed``: the new target gave no answer to one of the two prompts, or the scorer gave no
finite score. ``skipped``: the run recorded an error for the item or found no contrast
(nothing was documented, so nothing can regress); skipped items count neither way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from ..build import build_target
from ..config import Component, Config
from ..errors import ConfigError, MissingDependency, PromptfoilError
from ..scorers.base import ScoreItem, Scorer
from ..prompt.conversation import Conversation, Layout
from ..runs.results_file import is_result_record
from ..scorers.sentences import scored_text
from ..search.goal import Goal
from ..search.space import PromptSpace
from ..search.turns import ConversationSpace
from ..targets.base import Target
from ..targets.budget import Budget
from ..targets.cache import ResponseCache
from ..targets.query import QueryStage
from ..targets.conversation import ConversationTarget
from ..types import DIRECTIONS, Candidate, QueryResult

Verdict = Literal["holds", "drifted", "lost", "failed", "skipped"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
BROKEN: frozenset[str] = frozenset({"drifted", "lost", "failed"})
LABELS = {"holds": "holds", "drifted": "original drifted", "lost": "contrast lost",
          "failed": "failed", "skipped": "skipped"}


@dataclass(frozen=True)
class Case:
    """One stored explanation to check again: both prompts, the run's answers, its scoring."""

    id: str
    prompt: str
    response: str
    contrast_prompt: str
    contrast_response: str
    scorer: str
    goal: Goal
    score: float | None = None  # the run's own score of the contrast
    #: The run's answers stopped at max_tokens: scored on their complete sentences, as the search did.
    truncated: bool = False
    contrast_truncated: bool = False
    #: A conversation's messages and the turns open to edits (None for a plain prompt): the
    #: new target is asked the messages, roles kept, as the search asked them.
    conversation: Conversation | None = None
    edited_turns: tuple[int, ...] | None = None

    def space(self) -> PromptSpace:
        """The prompt space the search scored in (its ``score_item`` is the one scoring rule)."""
        if self.conversation is None or self.edited_turns is None:
            return PromptSpace(self.prompt, [])
        return ConversationSpace(Layout(self.conversation, self.edited_turns), [])

    def score_item(self, x0: str, y0: str, y0_cut: bool, xc: str, yc: str, yc_cut: bool) -> ScoreItem:
        """What the search's scorer would have been given for these answers."""
        return self.space().score_item(x0, scored_text(y0, y0_cut), Candidate((), xc), scored_text(yc, yc_cut))


@dataclass(frozen=True)
class Skip:
    """A stored item with nothing to check (the run failed on it, or found no contrast)."""

    id: str
    reason: str


@dataclass(frozen=True)
class ItemResult:
    """The verdict on one item, the new answers and both scores (None where not taken)."""

    id: str
    verdict: Verdict
    reason: str
    prompt: str | None = None
    contrast_prompt: str | None = None
    response: str | None = None  # the run's stored answers
    contrast_response: str | None = None
    new_response: str | None = None
    new_contrast_response: str | None = None
    drift: float | None = None
    flip: float | None = None
    stored_score: float | None = None
    scorer: str | None = None
    threshold: float | None = None
    direction: str | None = None

    @property
    def broken(self) -> bool:
        return self.verdict in BROKEN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateSummary:
    """Counts per verdict and the pass/fail decision against ``max_broken``."""

    total: int
    holds: int
    drifted: int
    lost: int
    failed: int
    skipped: int
    max_broken: float
    seconds: float = 0.0

    @property
    def checked(self) -> int:
        return self.total - self.skipped

    @property
    def broken(self) -> int:
        return self.drifted + self.lost + self.failed

    @property
    def broken_share(self) -> float:
        return self.broken / self.checked if self.checked else 0.0

    @property
    def passed(self) -> bool:
        return self.broken_share <= self.max_broken

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "checked": self.checked, "broken": self.broken,
                "broken_share": self.broken_share, "passed": self.passed}


@dataclass(frozen=True)
class GateReport:
    summary: GateSummary
    items: tuple[ItemResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict(), "items": [i.to_dict() for i in self.items]}


# -- reading records -------------------------------------------------------------------------
def _text(rec: Mapping[str, Any], key: str, where: str) -> str:
    value = rec.get(key)
    if not isinstance(value, str):
        raise PromptfoilError(f"{where}: no '{key}' text; gate reads results written by promptfoil run, "
                              "redteam or experiment")
    return value


def case_from_record(rec: Mapping[str, Any], item_id: str) -> Case | Skip:
    """The one place that reads a record's prompts and answers (a conversation form goes here).

    Raises :class:`PromptfoilError` for a record that cannot be checked (no scorer, threshold
    or direction, a found contrast without its prompt or answer).
    """
    where = f"item {item_id!r}"
    if "error" in rec:
        return Skip(item_id, f"the run failed on it: {rec.get('error')}")
    if not rec.get("found"):
        return Skip(item_id, "the run found no contrast")
    scorer, threshold, direction = rec.get("scorer"), rec.get("threshold"), rec.get("direction")
    if not isinstance(scorer, str) or not scorer:
        raise PromptfoilError(f"{where}: no 'scorer' recorded; gate needs the run's scorer and threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise PromptfoilError(f"{where}: no numeric 'threshold' recorded; gate needs the run's scorer and threshold")
    if direction not in DIRECTIONS:
        raise PromptfoilError(f"{where}: 'direction' must be one of {', '.join(DIRECTIONS)} (got {direction!r})")
    score = rec.get("score")
    conversation, turns = _conversation(rec, where)
    return Case(
        item_id, _text(rec, "prompt", where), _text(rec, "response", where),
        _text(rec, "contrast_prompt", where), _text(rec, "contrast_response", where),
        scorer, Goal(direction, float(threshold)),
        float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        rec.get("truncated") is True, rec.get("contrast_truncated") is True, conversation, turns,
    )


def _conversation(rec: Mapping[str, Any], where: str) -> tuple[Conversation | None, tuple[int, ...] | None]:
    """A conversation record's messages and edited turns; they must render to its ``prompt``."""
    raw = rec.get("conversation")
    if raw is None:
        return None, None
    turns = rec.get("edited_turns")
    if not isinstance(turns, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in turns):
        raise PromptfoilError(f"{where}: a conversation record needs 'edited_turns' (a list of turn numbers)")
    try:
        conv = Conversation.of(raw)
        lay = Layout(conv, tuple(turns))
        fits = lay.text == rec.get("prompt") and lay.decode(str(rec.get("contrast_prompt"))) is not None
    except (PromptfoilError, IndexError, TypeError, ValueError) as exc:
        raise PromptfoilError(f"{where}: its conversation cannot be read back ({exc})") from None
    if not fits:
        raise PromptfoilError(f"{where}: its conversation does not match its prompt and contrast prompt")
    return conv, tuple(turns)


def cases_from_records(records: Sequence[Mapping[str, Any]]) -> list[Case | Skip]:
    """Every record as a case or a skip, in order; ids default to the 1-based position."""
    if not records:
        raise PromptfoilError("the results file holds no records")
    bad = next((n for n, rec in enumerate(records, 1) if not is_result_record(rec)), None)
    if bad is not None:
        raise PromptfoilError(f"not a promptfoil results file (record {bad} is not a result of run, redteam or experiment)")
    out: list[Case | Skip] = []
    for n, rec in enumerate(records, 1):
        raw = rec.get("id")
        out.append(case_from_record(rec, str(n) if raw is None else str(raw)))
    if not any(isinstance(c, Case) for c in out):
        raise PromptfoilError("no found contrasts to check in these results")
    return out


# -- asking the new target -------------------------------------------------------------------
#: Failures (a failed batch of several prompts counts once) before the target answered any
#: prompt, after which it is taken to be unreachable.
UNREACHABLE_AFTER = 2


def ask_all(stage: QueryStage, prompts: Iterable[str]) -> tuple[dict[str, QueryResult], dict[str, str]]:
    """(answers, errors) per distinct prompt, ``batch_size`` at a time; an answer keeps
    whether it stopped at ``max_tokens``.

    A batch that fails is asked again one prompt at a time, so one bad prompt fails only its
    own items. Once :data:`UNREACHABLE_AFTER` failures happened before the target answered
    anything (cache hits do not count), it is taken to be unreachable and the error is
    raised: bad input, not a regression.
    """
    todo = list(dict.fromkeys(prompts))
    answers: dict[str, QueryResult] = {}
    errors: dict[str, str] = {}
    strikes = 0

    def failed(prompts_: Sequence[str], exc: PromptfoilError) -> None:
        nonlocal strikes
        strikes += 1
        errors.update({p: str(exc) for p in prompts_})
        if stage.paid == 0 and strikes >= UNREACHABLE_AFTER:
            raise PromptfoilError(f"the target answered none of the prompts asked: {exc}") from None

    def ask(chunk: Sequence[str]) -> list[QueryResult] | None:
        try:
            return stage.query(chunk)
        except (ConfigError, MissingDependency):
            raise
        except PromptfoilError as exc:
            failed(chunk if len(chunk) == 1 else (), exc)
            return None

    for i in range(0, len(todo), stage.batch_size):
        chunk = todo[i : i + stage.batch_size]
        got = ask(chunk)
        if got is not None:
            pairs = list(zip(chunk, got))
        elif len(chunk) > 1:  # answers that did arrive are in the stage's memo: not asked again
            pairs = [(p, r[0]) for p in chunk if (r := ask([p])) is not None]
        else:
            pairs = []
        for p, q in pairs:
            if q.response is None:
                errors[p] = "the target gave no answer"
            else:
                answers[p] = q
    return answers, errors


def _routes(cases: Sequence[Case], target: Target) -> list[tuple[Target, list[Case]]]:
    """The target each case is asked through: plain prompts as they are, a conversation's
    texts through its layout (one adapter per conversation), so roles reach the target."""
    plain = [c for c in cases if c.conversation is None]
    by_layout: dict[tuple[Any, ...], list[Case]] = {}
    for c in cases:
        if c.conversation is not None:
            by_layout.setdefault((c.conversation, c.edited_turns), []).append(c)
    routes: list[tuple[Target, list[Case]]] = [(target, plain)] if plain else []
    for (conv, turns), group in by_layout.items():
        routes.append((ConversationTarget(target, Layout(conv, turns)), group))  # type: ignore[arg-type]
    return routes


# -- scoring and verdicts --------------------------------------------------------------------
ScorerSource = Scorer | Callable[[str], Scorer]


def _scorer_for(source: ScorerSource) -> Callable[[str], Scorer]:
    if isinstance(source, Scorer):
        return lambda _name: source
    if callable(source):
        memo: dict[str, Scorer] = {}

        def get(name: str) -> Scorer:
            if name not in memo:
                memo[name] = source(name)
            return memo[name]

        return get
    raise ConfigError(f"scorer must be a Scorer or a function of the recorded scorer name, got {type(source).__name__}")


def _score(scorer: Scorer, items: list[ScoreItem]) -> list[float | None]:
    name = getattr(scorer, "name", "scorer")
    try:
        raw = list(scorer.score(items))
    except PromptfoilError:
        raise
    except Exception as exc:  # a user's scorer failing: say which
        raise PromptfoilError(f"scorer '{name}' failed: {type(exc).__name__}: {exc}") from exc
    if len(raw) != len(items):
        raise PromptfoilError(f"scorer '{name}' returned {len(raw)} scores for {len(items)} items")
    out: list[float | None] = []
    for s in raw:
        ok = isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s)
        out.append(float(s) if ok else None)
    return out


def _result(case: Case, verdict: Verdict, reason: str, new0: str | None, newc: str | None,
            drift: float | None = None, flip: float | None = None) -> ItemResult:
    g = case.goal
    return ItemResult(case.id, verdict, reason, prompt=case.prompt, contrast_prompt=case.contrast_prompt,
                      response=case.response, contrast_response=case.contrast_response, new_response=new0,
                      new_contrast_response=newc, drift=drift, flip=flip, stored_score=case.score,
                      scorer=case.scorer, threshold=g.threshold, direction=g.direction)


def verdict_of(case: Case, new0: str, newc: str, drift: float | None, flip: float | None) -> ItemResult:
    """The verdict on one case from its two scores (see the module docstring)."""
    g = case.goal
    rule = {"increase": ">=", "decrease": "<=", "absolute": "|score| >="}[g.direction]
    if drift is None or flip is None:
        return _result(case, "failed", "the scorer gave no finite score", new0, newc, drift, flip)
    if g.reached(drift):
        why = f"stored vs new answer to the original prompt scores {drift:.3g} ({rule} δ={g.threshold:g})"
        return _result(case, "drifted", why, new0, newc, drift, flip)
    if not g.reached(flip):
        why = f"new answers to original vs contrast prompt score {flip:.3g} (needs {rule} δ={g.threshold:g})"
        return _result(case, "lost", why, new0, newc, drift, flip)
    return _result(case, "holds", "", new0, newc, drift, flip)


def _unanswered(case: Case, answers: dict[str, QueryResult], errors: dict[str, str]) -> ItemResult:
    missing = [p for p in (case.prompt, case.contrast_prompt) if p not in answers]
    reason = "; ".join(dict.fromkeys(errors.get(p, "no answer") for p in missing))
    got = {p: q.response for p, q in answers.items()}
    return _result(case, "failed", f"the new target did not answer: {reason}",
                   got.get(case.prompt), got.get(case.contrast_prompt))


def _score_items(case: Case, new0: QueryResult, newc: QueryResult) -> tuple[ScoreItem, ScoreItem]:
    """Drift and flip items, scored as the search scored: cut-off answers on their complete
    sentences, a conversation's replies with their messages."""
    y0n, ycn = new0.response or "", newc.response or ""
    drift = case.score_item(case.prompt, case.response, case.truncated, case.prompt, y0n, new0.truncated)
    flip = case.score_item(case.prompt, y0n, new0.truncated, case.contrast_prompt, ycn, newc.truncated)
    return drift, flip


def check_cases(
    cases: Sequence[Case | Skip],
    target: Target,
    scorer: ScorerSource,
    cache: ResponseCache | None = None,
    max_broken: float = 0.0,
) -> GateReport:
    """Ask ``target`` both prompts of every case, score, and decide each verdict."""
    if isinstance(max_broken, bool) or not isinstance(max_broken, (int, float)) or not 0.0 <= max_broken <= 1.0:
        raise ConfigError(f"max_broken must be a share between 0 and 1 (got {max_broken!r})")
    t0 = time.perf_counter()
    scorer_of = _scorer_for(scorer)
    todo = [c for c in cases if isinstance(c, Case)]
    for c in todo:  # every δ must lie on its scorer's scale before any call is made
        s = scorer_of(c.scorer)
        Goal.check_threshold(c.goal.threshold, c.goal.direction, s.bounds, getattr(s, "name", c.scorer))
    answers: dict[int, dict[str, QueryResult]] = {}
    errors: dict[int, dict[str, str]] = {}
    for route, group in _routes(todo, target):
        got, bad = ask_all(QueryStage(route, cache, Budget(calls=None)),
                           [p for c in group for p in (c.prompt, c.contrast_prompt)])
        for c in group:
            answers[id(c)], errors[id(c)] = got, bad
    verdicts: dict[int, ItemResult] = {}  # by position in ``cases`` (ids may repeat in API input)
    scored: dict[str, list[tuple[int, Case]]] = {}
    for n, c in enumerate(cases):
        if isinstance(c, Skip):
            verdicts[n] = ItemResult(c.id, "skipped", c.reason)
        elif c.prompt in answers[id(c)] and c.contrast_prompt in answers[id(c)]:
            scored.setdefault(c.scorer, []).append((n, c))
        else:
            verdicts[n] = _unanswered(c, answers[id(c)], errors[id(c)])
    for name, group in scored.items():
        pairs = [_score_items(c, answers[id(c)][c.prompt], answers[id(c)][c.contrast_prompt]) for _, c in group]
        scores = _score(scorer_of(name), [d for d, _ in pairs] + [f for _, f in pairs])
        for i, (n, c) in enumerate(group):
            new0, newc = answers[id(c)][c.prompt].response or "", answers[id(c)][c.contrast_prompt].response or ""
            verdicts[n] = verdict_of(c, new0, newc, scores[i], scores[len(group) + i])
    items = tuple(verdicts[n] for n in range(len(cases)))
    count = {v: sum(1 for i in items if i.verdict == v) for v in VERDICTS}
    summary = GateSummary(len(items), count["holds"], count["drifted"], count["lost"], count["failed"],
                          count["skipped"], float(max_broken), round(time.perf_counter() - t0, 3))
    return GateReport(summary, items)


def gate(
    records: Sequence[Mapping[str, Any]],
    target: Any,
    scorer: ScorerSource,
    cache: ResponseCache | None = None,
    max_broken: float = 0.0,
) -> GateReport:
    """Check every record of a results file against a new ``target`` (a Target, a registry
    name, or a batch function ``list[str] -> list[str]``).

    ``scorer`` is a Scorer used for every record, or a function from the recorded scorer
    name to a Scorer (the CLI builds it through the Config path).
    """
    cases = cases_from_records(records)
    return check_cases(cases, build_target(Config(target=Component(target))), scorer, cache, max_broken)
