"""The regression gate: does the behaviour a results file documents still hold on a new target?

Every stored item is checked, found or not: the new target is asked the original prompt
``x0`` (and, where the run found a contrast, the contrast prompt ``xc``) ``repeats`` times (no
search; answers go through the query stage and the response cache), giving ``y0'`` (and
``yc'``) per sample. Each sample is scored with the run's own scorer and read against the
run's own δ and direction (``Goal.reached``: "at least as different as a contrast"):

* **drift** ``g(x0, y0, x0, y0')``: the stored answer against the new answer to the
  *unchanged* prompt. Reaching δ means the original answer moved as far as a contrast does.
* **flip** ``g(x0, y0', xc, yc')`` (found items only): the new target's own answers to both
  prompts, compared as the search compared them. Reaching δ means the edit still flips it.

A sample is ``drifted`` when the drift reaches δ (checked first: the explanation's premise is
gone whatever the flip does), else ``lost`` when a found item's flip does not reach δ, else it
``holds``; ``failed`` when the new target gave no answer or the scorer no finite score.

A sampled target answers one prompt differently each time, and a small model's samples can lie
as far apart as a contrast does. So when an item's new answers to ``x0`` differ, its **noise
band** is taken: the median score between two of them, less the score of an answer against
itself (the scorer's "no change"), in the goal's direction. A sample drifted only when its
drift passes δ by the band (the stored answer is further from the new one than the new answers
are from each other), and lost only when its flip falls short of δ by more than the band (two
samples can lie closer or further apart than their prompts' answers do by about that much).
Sampling noise alone thus breaks nothing; a band as wide as δ means a lost contrast cannot be
told from noise, and the reports show the band so a reader sees that. One distinct answer (a
greedy target, or one that always says the same) has no band, and the rule is the plain one.

An item's pass rate is the share of its samples that hold, with Wilson's 95% interval. The
item is broken when the whole interval lies below ``min_pass_rate``: the samples show, beyond
sampling noise, that it holds less often than required. With one sample (the default) and the
default ``min_pass_rate`` 0.8 this is the plain rule "the one sample must hold" (0 of 1 has
the interval [0, 0.79]); with 3 samples at least 2 must hold. A broken item takes the verdict
most of its failing samples had. ``skipped``: the run recorded an error for the item (there is
no stored answer to compare); skipped items count neither way.
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..build import build_target
from ..config import Component, Config
from ..errors import ConfigError, MissingDependency, PromptfoilError
from ..scorers.base import ScoreItem, Scorer
from ..prompt.conversation import Conversation, Layout
from ..runs.results_file import is_result_record
from ..search.goal import Goal
from ..targets.base import Target
from ..targets.budget import Budget
from ..targets.cache import ResponseCache
from ..targets.query import QueryStage
from ..targets.conversation import ConversationTarget
from ..types import DIRECTIONS, QueryResult
from .gate_paired import Paired, compare
from .intervals import wilson
from .gate_items import (
    BROKEN, DEFAULT_MIN_PASS_RATE, LABELS, VERDICTS, Case, GateReport, GateSummary, ItemResult, Reexplanation,
    Sample, Skip, Verdict,
)

__all__ = ["BROKEN", "DEFAULT_MIN_PASS_RATE", "LABELS", "VERDICTS", "Case", "GateReport", "GateSummary", "ItemResult",
           "Reexplanation", "Sample", "Skip", "Verdict", "cases_from_records", "check_cases", "gate"]

# -- reading records -------------------------------------------------------------------------
def _text(rec: Mapping[str, Any], key: str, where: str) -> str:
    value = rec.get(key)
    if not isinstance(value, str):
        raise PromptfoilError(f"{where}: no '{key}' text; gate reads results written by promptfoil run, "
                              "redteam or experiment")
    return value


def case_from_record(rec: Mapping[str, Any], item_id: str) -> Case | Skip:
    """The one place that reads a record's prompts and answers (a conversation form goes here).

    A record the run failed on is a :class:`Skip`; one without a contrast a case whose drift
    alone is checked. Raises :class:`PromptfoilError` for a record that cannot be checked (no
    scorer, threshold or direction, no stored answer, a found contrast without its prompt or
    answer).
    """
    where = f"item {item_id!r}"
    if "error" in rec:
        return Skip(item_id, f"the run failed on it: {rec.get('error')}")
    scorer, threshold, direction = rec.get("scorer"), rec.get("threshold"), rec.get("direction")
    if not isinstance(scorer, str) or not scorer:
        raise PromptfoilError(f"{where}: no 'scorer' recorded; gate needs the run's scorer and threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise PromptfoilError(f"{where}: no numeric 'threshold' recorded; gate needs the run's scorer and threshold")
    if direction not in DIRECTIONS:
        raise PromptfoilError(f"{where}: 'direction' must be one of {', '.join(DIRECTIONS)} (got {direction!r})")
    score, distance, settings = rec.get("score"), rec.get("edit_distance"), rec.get("settings")
    found = bool(rec.get("found"))
    conversation, turns = _conversation(rec, where, found)
    return Case(
        item_id, _text(rec, "prompt", where), _text(rec, "response", where),
        _text(rec, "contrast_prompt", where) if found else None,
        _text(rec, "contrast_response", where) if found else None,
        scorer, Goal(direction, float(threshold)), _number(score) if found else None,
        rec.get("truncated") is True, found and rec.get("contrast_truncated") is True, conversation, turns,
        _number(distance) if found else None, settings if isinstance(settings, dict) else None,
    )


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _conversation(rec: Mapping[str, Any], where: str,
                  found: bool = True) -> tuple[Conversation | None, tuple[int, ...] | None]:
    """A conversation record's messages and edited turns; they must render to its ``prompt``
    (and, when ``found``, to its contrast prompt)."""
    raw = rec.get("conversation")
    if raw is None:
        return None, None
    turns = rec.get("edited_turns")
    if not isinstance(turns, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in turns):
        raise PromptfoilError(f"{where}: a conversation record needs 'edited_turns' (a list of turn numbers)")
    try:
        conv = Conversation.of(raw)
        lay = Layout(conv, tuple(turns))
        fits = lay.text == rec.get("prompt") and (not found or lay.decode(str(rec.get("contrast_prompt"))) is not None)
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
        raise PromptfoilError("nothing to check in these results: the run failed on every item")
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
    return [_number(s) for s in raw]


def sample_verdict(case: Case, new0: str, newc: str | None, drift: float | None, flip: float | None,
                   band: float = 0.0) -> Sample:
    """The verdict on one sample from its scores (see the module docstring); ``band`` is the
    item's noise band (0 without one): the drift must pass δ by that much to count, and the
    flip must fall short of δ by that much."""
    g = case.goal
    rule = {"increase": ">=", "decrease": "<=", "absolute": "|score| >="}[g.direction]
    if drift is None or (case.found and flip is None):
        return Sample("failed", "the scorer gave no finite score", new0, newc, drift, flip)
    if g.reached(drift) and g.objective(drift) >= g.objective(g.threshold) + band:
        beyond = f", beyond the new answers' noise band {band:.3g}" if band else ""
        why = f"stored vs new answer to the original prompt scores {drift:.3g} ({rule} δ={g.threshold:g}{beyond})"
        return Sample("drifted", why, new0, newc, drift, flip)
    if case.found and flip is not None and g.objective(flip) < g.objective(g.threshold) - band and not (
            band == 0 and g.reached(flip)):
        within = f", short of it by more than the noise band {band:.3g}" if band else ""
        why = f"new answers to original vs contrast prompt score {flip:.3g} (needs {rule} δ={g.threshold:g}{within})"
        return Sample("lost", why, new0, newc, drift, flip)
    return Sample("holds", "", new0, newc, drift, flip)


def noise_items(case: Case, answers: Sequence[QueryResult]) -> list[ScoreItem]:
    """What the noise band is scored on: one new answer to ``x0`` against itself (the
    scorer's "no change"), then every pair of new answers to ``x0``."""
    x0 = case.prompt
    first = answers[0]
    out = [case.score_item(x0, first.response or "", first.truncated, x0, first.response or "", first.truncated)]
    for i in range(len(answers)):
        for j in range(i + 1, len(answers)):
            a, b = answers[i], answers[j]
            out.append(case.score_item(x0, a.response or "", a.truncated, x0, b.response or "", b.truncated))
    return out


def noise_band(goal: Goal, scores: Sequence[float | None]) -> float:
    """How far the new target's answers to one prompt lie from each other, in the goal's
    direction: the median pair's objective less the no-change objective (0 at least; 0 when
    a score is missing)."""
    if len(scores) < 2 or any(s is None for s in scores):
        return 0.0
    zero = goal.objective(scores[0])  # type: ignore[arg-type]
    return max(0.0, statistics.median(goal.objective(s) for s in scores[1:]) - zero)  # type: ignore[arg-type]


def _unanswered(case: Case, answers: Mapping[str, QueryResult], errors: Mapping[str, str]) -> Sample:
    missing = [p for p in case.prompts() if p not in answers]
    reason = "; ".join(dict.fromkeys(errors.get(p, "no answer") for p in missing))
    got = {p: q.response for p, q in answers.items()}
    return Sample("failed", f"the new target did not answer: {reason}", got.get(case.prompt),
                  got.get(case.contrast_prompt) if case.contrast_prompt is not None else None)


def _score_items(case: Case, new0: QueryResult, newc: QueryResult | None) -> tuple[ScoreItem, ScoreItem | None]:
    """Drift and flip items, scored as the search scored: cut-off answers on their complete
    sentences, a conversation's replies with their messages."""
    y0n = new0.response or ""
    drift = case.score_item(case.prompt, case.response, case.truncated, case.prompt, y0n, new0.truncated)
    if newc is None or case.contrast_prompt is None:
        return drift, None
    flip = case.score_item(case.prompt, y0n, new0.truncated, case.contrast_prompt, newc.response or "", newc.truncated)
    return drift, flip


def check_pass_rate(repeats: int, min_pass_rate: float) -> None:
    """Refuse settings under which no item could ever be broken (or the numbers are not numbers)."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ConfigError(f"repeats must be a whole number of at least 1 (got {repeats!r})")
    if (isinstance(min_pass_rate, bool) or not isinstance(min_pass_rate, (int, float))
            or not 0.0 < min_pass_rate <= 1.0):
        raise ConfigError(f"min_pass_rate must be a share above 0 and at most 1 (got {min_pass_rate!r})")
    reach = wilson(0, repeats).high
    if reach >= min_pass_rate:
        raise ConfigError(
            f"with {repeats} repeat(s) even 0 passes has a 95% interval reaching {reach:.3f}, not below "
            f"min_pass_rate {min_pass_rate:g}: no item could fail; raise the pass rate or the repeats")


def decide(case: Case, samples: Sequence[Sample], min_pass_rate: float = DEFAULT_MIN_PASS_RATE,
           band: float | None = None) -> ItemResult:
    """The item's verdict from its samples: broken when the whole Wilson interval of its pass
    rate lies below ``min_pass_rate``, with the verdict most failing samples had."""
    g = case.goal
    passes = sum(1 for s in samples if s.verdict == "holds")
    rate = wilson(passes, len(samples))
    flips = sum(1 for s in samples if s.flip is not None and g.reached(s.flip)) if case.found else None
    first = samples[0]
    verdict: Verdict = "holds"
    reason = ""
    if rate.high < min_pass_rate:
        failing = [s for s in samples if s.verdict != "holds"]
        order = {"drifted": 0, "lost": 1, "failed": 2}
        verdict = min(Counter(s.verdict for s in failing).items(), key=lambda kv: (-kv[1], order[kv[0]]))[0]
        reason = next(s.reason for s in failing if s.verdict == verdict)
    if len(samples) > 1:
        below = "below" if rate.high < min_pass_rate else "not below"
        counts = ", ".join(f"{n} {LABELS[v]}" for v, n in Counter(s.verdict for s in samples).items() if v != "holds")
        head = (f"{passes} of {len(samples)} samples hold (95% interval {rate.fmt()} {below} "
                f"min pass rate {min_pass_rate:g}){'; ' + counts if counts else ''}")
        reason = f"{head}: {reason}" if reason else head
    if band is not None and 0 < g.objective(g.threshold) <= band:  # δ measured from "no change" at 0
        reason += (f"; noise band {band:.3g} is as wide as δ: a lost contrast, or a drift under "
                   f"δ + band, cannot be told from sampling noise here")
    return ItemResult(
        case.id, verdict, reason, prompt=case.prompt, contrast_prompt=case.contrast_prompt,
        response=case.response, contrast_response=case.contrast_response, new_response=first.new_response,
        new_contrast_response=first.new_contrast_response, drift=first.drift, flip=first.flip,
        stored_score=case.score, scorer=case.scorer, threshold=g.threshold, direction=g.direction,
        found=case.found, samples=tuple(samples), passes=passes, pass_rate=rate, flips=flips,
        stored_edit_distance=case.edit_distance, noise_band=band,
    )


# -- asking K times ----------------------------------------------------------------------------
Answers = tuple[dict[int, dict[str, QueryResult]], dict[int, dict[str, str]]]


def reseeded(target: Target, r: int) -> Target | None:
    """The target for sample ``r``: itself for the first, a copy seeded ``seed + r`` for the
    others (a seeded sampler varies, each sample is cached apart, a rerun is reproducible);
    None when it has no whole-number seed to vary."""
    if r == 0:
        return target
    seed = getattr(target, "seed", None)
    if isinstance(seed, int) and not isinstance(seed, bool):
        twin = copy.copy(target)
        twin.seed = seed + r  # type: ignore[attr-defined]
        return twin
    return None


def ask_samples(cases: Sequence[Case], target: Target, cache: ResponseCache | None, repeats: int) -> list[Answers]:
    """Per sample, every case's answers and errors. A target that always answers alike (not
    stochastic) is asked once and that answer stands for every sample."""
    rounds: list[Answers] = []
    for r in range(repeats if QueryStage(target, None).stochastic else 1):
        twin = reseeded(target, r)
        use = cache if twin is not None else None  # an unseeded sampler: fresh answers, not the cache's
        answers: dict[int, dict[str, QueryResult]] = {}
        errors: dict[int, dict[str, str]] = {}
        for route, group in _routes(cases, twin or target):
            got, bad = ask_all(QueryStage(route, use, Budget(calls=None)), [p for c in group for p in c.prompts()])
            for c in group:
                answers[id(c)], errors[id(c)] = got, bad
        rounds.append((answers, errors))
    return [rounds[min(r, len(rounds) - 1)] for r in range(repeats)]


def refuse_system_option(cases: Sequence[Case], target: Target) -> None:
    """A chat target's own system prompt (its ``system`` setting) is put first only into a
    conversation without one: on a record that carries its own system turn the option would
    be dropped without a word, so it is refused."""
    system = (getattr(target, "settings", None) or {}).get("system")
    if not system:
        return
    own = next((c for c in cases if c.conversation is not None and c.conversation.system is not None), None)
    if own is not None:
        raise ConfigError(
            f"item {own.id!r} carries its own system prompt, so the target's system option would be ignored "
            "for it; drop the system option (--target-option system=...) or gate results without a system turn")


def check_cases(
    cases: Sequence[Case | Skip],
    target: Target,
    scorer: ScorerSource,
    cache: ResponseCache | None = None,
    max_broken: float = 0.0,
    repeats: int = 1,
    min_pass_rate: float = DEFAULT_MIN_PASS_RATE,
    seed: int = 0,
) -> GateReport:
    """Ask ``target`` every case's prompts ``repeats`` times, score, and decide each verdict;
    ``seed`` drives the paired comparison's bootstrap."""
    if isinstance(max_broken, bool) or not isinstance(max_broken, (int, float)) or not 0.0 <= max_broken <= 1.0:
        raise ConfigError(f"max_broken must be a share between 0 and 1 (got {max_broken!r})")
    check_pass_rate(repeats, min_pass_rate)
    t0 = time.perf_counter()
    scorer_of = _scorer_for(scorer)
    todo = [c for c in cases if isinstance(c, Case)]
    refuse_system_option(todo, target)
    for c in todo:  # every δ must lie on its scorer's scale before any call is made
        s = scorer_of(c.scorer)
        Goal.check_threshold(c.goal.threshold, c.goal.direction, s.bounds, getattr(s, "name", c.scorer))
    rounds = ask_samples(todo, target, cache, repeats)
    samples: dict[tuple[int, int], Sample] = {}  # (position in ``cases``, sample)
    scored: dict[str, list[tuple[int, int, Case, QueryResult, QueryResult | None]]] = {}
    for n, c in enumerate(cases):
        if not isinstance(c, Case):
            continue
        for r, (answers, errors) in enumerate(rounds):
            got = answers[id(c)]
            if all(p in got for p in c.prompts()):
                newc = got[c.contrast_prompt] if c.contrast_prompt is not None else None
                scored.setdefault(c.scorer, []).append((n, r, c, got[c.prompt], newc))
            else:
                samples[(n, r)] = _unanswered(c, got, errors[id(c)])
    bands: dict[int, float] = {}
    for name, group in scored.items():
        pairs = [_score_items(c, new0, newc) for _, _, c, new0, newc in group]
        heard: dict[int, list[QueryResult]] = {}  # each item's new answers to x0, for its noise band
        for n, _, _, new0, _ in group:
            heard.setdefault(n, []).append(new0)
        noisy = {n: noise_items(cases[n], got) for n, got in heard.items()  # type: ignore[arg-type]
                 if len({q.response for q in got}) > 1}
        flat = [d for d, _ in pairs] + [f for _, f in pairs if f is not None] + [x for v in noisy.values() for x in v]
        scores = iter(_score(scorer_of(name), flat))
        drifts = [next(scores) for _ in pairs]
        flips = [next(scores) if f is not None else None for _, f in pairs]
        for n, its in noisy.items():
            bands[n] = noise_band(cases[n].goal, [next(scores) for _ in its])  # type: ignore[union-attr]
        for (n, r, c, new0, newc), drift, flip in zip(group, drifts, flips):
            samples[(n, r)] = sample_verdict(c, new0.response or "", newc.response if newc else None, drift, flip,
                                             bands.get(n, 0.0))
    items = tuple(
        ItemResult(c.id, "skipped", c.reason) if isinstance(c, Skip)
        else decide(c, [samples[(n, r)] for r in range(repeats)], min_pass_rate, bands.get(n))
        for n, c in enumerate(cases)
    )
    count = {v: sum(1 for i in items if i.verdict == v) for v in VERDICTS}
    summary = GateSummary(len(items), count["holds"], count["drifted"], count["lost"], count["failed"],
                          count["skipped"], float(max_broken), round(time.perf_counter() - t0, 3),
                          repeats, float(min_pass_rate))
    return GateReport(summary, items, paired_of(items, seed))


