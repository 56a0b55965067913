"""Minimal, stable and several contrasts, on deterministic stand-ins: minimisation undoes the
edits a contrast does not need (paid from the budget), several contrasts edit disjoint units,
and ``--confirm`` re-samples a contrast of a sampling target. These check the bookkeeping of
each pass (budget, counts, what is kept), not a model's behaviour."""

from __future__ import annotations

import json
import random

from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer, FunctionTarget
from promptfoil.search.context import SearchContext
from promptfoil.search.goal import Goal
from promptfoil.search.minimal import minimize
from promptfoil.search.space import PromptSpace
from promptfoil.prompt.segment import segment, words
from promptfoil.targets.budget import Budget
from promptfoil.targets.query import QueryStage

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"


class PathScorer(LostWordsScorer):
    """Reaches δ = 0.8 only when "rich" and "ruin" are both gone; losing "why" scores 0.3, so
    the myopic search walks through the decoy "why" first and ends with three edits."""

    def score(self, items):
        super().score(items)
        out = []
        for it in items:
            lost = set(it.y0.split()) - set(it.yc.split())
            key = len(lost & {"rich", "ruin"})
            out.append(0.9 if key == 2 else (0.3 + 0.1 * key if "why" in lost else 0.05 * key))
        return out


def explainer(scorer=None, target=None, **kw):
    kw.setdefault("algorithm", "cell")
    kw.setdefault("budget", 60)
    return Explainer(target=target or RecordingFunction(), infiller=SuffixInfiller(), scorer=scorer or PathScorer(),
                     threshold=kw.pop("threshold", 0.8), cache=False, **kw)


# -- minimise ----------------------------------------------------------------------------
def test_minimize_undoes_an_edit_the_contrast_does_not_need():
    plain = explainer(minimize=False).explain(PROMPT)
    assert plain.found and len(plain.edits) == 3 and plain.minimized_from is None
    small = explainer().explain(PROMPT)
    assert small.found and small.score >= 0.8
    assert sorted(e.old for e in small.edits) == ["rich", "ruin"]
    assert small.minimized_from is not None and len(small.minimized_from.edits) == 3
    assert small.minimized_from.prompt == plain.contrast_prompt
    assert small.calls.minimize >= 1
    assert small.calls.target == plain.calls.target + small.calls.minimize <= 60
    paid = [t for t in small.trace if t.stage.startswith("minimize") and t.paid_by == "budget"]
    assert len(paid) == small.calls.minimize
    assert small.contrasts[0].prompt == small.contrast_prompt
    assert any(n.startswith("minimize: 3 -> 2") for n in small.notes)


def test_minimize_pays_from_the_budget_and_stops_when_it_is_spent():
    full = explainer(minimize=False).explain(PROMPT)
    tight = explainer(budget=full.calls.target).explain(PROMPT)
    assert tight.found and len(tight.edits) == 3 and tight.calls.minimize == 0
    assert tight.minimized_from is None and any("not run" in n for n in tight.notes)
    assert tight.calls.target <= full.calls.target


def _context(scorer, prompt="alpha beta gamma delta"):
    fn = RecordingFunction()
    space = PromptSpace(prompt, segment(prompt))
    q = QueryStage(FunctionTarget(fn), None, Budget(calls=50))
    y0 = q.original(prompt).text
    return SearchContext(space, prompt, y0, SuffixInfiller(), q, scorer, Goal("increase", 0.8), seed=0), fn


def test_minimize_tries_smaller_subsets_when_no_single_undo_holds():
    class Subset(LostWordsScorer):
        """δ reached by {gamma} alone or by all of {alpha, beta, gamma}; every pair fails."""

        def score(self, items):
            out = []
            for it in items:
                lost = set(it.y0.split()) - set(it.yc.split())
                out.append(0.9 if lost in ({"gamma"}, {"alpha", "beta", "gamma"}) else 0.1)
            return out

    ctx, _ = _context(Subset())
    start = ctx.variant(ctx.root, frozenset())
    three = ctx.space.candidate({0: "ax", 1: "bx", 2: "gx"})
    node = type(start)(three, (3,))
    ctx.evaluate([node], stage="test")
    assert ctx.goal.reached(node.score)
    small = minimize(ctx, node)
    assert small.candidate.replacements == ((2, "gx"),)
    stages = [t.stage for t in ctx.trace]
    assert "minimize:undo-1-of-3" in stages and "minimize:keep-1" in stages


# -- several contrasts -------------------------------------------------------------------
def test_contrasts_edit_disjoint_units_and_are_ranked():
    for algorithm in ("cell", "cell-budget"):
        ex = explainer(scorer=LostWordsScorer(), threshold=0.1, algorithm=algorithm, budget=80, contrasts=3)
        result = ex.explain(PROMPT)
        assert result.found and len(result.contrasts) == 3, (algorithm, result.notes)
        units = [frozenset(e.unit for e in c.edits) for c in result.contrasts]
        assert all(not (a & b) for i, a in enumerate(units) for b in units[i + 1 :]), units
        assert all(c.score >= 0.1 for c in result.contrasts)
        keys = [(len(c.edits), -c.score) for c in result.contrasts]
        assert keys == sorted(keys)
        assert result.contrasts[0].prompt == result.contrast_prompt
        assert result.calls.target <= 80
        d = json.loads(json.dumps(result.to_dict()))
        assert [c["prompt"] for c in d["contrasts"]] == [c.prompt for c in result.contrasts]


