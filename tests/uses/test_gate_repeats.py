"""``gate`` with repeats: each check asked K times (a seeded sampler through seed, seed+1, ...),
every sample kept, a Wilson pass rate per item and the interval rule deciding it; the paired
old-vs-new figures with their intervals; the intervals themselves.

The sampled target is a stand-in (plumbing): its answer depends on its seed, so which samples
go wrong is chosen by the test."""

from __future__ import annotations

import json

import pytest
from gate_results import old_model, write_results
from standins import LostWordsScorer

from promptfoil.errors import ConfigError
from promptfoil.runs import read_results
from promptfoil.targets.base import BaseTarget
from promptfoil.targets.cache import ResponseCache
from promptfoil.uses.gate import check_pass_rate, gate
from promptfoil.uses.intervals import bootstrap_mean, wilson


class Sampled(BaseTarget):
    """A seeded "sampler" (temperature 0.7 in its settings): with a seed in ``bad`` it answers
    every prompt in ``broken`` (all prompts when empty) with something else entirely."""

    name = "sampled"
    asked: list[tuple[int, str]] = []

    def __init__(self, seed: int = 0, bad: tuple[int, ...] = (), broken: tuple[str, ...] = ()) -> None:
        self.seed, self.bad, self.broken = seed, set(bad), set(broken)

    @property
    def identity(self) -> str:
        return "standin:sampled"

    @property
    def settings(self) -> dict[str, object]:
        return {"temperature": 0.7, "seed": self.seed, "bad": sorted(self.bad), "broken": sorted(self.broken)}

    def _generate_one(self, prompt: str) -> str:
        Sampled.asked.append((self.seed, prompt))
        if self.seed in self.bad and (not self.broken or prompt in self.broken):
            return "something else entirely"
        return old_model([prompt])[0]


@pytest.fixture()
def records(tmp_path):
    Sampled.asked.clear()
    return read_results(write_results(tmp_path))


def by_id(report) -> dict:
    return {i.id: i for i in report.items}


def test_wilson_interval_known_values():
    assert wilson(0, 1).high == pytest.approx(0.7935, abs=1e-4) and wilson(0, 1).low == 0.0
    two_of_three = wilson(2, 3)
    assert (two_of_three.low, two_of_three.high) == pytest.approx((0.2077, 0.9385), abs=1e-4)
    assert wilson(3, 3).high == 1.0 and wilson(3, 3).low == pytest.approx(0.4385, abs=1e-4)
    with pytest.raises(ConfigError):
        wilson(1, 0)


def test_bootstrap_is_deterministic_given_the_seed_and_covers_the_mean():
    values = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    a, b = bootstrap_mean(values, seed=3), bootstrap_mean(values, seed=3)
    assert a == b and a.estimate == pytest.approx(0.625) and a.low < a.estimate < a.high
    assert bootstrap_mean([0.5, 0.5]).low == bootstrap_mean([0.5, 0.5]).high == 0.5


def test_one_bad_sample_of_three_is_sampling_noise_not_a_regression(records):
    report = gate(records, Sampled(bad=(1,)), LostWordsScorer(), repeats=3)
    assert report.summary.passed and report.summary.broken == 0
    item = by_id(report)["1"]
    # the odd sample is as far from the others as from the stored answer: the noise band (1.0)
    # absorbs both its drift and its flip falling short
    assert item.noise_band == 1.0 and [s.drift for s in item.samples] == [0.0, 1.0, 0.0]
    assert [s.verdict for s in item.samples] == ["holds", "holds", "holds"]
    assert item.passes == 3 and "3 of 3 samples hold" in item.reason
    assert sorted({seed for seed, _ in Sampled.asked}) == [0, 1, 2]  # seed, seed+1, seed+2


def test_a_contrast_lost_in_two_samples_of_three_breaks_the_item_as_lost(records):
    xc = next(r["contrast_prompt"] for r in records if r["id"] == "3")

    class LosesSometimes(Sampled):
        def _generate_one(self, prompt: str) -> str:
            return old_model(["birds fly south"])[0] if prompt == xc and self.seed in (0, 2) else super()._generate_one(prompt)

    items = by_id(gate(records, LosesSometimes(), LostWordsScorer(), repeats=3))
    assert [s.verdict for s in items["3"].samples] == ["lost", "holds", "lost"]
    assert items["3"].verdict == "lost" and items["3"].passes == 1 and items["3"].pass_rate.high < 0.8
    assert items["3"].still_flips is False and items["3"].flips == 1
    assert {k: v.verdict for k, v in items.items() if k != "3"} == {"1": "holds", "2": "holds", "4": "holds",
                                                                   "5": "skipped"}


def test_a_drift_in_every_sample_breaks_the_item(records):
    x0 = record_prompt(records, "2")
    items = by_id(gate(records, Sampled(bad=(0, 1, 2), broken=(x0,)), LostWordsScorer(), repeats=3))
    assert items["2"].verdict == "drifted" and items["2"].passes == 0 and items["2"].pass_rate.high < 0.6
    assert "0 of 3 samples hold" in items["2"].reason and items["1"].verdict == "holds"


def test_with_one_sample_a_failing_sample_breaks_the_item_as_before(records):
    x0 = record_prompt(records, "2")
    report = gate(records, Sampled(bad=(0,), broken=(x0,)), LostWordsScorer())
    assert by_id(report)["2"].verdict == "drifted" and by_id(report)["2"].reason.startswith("stored vs new")