def paired_of(items: Sequence[ItemResult], seed: int = 0) -> Paired | None:
    """Old (the stored run) vs new over the checked items (see :mod:`.gate_paired`)."""
    checked = [i for i in items if i.verdict != "skipped"]
    if not checked:
        return None
    old_flip, new_flip, change = [], [], []
    for it in checked:
        if not it.found or not it.samples or it.threshold is None or it.direction not in DIRECTIONS:
            continue
        g = Goal(it.direction, it.threshold)  # type: ignore[arg-type]
        old_flip.append(1.0 if it.stored_score is None or g.reached(it.stored_score) else 0.0)
        new_flip.append((it.flips or 0) / len(it.samples))
        flips = [s.flip for s in it.samples if s.flip is not None]
        if it.stored_score is not None and flips:
            change.append(sum(g.objective(f) for f in flips) / len(flips) - g.objective(it.stored_score))
    holds = [1.0 if it.verdict == "holds" else 0.0 for it in checked]
    return compare(holds, old_flip, new_flip, change, seed)


def gate(
    records: Sequence[Mapping[str, Any]],
    target: Any,
    scorer: ScorerSource,
    cache: ResponseCache | None = None,
    max_broken: float = 0.0,
    repeats: int = 1,
    min_pass_rate: float = DEFAULT_MIN_PASS_RATE,
    seed: int = 0,
) -> GateReport:
    """Check every record of a results file against a new ``target`` (a Target, a registry
    name, or a batch function ``list[str] -> list[str]``).

    ``scorer`` is a Scorer used for every record, or a function from the recorded scorer
    name to a Scorer (the CLI builds it through the Config path).
    """
    cases = cases_from_records(records)
    return check_cases(cases, build_target(Config(target=Component(target))), scorer, cache, max_broken,
                       repeats, min_pass_rate, seed)