def test_contrasts_stop_when_no_unit_is_left():
    ex = explainer(scorer=LostWordsScorer(), threshold=0.3, budget=200, contrasts=5, fills_per_mask=2)
    result = ex.explain("alpha beta gamma")  # one edit loses a third of the words
    assert result.found and len(result.contrasts) == 3
    assert sorted(e.old for c in result.contrasts for e in c.edits) == ["alpha", "beta", "gamma"]


# -- confirm -----------------------------------------------------------------------------
class Noisy(FunctionTarget):
    """A sampling target stand-in: ``deterministic = False``; each re-ask of a prompt draws
    from a fixed list of variants (the rng is seeded, so the test is repeatable)."""

    deterministic = False

    def __init__(self, flip_back: float, x0_noise: int = 0) -> None:
        self.rng = random.Random(1)
        self.base = RecordingFunction()
        self.flip_back, self.x0_noise = flip_back, x0_noise
        self.asked: list[str] = []
        super().__init__(self._answer, name="noisy")

    def _answer(self, prompts):
        out = []
        for p in prompts:
            self.asked.append(p)
            if p == PROMPT:
                ws = sorted(set(w.lower() for w in words(p)))
                drop = set(self.rng.sample(ws, self.x0_noise)) if self.rng.random() < 0.5 else set()
                out.append(" ".join(w for w in ws if w not in drop))
            elif self.rng.random() < self.flip_back:
                out.append(self.base([PROMPT])[0])  # answers as for x0: the contrast did not hold
            else:
                out.append(self.base([p])[0])
        return out


def test_confirm_costs_nothing_with_a_greedy_target_and_says_so():
    plain = explainer(scorer=LostWordsScorer(), threshold=0.1).explain(PROMPT)
    confirmed = explainer(scorer=LostWordsScorer(), threshold=0.1, confirm=5).explain(PROMPT)
    assert confirmed.found == plain.found and confirmed.calls.confirm == 0
    assert confirmed.calls.target == plain.calls.target
    assert confirmed.stability is None and confirmed.noise_band is None
    assert any("deterministic" in n and "0 calls" in n for n in confirmed.notes)


def test_a_contrast_that_does_not_survive_resampling_is_not_found():
    first = Noisy(flip_back=0.0)
    ok = explainer(scorer=LostWordsScorer(), threshold=0.1, target=first, confirm=5, budget=30).explain(PROMPT)
    assert ok.found and ok.stability == 1.0 and ok.noise_band == 0.0
    assert ok.calls.confirm == 10 and ok.calls.target <= 30
    assert sum(1 for p in first.asked if p == PROMPT) == 1 + 5  # the original, then 5 re-samples
    fragile = explainer(scorer=LostWordsScorer(), threshold=0.1, target=Noisy(flip_back=0.8), confirm=5,
                        budget=30, seed=0).explain(PROMPT)
    assert not fragile.found and fragile.stability is not None and fragile.stability < 0.5
    assert "did not hold under re-sampling" in fragile.stop_reason
    assert fragile.contrast_prompt is None and fragile.best_try is not None and fragile.contrasts == ()
    resampled = [t for t in fragile.trace if t.stage == "confirm:contrast"]
    assert len(resampled) == 5 and all(t.reason.startswith("re-sample") for t in resampled)


def test_a_contrast_inside_the_noise_band_is_not_found():
    noisy_x0 = Noisy(flip_back=0.0, x0_noise=5)  # y0's own re-samples lose up to 5 of 14 words
    result = explainer(scorer=LostWordsScorer(), threshold=0.05, target=noisy_x0, confirm=5,
                       budget=30).explain(PROMPT)
    assert result.noise_band is not None and result.noise_band > 0.3
    assert result.stability == 1.0  # every re-sample reached δ = 0.05 ...
    assert not result.found  # ... but one lost word is well inside the noise band


def test_resample_bypasses_the_memo_and_pays_from_the_budget():
    class Seeded(FunctionTarget):
        temperature = 0.7

        def __init__(self) -> None:
            self.seed = 10
            super().__init__(lambda ps: ps, name="seeded")

        def _generate_batch(self, prompts):
            return [f"{p} seed={self.seed}" for p in prompts]

    target = Seeded()
    q = QueryStage(target, None, Budget(calls=4))
    assert q.stochastic
    q.query(["a"])
    results = q.resample("a", 5)
    assert [r.response for r in results] == ["a seed=11", "a seed=12", "a seed=13", None, None]
    assert q.paid == 4 and q.exhausted and target.seed == 10
    assert not QueryStage(FunctionTarget(RecordingFunction()), None).stochastic

