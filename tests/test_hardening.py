"""Issue 13: hostile and careless input. Nothing is lost or overwritten, nothing hangs or
grows without bound, no key leaks, and every bad input is one clear line (exit 2).

Stand-ins and loopback fakes only: what is tested is the plumbing, not a model.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from standins import EchoTarget, LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import FunctionTarget, PromptfoilError, ResponseCache
from promptfoil.cli import main
from promptfoil.errors import ConfigError
from promptfoil.runs import LocalEngine, iter_results, read_items, run

STANDINS = ["--target", "standins:EchoTarget", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer"]
PROMPT = "Is it wrong to lie to my friend?"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, " ".join(got.err.split())


def prompts_file(path: Path, n: int = 2) -> Path:
    texts = [PROMPT, "Should I tell my boss the truth?", "Is it fine to skip a wedding?"][:n]
    path.write_text("".join(json.dumps({"id": str(i), "prompt": t}) + "\n" for i, t in enumerate(texts)),
                    encoding="utf-8")
    return path


def explainer(**kw):
    base = dict(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                cache=False, budget=8)
    base.update(kw)
    return promptfoil.Explainer(**base)


# -- 1. run --out must be a results file ------------------------------------------------
def test_run_refuses_to_write_into_its_own_prompts_csv(tmp_path, capsys):
    p = tmp_path / "p.csv"
    p.write_text("id,prompt\n1,Is it wrong to lie?", encoding="utf-8")  # no newline at the end
    before = p.read_bytes()
    code, out, err = cli(capsys, "run", str(p), "--out", str(p), *STANDINS, "--budget", "2")
    assert code == 2 and "prompts file itself" in err and "Traceback" not in err
    assert p.read_bytes() == before  # the data row is still there


def test_run_refuses_an_out_file_that_is_not_a_results_file(tmp_path, capsys):
    other = tmp_path / "notes.txt"
    other.write_text("hello world", encoding="utf-8")
    code, _, err = cli(capsys, "run", str(prompts_file(tmp_path / "p.jsonl")), "--out", str(other),
                       *STANDINS, "--budget", "2")
    assert code == 2 and "not a promptfoil results file" in err
    assert other.read_text(encoding="utf-8") == "hello world"


def test_run_out_folder_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    code, _, err = cli(capsys, "run", str(prompts_file(tmp_path / "p.jsonl")), "--out", str(tmp_path / "d"),
                       *STANDINS, "--budget", "2")
    assert code == 2 and "is a folder" in err and "IsADirectoryError" not in err


def test_run_results_file_as_its_own_prompts_is_refused(tmp_path, capsys):
    p = prompts_file(tmp_path / "p.jsonl")
    out = tmp_path / "X.jsonl"
    assert cli(capsys, "run", str(p), "--out", str(out), *STANDINS, "--budget", "2")[0] == 0
    code, _, err = cli(capsys, "run", str(out), "--out", str(out), *STANDINS, "--budget", "2")
    assert code == 2 and "prompts file itself" in err


def test_api_run_checks_out_before_writing(tmp_path):
    other = tmp_path / "data.csv"
    other.write_text("id,prompt\n1,partial row", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a promptfoil results file"):
        run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), other)
    assert other.read_text(encoding="utf-8") == "id,prompt\n1,partial row"


def test_torn_first_record_is_still_repaired(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "0", "found": tr', encoding="utf-8")  # killed during the first write
    summary = run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), out)
    assert summary.repaired_tail and summary.done == 2


# -- 2. a finished explanation is never lost to a side output ----------------------------
def test_unwritable_svg_is_refused_before_the_search(tmp_path, capsys):
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "1", "--no-cache",
                         "--svg", str(tmp_path / "missing" / "x.svg"))
    assert code == 2 and "cannot write --svg" in err and out == ""


def test_svg_failing_late_still_prints_the_result(tmp_path, capsys, monkeypatch):
    from rich.console import Console

    def broken(self, path, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(Console, "save_svg", broken)
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "1", "--no-cache",
                         "--svg", str(tmp_path / "x.svg"))
    assert code == 2 and "explanation is above" in err
    assert "Is it wrong" in out  # the result was printed first


def test_unwritable_html_is_refused_before_the_search(tmp_path, capsys):
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "1", "--no-cache", "--json",
                         "--html", str(tmp_path / "missing" / "x.html"))
    assert code == 2 and "cannot write --html" in err and out == ""


def test_report_and_compare_outputs_are_checked_first(tmp_path, capsys):
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    code, _, err = cli(capsys, "report", str(res), "--html", str(tmp_path / "no" / "r.html"), "--no-content")
    assert code == 2 and "cannot write --html" in err
    code, out, err = cli(capsys, "compare", str(res), "--no-baseline", "--compare-scorer", "bleu",
                         "--out", str(tmp_path / "no" / "c.jsonl"))
    assert code == 2 and "cannot write --out" in err and out == ""


# -- 3. one run at a time per results file -----------------------------------------------
def results_lock(*a, **kw):
    from promptfoil.runs.results_file import results_lock as lock

    return lock(*a, **kw)


def test_second_run_on_the_same_out_names_the_holder(tmp_path, capsys):
    p, out = prompts_file(tmp_path / "p.jsonl"), tmp_path / "r.jsonl"
    with results_lock(out):
        assert (tmp_path / "r.jsonl.lock").read_text().strip() == str(os.getpid())
        code, _, err = cli(capsys, "run", str(p), "--out", str(out), *STANDINS, "--budget", "2")
    assert code == 2 and f"process {os.getpid()} is already writing" in err and "--wait" in err
    assert not out.exists() and not (tmp_path / "r.jsonl.lock").exists()


def test_run_with_wait_waits_then_skips_what_the_first_run_did(tmp_path, capsys):
    p, out = prompts_file(tmp_path / "p.jsonl"), tmp_path / "r.jsonl"
    held, release = threading.Event(), threading.Event()

    def first_run() -> None:
        with results_lock(out):
            held.set()
            release.wait(10)
            run(read_items(p), LocalEngine(explainer()), out, lock=False)

    t = threading.Thread(target=first_run)
    t.start()
    held.wait(5)
    threading.Timer(0.5, release.set).start()
    code, out_text, err = cli(capsys, "run", str(p), "--out", str(out), *STANDINS, "--budget", "2", "--wait")
    t.join()
    assert code == 0 and "waiting for process" in err
    assert "0 explained, 0 failed, 2 already done" in " ".join(out_text.split())
    assert sorted(r["id"] for _, r in iter_results(out)) == ["0", "1"]  # every id once


# -- 10. text that is not valid UTF-8 ----------------------------------------------------
def test_invalid_utf8_on_stdin_is_one_clear_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"Is it \xff\xfe wrong to lie?")))
    code, out, err = cli(capsys, "explain", "-", *STANDINS, "--budget", "2")
    assert code == 2 and "not valid UTF-8" in err and "0xff" in err and "Traceback" not in err


@pytest.mark.parametrize("cache", [True, False])
def test_surrogates_in_the_prompt_are_a_config_error(cache):
    with pytest.raises(ConfigError, match="not valid text"):
        explainer(cache=cache).explain("Is it \udcff wrong to lie?")


# -- 11. a cache file that is not ours, or damaged ---------------------------------------
def _foreign_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE responses (a, b)")
    db.commit()
    db.close()


def _foreign_db(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name)")
    db.commit()
    db.close()


def _corrupt(path: Path) -> None:
    ResponseCache(path).put_many("t", {}, [(f"prompt {i} " * 20, "answer " * 40) for i in range(400)])
    data = bytearray(path.read_bytes())
    for off in range(4096 * 2, len(data), 4096):
        data[off : off + 64] = b"\x5a" * 64  # valid header, broken pages
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make, needle", [(_foreign_schema, "not a promptfoil response cache"),
                                          (_foreign_db, "not a promptfoil response cache"),
                                          (_corrupt, "damaged")])
def test_bad_cache_file_is_one_clear_line(tmp_path, capsys, make, needle):
    path = tmp_path / "c.sqlite"
    make(path)
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")} if needle != "damaged" else None
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "2", "--cache", str(path))
    assert code == 2 and needle in err and "Traceback" not in err and out == ""
    if tables is not None:  # another program's file is left as it was
        assert {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")} == tables


# -- 12. results with fields of the wrong type -------------------------------------------
@pytest.mark.parametrize("field, value", [("seconds", "abc"), ("edit_distance", "x"), ("score", "hi"),
                                          ("calls", [1, 2]), ("calls", {"target": None}), ("seconds", None),
                                          ("found", "yes")])
@pytest.mark.parametrize("command", ["metrics", "report"])
def test_results_with_wrong_field_types_name_line_and_field(tmp_path, capsys, field, value, command):
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    lines = res.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[1])
    rec.update({field: value, "found": True} if field != "found" else {field: value})
    res.write_text(lines[0] + "\n" + json.dumps(rec) + "\n", encoding="utf-8")
    extra = ["--json"] if command == "metrics" else ["--html", str(tmp_path / "r.html")]
    code, _, err = cli(capsys, command, str(res), "--no-content", *extra)
    assert code == 2 and "line 2" in err and f"'{field}" in err and "Traceback" not in err


# -- 13. components that break their contract --------------------------------------------
class _Scorer(LostWordsScorer):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def score(self, items):
        return self.fn(items)


class _Infiller(SuffixInfiller):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def infill(self, requests):
        return self.fn(requests)


@pytest.mark.parametrize("scorer, needle", [
    (lambda it: None, "must return a list"),
    (lambda it: [object()] * len(it), "object"),  # None is allowed: "could not score" (test_quality.py)
    (lambda it: [0.1] * (len(it) - 1), "0 score\\(s\\) for 1 item"),
    (lambda it: [0.1] * (len(it) + 1), "score\\(s\\) for 1 item"),
    (lambda it: ["0.5"] * len(it), "str"),
    (lambda it: [float("nan")] * len(it), "NaN"),
])
def test_scorer_breaking_its_contract_is_reported(scorer, needle):
    with pytest.raises(PromptfoilError, match=f"scorer 'lost-words'.*{needle}|{needle}"):
        explainer(scorer=_Scorer(scorer)).explain(PROMPT)


@pytest.mark.parametrize("inf", [float("inf"), float("-inf")])
def test_infinite_scores_never_count_as_found(inf):
    direction = "increase" if inf > 0 else "decrease"
    ex = explainer(scorer=_Scorer(lambda it: [inf] * len(it)), direction=direction, threshold=0.1).explain(PROMPT)
    assert not ex.found and ex.stop_reason != "threshold reached"
    from promptfoil.runs.jsonout import strict_dumps

    d = json.loads(strict_dumps(ex.to_dict()), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert d["score"] is None


@pytest.mark.parametrize("infill, needle", [
    (lambda rs: None, "must return a list"),
    (lambda rs: [["a"]] * (len(rs) + 1), "list\\(s\\) of fills for"),
    (lambda rs: [None] * len(rs), "must return a list, got NoneType"),
    (lambda rs: [[1, 2]] * len(rs), "int"),
    (lambda rs: ["abc"] * len(rs), "must return a list, got str"),
])
def test_infiller_breaking_its_contract_is_reported(infill, needle):
    with pytest.raises(PromptfoilError, match=f"infiller 'suffix'.*{needle}"):
        explainer(infiller=_Infiller(infill)).explain(PROMPT)


@pytest.mark.parametrize("answer, needle", [
    (lambda ps: "abc", "got str"), (lambda ps: {p: "x" for p in ps}, "got dict"),
    (lambda ps: [1] * len(ps), "got int"), (lambda ps: [b"x"] * len(ps), "got bytes"),
    (lambda ps: None, "got NoneType"), (lambda ps: [None] * len(ps), "got NoneType"),
])
def test_target_returning_no_text_is_reported_and_never_cached(tmp_path, answer, needle):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(PromptfoilError, match=needle):
        explainer(target=FunctionTarget(answer, name="named"), cache=cache).explain(PROMPT)
    assert len(cache) == 0


class _RawTarget:
    """A target object (not a BaseTarget) whose ``generate`` answers ``answer(prompts)``."""

    name, batch_size, identity, settings, cacheable = "raw", 1, "standin:raw", {}, True

    def __init__(self, answer) -> None:
        self.answer = answer

    def generate(self, prompts):
        return self.answer(prompts)


@pytest.mark.parametrize("answer", [lambda ps: "abc", lambda ps: {p: "x" for p in ps}, lambda ps: [1] * len(ps),
                                    lambda ps: [None] * len(ps), lambda ps: None])
def test_a_target_object_returning_no_texts_is_reported_and_never_cached(tmp_path, answer):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(PromptfoilError, match="raw"):
        explainer(target=_RawTarget(answer), cache=cache).explain(PROMPT)
    assert len(cache) == 0


@pytest.mark.parametrize("protected, needle", [(5, "list of \\(start, end\\)"), ("0:3", "list of"),
                                               ([(5, 2)], "reversed"), ([(1.5, 3)], "whole")])
def test_bad_protected_spans_are_config_errors(protected, needle):
    with pytest.raises(ConfigError, match=needle):
        promptfoil.explain(PROMPT, target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                           cache=False, protected=protected)


def test_reversed_protect_on_the_command_line(capsys):
    code, _, err = cli(capsys, "explain", PROMPT, *STANDINS, "--protect", "9:3")
    assert code == 2 and "reversed" in err and "outside the prompt" not in err


# -- 15. silent acceptance ---------------------------------------------------------------
def test_csv_with_an_unterminated_quote_names_its_line(tmp_path, capsys):
    p = tmp_path / "p.csv"
    p.write_text('id,prompt\n1,"Is it, fine"\n2,"Should I go?\n3,yes\n', encoding="utf-8")
    code, _, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "r.jsonl"), *STANDINS)
    assert code == 2 and "line 3" in err and "never closed" in err
    assert not (tmp_path / "r.jsonl").exists()


def test_run_where_every_item_failed_exits_non_zero(tmp_path, capsys):
    p = prompts_file(tmp_path / "p.jsonl")
    code, out, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "r.jsonl"), "--target", "standins:EchoTarget",
                         "--target-option", "fail= ", "--infiller", "standins:SuffixInfiller",
                         "--scorer", "standins:LostWordsScorer", "--no-cache")
    assert code == 1 and "nothing was explained" in err
    code, out, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "r2.jsonl"), *STANDINS, "--no-cache")
    assert code == 0


def test_metrics_json_is_strict_json(tmp_path, capsys):
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    recs = [json.loads(x) for x in res.read_text(encoding="utf-8").splitlines()]
    for r in recs:
        r["seconds"] = 1e308  # finite each, but their sum overflows
    res.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    code, out, _ = cli(capsys, "metrics", str(res), "--json", "--no-content")
    assert code == 0
    m = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert m["seconds"]["mean"] is None


def test_results_lines_are_strict_json(tmp_path):
    res = tmp_path / "r.jsonl"
    ex = explainer(scorer=_Scorer(lambda it: [float("inf")] * len(it)))
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(ex), res)
    for line in res.read_text(encoding="utf-8").splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in results"))


# -- 16. compare does not wait on a hub it cannot reach ----------------------------------
def test_compare_defaults_to_an_offline_scorer():
    from promptfoil.cli import build_parser

    args = build_parser().parse_args(["compare", "r.jsonl"])
    assert args.compare_scorer == "semantic"


def test_compare_with_a_hub_scorer_offline_fails_at_once(tmp_path, capsys, monkeypatch):
    if "preference" not in promptfoil.scorers:
        pytest.skip("preference scorer not registered")
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    t0 = time.monotonic()
    code, _, err = cli(capsys, "compare", str(res), "--no-baseline", "--compare-scorer", "preference")
    assert code == 2 and "not in the local Hugging Face cache" in err
    assert time.monotonic() - t0 < 10


def test_echo_standin_is_a_target():
    assert isinstance(EchoTarget(), promptfoil.Target)


# -- 8. cost follows the work, not the budget --------------------------------------------
def test_a_huge_unused_budget_costs_nothing_extra():
    import tracemalloc

    class Zero(LostWordsScorer):
        def score(self, items):
            return [0.0] * len(items)

    def cost(budget: int) -> tuple[float, int]:
        tracemalloc.start()
        t0 = time.perf_counter()
        promptfoil.explain("Hello there friend", target=RecordingFunction(), infiller=SuffixInfiller(),
                           scorer=Zero(), cache=False, budget=budget)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return seconds, peak

    small_s, small_peak = cost(400)
    big_s, big_peak = cost(10**8)
    assert big_peak < small_peak + 5_000_000  # no allocation in proportion to the budget
    assert big_s < small_s + 3.0


# -- 4. a candidate that does not fit the context is skipped, the search goes on -------------
class ShortContextTarget(promptfoil.BaseTarget):
    """Takes prompts of at most ``limit`` characters, like a model with a small context."""

    name = "short-context"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.asked: list[str] = []

    def _generate_one(self, prompt: str) -> str:
        if len(prompt) > self.limit:
            from promptfoil import errors

            too_long = getattr(errors, "PromptTooLong", PromptfoilError)
            raise too_long(f"prompt of {len(prompt)} characters does not fit the context of {self.limit}")
        self.asked.append(prompt)
        return " ".join(sorted({w.lower() for w in prompt.split()}))


class LongFirstInfiller(SuffixInfiller):
    """Fills of "lie" and "friend" are very long (they overflow the context); the others are short."""

    def infill(self, requests):
        return [[f"{r.old}{' y' * 80}{i}" if r.old.strip("?") in ("lie", "friend") else f"{r.old}x{i}"
                 for i in range(r.n)] for r in requests]


def test_a_candidate_that_overflows_the_context_is_skipped_and_the_search_goes_on():
    target = ShortContextTarget(limit=len(PROMPT) + 20)
    ex = promptfoil.explain(PROMPT, target=target, infiller=LongFirstInfiller(), scorer=LostWordsScorer(),
                            cache=False, budget=6, threshold=1.0)
    skipped = [t for t in ex.trace if t.status == "skipped" and "does not fit" in t.reason]
    assert skipped, "the overflowing candidates are in the trace, with the reason"
    assert all(t.paid_by == "none" and t.response is None for t in skipped)
    assert any(t.status == "scored" for t in ex.trace)  # the search went on
    assert ex.calls.target == len(target.asked) - 1  # skipped prompts are not paid for


def test_an_original_prompt_that_does_not_fit_is_a_clear_error():
    with pytest.raises(PromptfoilError, match="prompt to explain cannot be asked.*does not fit"):
        promptfoil.explain(PROMPT, target=ShortContextTarget(limit=5), infiller=SuffixInfiller(),
                           scorer=LostWordsScorer(), cache=False, budget=3)


def test_llamacpp_room_check_raises_the_skip_error():
    from promptfoil.backends.chat import ChatRequest
    from promptfoil.backends.llamacpp import LocalChat
    from promptfoil.errors import PromptTooLong

    chat = object.__new__(LocalChat)
    chat.n_ctx = 64
    with pytest.raises(PromptTooLong, match="prompt of 60 tokens does not fit"):  # the chat template's token count
        chat._check_room(60, ChatRequest.turn("word " * 60, max_tokens=16))
    chat._check_room(48, ChatRequest.turn("word " * 40, max_tokens=16))  # exactly fits


@pytest.mark.slow
def test_smollm2_skips_a_candidate_beyond_its_context():
    from conftest import requires_models

    if requires_models.args[0]:
        pytest.skip(requires_models.kwargs["reason"])
    ex = promptfoil.explain(PROMPT, target="smollm2", target_options={"n_ctx": 96}, max_tokens=8,
                            infiller=LongFirstInfiller(), scorer=LostWordsScorer(), cache=False, budget=2,
                            threshold=1.0)
    assert any(t.status == "skipped" and "does not fit the model context" in t.reason for t in ex.trace)
    assert ex.calls.target >= 1
