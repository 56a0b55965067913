"""The seams of issue 30, one test per case a hostile user found: each gives a one-line
error (exit 2 on the command line), a refusal, or the documented behaviour, never a traceback.

Records come from ``trace_fakes`` (a complete results record) or a real dataset run over
stand-ins (plumbing only: no test here claims what a model does).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import trace_fakes
from results_helpers import STANDINS, cli, prompts_file

import promptfoil
from promptfoil.errors import PromptfoilError

DEEP = "[" * 50_000


def _good(rid: str = "a") -> dict[str, Any]:
    return {**trace_fakes.record(rid, n=8, seed=1), "id": rid}


def _write(path: Path, lines: list[str | dict[str, Any]]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


def _one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "RecursionError" not in err and "OverflowError" not in err, err
    for n in needles:
        assert n in err, (n, err)


# -- records: one codec -------------------------------------------------------------------------

def test_a_line_of_50000_brackets_is_one_line_in_every_reader(tmp_path, capsys):
    results = _write(tmp_path / "r.jsonl", [_good(), DEEP])
    html = tmp_path / "o.html"
    for args in (["report", str(results)], ["report", str(results), "--html", str(html), "--no-content"],
                 ["metrics", str(results), "--no-content"], ["summary", str(results)],
                 ["compare", str(results), *STANDINS, "--no-baseline"],
                 ["gate", str(results), *STANDINS]):
        code, _, err = cli(capsys, *args)
        _one_line(code, err, f"{results} line 2", "nested deeper")
    prompts = _write(tmp_path / "p.jsonl", [{"id": "1", "prompt": "Is it wrong to lie?"}, DEEP])
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(tmp_path / "o.jsonl"), *STANDINS)
    _one_line(code, err, f"{prompts} line 2", "nested deeper")
    good_prompts = prompts_file(tmp_path / "good.jsonl")
    code, _, err = cli(capsys, "run", str(good_prompts), "--out", str(results), *STANDINS)  # resume
    _one_line(code, err, "line 2")
    long = _write(tmp_path / "long.jsonl", [_good(str(i)) for i in range(60)] + [DEEP])  # past the sniffed head
    code, _, err = cli(capsys, "run", str(good_prompts), "--out", str(long), *STANDINS)
    _one_line(code, err, f"{long} line 61", "nested deeper")
    questions = _write(tmp_path / "q.jsonl", [DEEP])
    code, _, err = cli(capsys, "redteam", "--policy", "conduct", "--questions", str(questions),
                       "--out", str(tmp_path / "f.jsonl"), *STANDINS)
    _one_line(code, err, f"{questions} line 1", "nested deeper")
    conv = tmp_path / "chat.json"
    conv.write_text(DEEP, encoding="utf-8")
    code, _, err = cli(capsys, "explain", "--conversation", str(conv), *STANDINS)
    _one_line(code, err, "nested deeper")
    with pytest.raises(PromptfoilError, match="line 2: nested deeper"):
        promptfoil.load_results(results)
    assert not html.exists()


def test_seconds_1e308_is_refused_naming_the_field(tmp_path, capsys):
    results = _write(tmp_path / "r.jsonl", [_good("a"), {**_good("b"), "seconds": 1e308}])
    for args in (["metrics", str(results), "--no-content"], ["summary", str(results)],
                 ["report", str(results), "--html", str(tmp_path / "o.html"), "--no-content"]):
        code, _, err = cli(capsys, *args)
        _one_line(code, err, f"{results} line 2", "'seconds'")


def test_unit_effects_7_is_refused_in_report_html(tmp_path, capsys):
    results = _write(tmp_path / "r.jsonl", [{**_good(), "unit_effects": 7}])
    code, _, err = cli(capsys, "report", str(results), "--html", str(tmp_path / "o.html"), "--no-content")
    _one_line(code, err, f"{results} line 1", "'unit_effects'")


@pytest.mark.parametrize("field,value", [("edits", 7), ("score", "x"), ("best_try", 1.5)])
def test_bad_fields_name_file_line_and_field_in_python_views(tmp_path, field, value):
    bad = {**_good(), field: value}
    path = _write(tmp_path / "r.jsonl", [_good("ok"), bad])
    with pytest.raises(PromptfoilError, match=rf"r.jsonl line 2: field '{field}'"):
        promptfoil.load_results(path)
    with pytest.raises(PromptfoilError, match=rf"field '{field}'"):
        promptfoil.Explanation.from_dict(bad)
    held = promptfoil.Results((_good("ok"), bad), str(path), (1, 2))  # records that skipped the reader
    with pytest.raises(PromptfoilError, match=rf"line 2: field '{field}'"):
        held.explanations()
    assert held._repr_html_() is None or "Traceback" not in held._repr_html_()


# -- outputs: one rule ---------------------------------------------------------------------------

def _cache(tmp_path: Path) -> Path:
    """A response cache file with its SQLite sidecars, as a run leaves them."""
    cache = tmp_path / "cache.sqlite"
    promptfoil.ResponseCache(cache)
    for s in ("-wal", "-shm", "-journal"):
        (tmp_path / f"cache.sqlite{s}").write_bytes(b"sidecar")
    return cache


def test_outputs_onto_the_cache_are_refused_even_with_force(tmp_path, capsys):
    cache = _cache(tmp_path)
    before = cache.read_bytes()
    results = _write(tmp_path / "r.jsonl", [_good()])
    default = Path(os.environ["PROMPTFOIL_CACHE_DIR"]) / "responses.sqlite"
    promptfoil.ResponseCache(default)
    for args in (["report", str(results), "--html", str(default), "--force", "--no-content"],
                 ["summary", str(results), "--html", str(default), "--force"],
                 ["compare", str(results), *STANDINS, "--cache", str(cache), "--out", str(cache), "--force",
                  "--no-baseline"],
                 ["explain", "Is it wrong to lie?", *STANDINS, "--cache", str(cache), "--html", str(cache), "--force"],
                 ["explain", "Is it wrong to lie?", *STANDINS, "--cache", str(cache), "--svg",
                  str(tmp_path / "cache.sqlite-wal"), "--force"]):
        code, _, err = cli(capsys, *args)
        _one_line(code, err, "response cache")
    assert cache.read_bytes() == before and (tmp_path / "cache.sqlite-wal").read_bytes() == b"sidecar"


def test_run_out_onto_the_cache_wal_is_refused(tmp_path, capsys):
    cache = _cache(tmp_path)
    prompts = prompts_file(tmp_path / "p.jsonl")
    for sidecar in ("-wal", "-journal", "-shm"):
        (tmp_path / f"cache.sqlite{sidecar}").unlink()  # even a sidecar that is not there yet
        code, _, err = cli(capsys, "run", str(prompts), "--out", f"{cache}{sidecar}", "--cache", str(cache), *STANDINS)
        _one_line(code, err, "response cache")
        assert not (tmp_path / f"cache.sqlite{sidecar}").exists()


def test_experiment_tables_never_write_through_a_link(tmp_path, capsys):
    from promptfoil.uses.experiments.common import write_table

    prompts = prompts_file(tmp_path / "p.jsonl")
    before = prompts.read_text(encoding="utf-8")
    out = tmp_path / "exp"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "properties-bleu.md").symlink_to(prompts)
    with pytest.raises(PromptfoilError, match="symbolic link"):
        write_table(out / "tables" / "properties-bleu", "t", ["a"], [["1"]], root=out)
    (out / "tables" / "properties-bleu.md").unlink()
    os.link(prompts, out / "tables" / "properties-bleu.md")
    with pytest.raises(PromptfoilError, match="hard link"):
        write_table(out / "tables" / "properties-bleu", "t", ["a"], [["1"]], root=out)
    (out / "runs").mkdir()
    os.link(prompts, out / "runs" / "bleu__cell__k1.jsonl")
    code, _, err = cli(capsys, "experiment", "tables", "--prompts", str(prompts), "--out", str(out), *STANDINS,
                       "--scorers", "bleu", "--split-ks", "1", "--no-baseline", "--no-content",
                       "--compare-scorer", "bleu")
    _one_line(code, err, "hard link")
    assert prompts.read_text(encoding="utf-8") == before


def test_two_runs_through_a_symlink_or_hard_link_take_one_lock(tmp_path):
    from promptfoil.runs.results_file import results_lock

    real = _write(tmp_path / "r.jsonl", [_good()])
    (tmp_path / "sym.jsonl").symlink_to(real)
    os.link(real, tmp_path / "hard.jsonl")
    with results_lock(real):
        for other in (tmp_path / "sym.jsonl", tmp_path / "hard.jsonl"):
            with pytest.raises(PromptfoilError, match="already writing"):
                with results_lock(other):
                    pass
    with results_lock(tmp_path / "hard.jsonl"):  # released: free again
        pass


# -- smaller seams: keys, progress lines, red-team judges ------------------------------------------

@pytest.fixture()
def echo_server():
    from openai_fakes import FakeOpenAIServer

    with FakeOpenAIServer() as srv:  # answers "echo: <prompt>" (plumbing, not a model)
        yield srv.base_url


@pytest.mark.parametrize("key", ["a", "EMPTY", "none", "sk-no-key-required"])
def test_a_short_or_placeholder_key_masks_no_words(echo_server, monkeypatch, key):
    from promptfoil.targets.base import targets

    monkeypatch.setenv("OPENAI_API_KEY", key)
    t = targets.create("openai", model="m", base_url=echo_server, retries=0)
    prompt = f"That is generally a fine plan, none EMPTY: {key}"
    [reply] = t.generate([prompt])
    assert reply.text == f"echo: {prompt}" and "***" not in reply.text


def test_a_masked_answer_is_never_cached_nor_served_to_another_key(echo_server, monkeypatch, tmp_path):
    from promptfoil.targets.base import targets
    from promptfoil.targets.query import QueryStage

    cache = promptfoil.ResponseCache(tmp_path / "c.sqlite")
    first, second = "sk-first-Zq8vR2mN5kL1", "sk-second-Hw3tY6uP9aB2"
    prompt = f"say {first} and {second}"  # the server echoes both keys back
    answers = []
    for key in (first, second):
        monkeypatch.setenv("OPENAI_API_KEY", key)
        stage = QueryStage(targets.create("openai", model="m", base_url=echo_server, retries=0), cache)
        reply = stage.original(prompt)
        assert key not in reply.text and "***" in reply.text and stage.original_paid == 1  # asked, not cached
        answers.append(reply.text)
    stored = [row[0] for row in cache._db.execute("SELECT response FROM responses")]
    assert stored == [] and first not in answers[0] and second in answers[0] and second not in answers[1]


def test_progress_lines_escape_control_characters_in_ids(tmp_path, capsys):
    prompts = tmp_path / "p.jsonl"
    evil = ["\x1b]0;owned\x07a", "\x1b[2Jb", "c\u202eevil", "d\nfake line [red]x[/red]"]
    _write(prompts, [{"id": i, "prompt": "Is it wrong to lie to my friend?"} for i in evil])
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(tmp_path / "o.jsonl"), *STANDINS)
    assert code == 0, err
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "fake line" in err and "\u2424fake line" in err  # the newline shown, not obeyed


class _NoScore:
    """A scorer stand-in that can score nothing (a broken judge): every score is None."""

    name = "broken-judge"
    direction = "increase"
    bounds = (0.0, 1.0)
    default_threshold = 0.3

    def score(self, items):
        return [None] * len(items)


def test_a_red_team_question_with_every_candidate_unscored_is_failed(tmp_path, capsys):
    from standins import RecordingChat, SuffixInfiller

    from promptfoil import Explainer, FunctionTarget
    from promptfoil.uses.redteam import policy_system, question_items, redteam
    from promptfoil.uses.summary import summarize

    class Judge:
        def probabilities(self, pairs):
            return [0.3] * len(pairs)

    items = question_items([{"id": "q1", "question": "May I keep a gift card from a client?"},
                            {"id": "q2", "question": "Can I fly business class to a meeting?"}],
                           policy_system("Rule one: be honest with clients."))
    ex = Explainer(target=FunctionTarget(RecordingChat(), chat=True), infiller=SuffixInfiller(), scorer=_NoScore(),
                   cache=False, budget=3, fills_per_mask=2, threshold=0.05, split_k=3)
    out = tmp_path / "f.jsonl"
    summary = redteam(items, ex, out, Judge(), check=False)
    assert summary.failed == 2 and summary.done == 0  # the command exits 1 on this (nothing explained)
    recs = promptfoil.load_results(out)
    assert all("could not score any" in r["error"] for r in recs)
    profile = summarize(list(recs))
    assert profile.failed == 2 and profile.flip_rate.mean is None  # not a 0% flip rate


# -- settings: declared once ------------------------------------------------------------------------

@pytest.mark.parametrize("first,second,field", [
    (["--base-url", "http://127.0.0.1:9/v1"], ["--base-url", "http://127.0.0.1:8/v1"], "endpoint.base_url"),
    ([], ["--completions"], "endpoint.completions"),
    (["--edit", "user:-1"], ["--edit", "user:*"], "edit"),
])
def test_resume_refuses_another_base_url_completions_or_edit_selector(tmp_path, capsys, first, second, field):
    prompts, out = prompts_file(tmp_path / "p.jsonl"), tmp_path / "r.jsonl"
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(out), *STANDINS, "--limit", "1", *first)
    assert code == 0, err
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(out), *STANDINS, *second)
    _one_line(code, err, "settings differ", field)
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(out), *STANDINS, *first)  # the same: resumes
    assert code == 0, err


def test_meaning_weight_inf_is_refused_and_a_set_weight_resumes(tmp_path, capsys):
    prompts, out = prompts_file(tmp_path / "p.jsonl"), tmp_path / "r.jsonl"
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(out), *STANDINS, "--meaning-weight", "inf")
    _one_line(code, err, "meaning_weight must be a finite number")
    assert not out.exists()
    for _ in range(2):  # a weight that is set is recorded as it is, so the same command resumes
        code, _, err = cli(capsys, "run", str(prompts), "--out", str(out), *STANDINS, "--meaning-weight", "0.5")
        assert code == 0, err
    assert promptfoil.load_results(out)[0]["settings"]["meaning_weight"] == 0.5
    with pytest.raises(promptfoil.ConfigError, match="meaning_weight must be a finite number"):
        promptfoil.Search(meaning_weight=float("inf"))


@pytest.mark.parametrize("option", [
    ["--infiller-option", "temperature=nan"], ["--infiller-option", "temperature=-1"],
    ["--infiller-option", "max_tokens=-5"], ["--infiller-option", "seed=nan"],
    ["--scorer-option", "w1=nan"], ["--scorer-option", "w1=abc"], ["--scorer-option", "w1=inf"],
    ["--scorer-option", "w1=[1,2]"], ["--target-option", "temperature=NaN"],
])
def test_component_options_follow_the_number_rules_before_any_call(tmp_path, capsys, option):
    from standins import RecordingFunction

    RecordingFunction.calls = getattr(RecordingFunction, "calls", 0)
    code, _, err = cli(capsys, "explain", "Is it wrong to lie to my friend?", *STANDINS, *option)
    key = option[1].split("=")[0]
    _one_line(code, err, f"{option[0]} {key} must be")
    assert len(err.strip().splitlines()) == 1


def test_the_max_tokens_recorded_is_the_one_the_target_used(tmp_path):
    from promptfoil.runs.records import settings_of

    cfg = promptfoil.Config().with_options(target="openai", target_options={"max_tokens": 12}, max_tokens=64)
    assert settings_of(cfg)["max_tokens"] == 12
    assert settings_of(promptfoil.Config().with_options(max_tokens=32))["max_tokens"] == 32
