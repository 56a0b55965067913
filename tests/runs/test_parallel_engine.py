"""``--parallel N``: up to N items in flight in this process give the records of a one-by-one
run, the target really sees several items at once, in-process parts serve one item at a
time, and an error that stops the run still stops it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from promptfoil import FunctionTarget
from promptfoil.cli import main
from promptfoil.errors import ConfigError, MissingDependency
from promptfoil.runs import LocalEngine, iter_results, read_items, run
from results_helpers import STANDINS, explainer
from standins import RecordingChat, RecordingFunction, SuffixInfiller

WORDS = "honest kind fair brave quiet loyal polite clever patient generous".split()


def prompts(tmp_path: Path, n: int = 10) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i}", "group": i % 3, "prompt": f"Is it {WORDS[i % 10]} to tell "
                                        f"my friend {i} the whole truth?"}) + "\n" for i in range(n)), encoding="utf-8")
    return path


class Gauge:
    """Counts how many calls are inside at once (the most seen is ``peak``)."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def slow_target(gauge: Gauge, delay: float = 0.02, slower: str = "", chat: bool = False) -> FunctionTarget:
    """The stand-in answers (sorted words), each batch after ``delay`` s (x10 for prompts holding
    ``slower``); ``chat``: of conversations (:class:`RecordingChat`)."""
    fn = RecordingChat() if chat else RecordingFunction()

    def answer(batch: list[Any]) -> list[str]:
        with gauge:
            time.sleep(delay * (10 if slower and any(slower in str(p) for p in batch) else 1))
            return fn(batch)

    return FunctionTarget(answer, name="slow", chat=chat)


class GaugedInfiller(SuffixInfiller):
    """:class:`SuffixInfiller` that takes a moment and records how many calls overlap."""

    def __init__(self, gauge: Gauge) -> None:
        super().__init__()
        self.gauge = gauge

    def infill(self, requests: Any) -> list[list[str]]:
        with self.gauge:
            time.sleep(0.005)
            return super().infill(requests)


class ThreadSafeInfiller(GaugedInfiller):
    thread_safe = True


def without_timing(rec: dict[str, Any]) -> dict[str, Any]:
    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in ("seconds", "seconds_by_stage")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(rec)


def records(path: Path) -> dict[str, dict[str, Any]]:
    recs = [rec for _, rec in iter_results(path)]
    assert len({r["id"] for r in recs}) == len(recs), "an item was written twice"
    return {r["id"]: without_timing(r) for r in recs}


def test_items_in_flight_give_the_records_of_a_sequential_run(tmp_path):
    items = read_items(prompts(tmp_path))
    one, many = Gauge(), Gauge()
    run(items, LocalEngine(explainer(target=slow_target(one), budget=6, threshold=0.15)), tmp_path / "one.jsonl")
    summary = run(items, LocalEngine(explainer(target=slow_target(many), budget=6, threshold=0.15), parallel=4), tmp_path / "four.jsonl")
    assert one.peak == 1 and many.peak > 1  # the target really had several items' batches at once
    want, got = records(tmp_path / "one.jsonl"), records(tmp_path / "four.jsonl")
    assert (summary.done, summary.failed) == (10, 0) and got == want
    assert 0 < sum(r["found"] for r in want.values()) and all("trace" in r for r in want.values())


def test_records_are_written_as_items_finish(tmp_path):
    items = read_items(prompts(tmp_path, 6))
    gauge = Gauge()
    engine = LocalEngine(explainer(target=slow_target(gauge, slower="friend 0 "), budget=4), parallel=3)
    run(items, engine, tmp_path / "r.jsonl")
    order = [rec["id"] for _, rec in iter_results(tmp_path / "r.jsonl")]
    assert sorted(order) == sorted(it.id for it in items) and order[0] != "q0" and order.index("q0") > 0


def test_in_process_parts_serve_one_item_at_a_time_unless_thread_safe(tmp_path):
    items = read_items(prompts(tmp_path, 6))
    for infiller_class, shared in ((GaugedInfiller, False), (ThreadSafeInfiller, True)):
        target_gauge, infill_gauge = Gauge(), Gauge()
        ex = explainer(target=slow_target(target_gauge), infiller=infiller_class(infill_gauge), budget=6)
        run(items, LocalEngine(ex, parallel=4), tmp_path / f"{infiller_class.__name__}.jsonl")
        assert target_gauge.peak > 1
        assert (infill_gauge.peak > 1) is shared, (infiller_class.__name__, infill_gauge.peak)