def test_every_sample_is_kept_in_the_json_and_a_rerun_comes_from_the_cache(records, tmp_path):
    cache = ResponseCache(tmp_path / "cache.sqlite")
    first = gate(records, Sampled(bad=(1,)), LostWordsScorer(), cache=cache, repeats=3).to_dict()
    asked = len(Sampled.asked)
    assert asked == 7 * 3  # 7 distinct prompts, 3 seeds
    again = gate(records, Sampled(bad=(1,)), LostWordsScorer(), cache=cache, repeats=3).to_dict()
    assert len(Sampled.asked) == asked  # every sample came from the cache
    item = next(i for i in first["items"] if i["id"] == "1")
    assert [s["new_response"] for s in item["samples"]] == ["cat sat the", "something else entirely", "cat sat the"]
    assert item["pass_rate"] == {"estimate": 1.0, "low": pytest.approx(0.4385, abs=1e-4), "high": 1.0, "level": 0.95}
    assert item["noise_band"] == 1.0 and [s["verdict"] for s in item["samples"]] == ["holds"] * 3
    json.dumps(first)  # plain JSON
    strip = lambda d: {**d, "summary": {**d["summary"], "seconds": 0}}  # noqa: E731
    assert strip(first) == strip(again)


def test_an_unseeded_sampler_is_asked_afresh_and_a_greedy_target_once(records):
    calls: list[str] = []

    class Unseeded(BaseTarget):
        name = "unseeded"
        identity = "standin:unseeded"
        deterministic = False

        def _generate_one(self, prompt: str) -> str:
            calls.append(prompt)
            return old_model([prompt])[0]

    gate(records, Unseeded(), LostWordsScorer(), cache=None, repeats=3)
    assert len(calls) == 7 * 3
    greedy: list[str] = []
    report = gate(records, lambda ps: greedy.extend(ps) or old_model(ps), LostWordsScorer(), repeats=3)
    assert len(greedy) == 7 and all(len(i.samples) == 3 for i in report.items if i.verdict != "skipped")


class Mumbler(BaseTarget):
    """A seeded sampler that drops one word of the old model's answer, which one depending on
    the seed; with ``changed`` it answers "meow" to the original prompts of the found items."""

    name = "mumbler"

    def __init__(self, seed: int = 0, changed: bool = False) -> None:
        self.seed, self.changed = seed, changed

    @property
    def identity(self) -> str:
        return "standin:mumbler"

    @property
    def settings(self) -> dict[str, object]:
        return {"temperature": 0.7, "seed": self.seed, "changed": self.changed}

    def _generate_one(self, prompt: str) -> str:
        if self.changed and prompt in ("the cat sat", "a dog barks", "birds fly south"):
            return "meow"
        words = old_model([prompt])[0].split()
        return " ".join(w for i, w in enumerate(words) if i != self.seed % len(words))


def test_the_noise_band_keeps_sampling_noise_from_reading_as_drift(records):
    plain = gate(records, Mumbler(), LostWordsScorer())  # one sample: a lost word is drift
    assert by_id(plain)["1"].verdict == "drifted"
    report = gate(records, Mumbler(), LostWordsScorer(), repeats=3)
    item = by_id(report)["1"]
    assert [s.drift for s in item.samples] == pytest.approx([1 / 3] * 3)  # each sample alone reaches δ 0.3
    assert item.noise_band == pytest.approx(0.5) and item.verdict == "holds" and report.summary.passed
    assert "noise band 0.5 is as wide as δ" in item.reason  # the reader learns what cannot be seen
    changed = by_id(gate(records, Mumbler(changed=True), LostWordsScorer(), repeats=3))
    assert changed["1"].verdict == "drifted" and changed["1"].noise_band is None  # one answer: no noise to allow


@pytest.mark.parametrize("repeats, rate", [(1, 0.5), (3, 0.5), (0, 0.8), (2, 0.0), (2, 1.5)])
def test_settings_under_which_nothing_could_fail_are_refused(repeats, rate):
    with pytest.raises(ConfigError):
        check_pass_rate(repeats, rate)


def test_paired_figures_carry_intervals_and_are_deterministic_given_the_seed(records):
    xc = next(r["contrast_prompt"] for r in records if r["id"] == "3")  # answered like its original: lost

    def new(prompts):
        return [old_model(["birds fly south"])[0] if p == xc else a for p, a in zip(prompts, old_model(prompts))]

    a = gate(records, new, LostWordsScorer(), seed=7).paired
    b = gate(records, new, LostWordsScorer(), seed=7).paired
    assert a == b
    assert a.items == 4 and a.hold_share.estimate == pytest.approx(0.75) and a.hold_share.low < 0.75 < a.hold_share.high
    assert (a.contrasts, a.old_flip_rate, a.new_flip_rate) == (3, 1.0, pytest.approx(2 / 3))
    assert a.flip_rate_change.estimate == pytest.approx(-1 / 3) and a.flip_rate_change.low <= -1 / 3 <= a.flip_rate_change.high
    assert a.score_change is not None and "of 4 items hold" in a.line()


def record_prompt(records, item_id: str) -> str:
    return next(r["prompt"] for r in records if r["id"] == item_id)