def test_an_error_that_stops_the_run_stops_it_with_items_in_flight(tmp_path):
    items = read_items(prompts(tmp_path, 8))

    def missing(batch: list[str]) -> list[str]:
        if any("friend 5 " in p for p in batch):
            raise MissingDependency("the stand-in", "a-package", "extra")
        time.sleep(0.01)
        return RecordingFunction()(batch)

    with pytest.raises(MissingDependency):
        run(items, LocalEngine(explainer(target=FunctionTarget(missing, name="m")), parallel=3), tmp_path / "r.jsonl")
    written = [rec["id"] for _, rec in iter_results(tmp_path / "r.jsonl")]
    assert "q5" not in written and len(written) < 8


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2", 100000])
def test_bad_parallel_is_refused(bad):
    with pytest.raises(ConfigError, match="--parallel must be a whole number"):
        LocalEngine(explainer(), parallel=bad)


def test_cli_parallel_equals_sequential_and_keeps_the_experiments_settings(tmp_path, capsys):
    p = prompts(tmp_path, 8)
    one, four = tmp_path / "one.jsonl", tmp_path / "four.jsonl"
    common = [*STANDINS, "--budget", "6", "--no-cache"]
    assert main(["run", str(p), "--out", str(one), *common, "--limit", "3"]) == 0
    assert main(["run", str(p), "--out", str(one), *common, "--parallel", "4"]) == 0  # resumed: same experiment
    assert main(["run", str(p), "--out", str(four), *common, "--parallel", "4"]) == 0
    capsys.readouterr()
    want, got = records(one), records(four)
    assert len(want) == 8 and got == want
    assert {json.dumps(r["settings"], sort_keys=True) for r in got.values()} == {json.dumps(want["q0"]["settings"], sort_keys=True)}


@pytest.mark.parametrize("args, needle", [
    (["--parallel", "0"], "--parallel: expected a whole number from 1 to"),
    (["--parallel", "two"], "--parallel: expected a whole number from 1 to"),
    (["--parallel", "2", "--engine", "ray"], "--parallel applies to --engine local"),
    (["--parallel", "2", "--target", "smollm2"], "target 'smollm2' runs its model in this process"),
])
def test_cli_refuses_parallel_it_cannot_use_in_one_line(tmp_path, capsys, args, needle):
    base = list(STANDINS)
    if "--target" in args:
        i = base.index("--target")
        del base[i:i + 2]
    try:
        code = main(["run", str(prompts(tmp_path, 2)), "--out", str(tmp_path / "r.jsonl"), *base, "--no-cache", *args])
    except SystemExit as exc:  # argparse refuses the value itself
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and needle in err.strip().splitlines()[-1], err  # argparse's usage, or nothing, above it
    assert not (tmp_path / "r.jsonl").exists() or (tmp_path / "r.jsonl").read_text() == ""


class StubJudge:
    """A policy judge without a model: the verdict is the share of words in the answer."""

    name = "stub-policy"

    def probabilities(self, pairs: list[tuple[str, str]]) -> list[float]:
        return [min(1.0, len(answer.split()) / 20) for _, answer in pairs]


def test_redteam_questions_in_flight_give_the_same_findings(tmp_path):
    from promptfoil.uses.redteam import question_items, redteam

    items = question_items([{"id": f"t{i}", "question": f"May I tell my friend {i} a white lie about the {w} gift?"}
                            for i, w in enumerate(WORDS[:5])], "Be kind.")
    gauge = Gauge()
    kw = dict(budget=6, threshold=0.15, split_k=1)
    redteam(items, explainer(target=slow_target(Gauge(), chat=True), **kw), tmp_path / "one.jsonl", StubJudge())
    redteam(items, explainer(target=slow_target(gauge, chat=True), **kw), tmp_path / "three.jsonl", StubJudge(),
            parallel=3)
    want, got = records(tmp_path / "one.jsonl"), records(tmp_path / "three.jsonl")
    assert gauge.peak > 1 and len(want) == 5 and got == want
    assert all("policy_verdict" in r and "error" not in r for r in got.values())
    assert any(r["found"] for r in got.values())
