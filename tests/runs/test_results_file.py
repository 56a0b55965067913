"""A run's results file: ``--out`` takes only a results file (or a new one), never the
prompts file or a folder, and nothing is written before that is checked; a torn first record
is repaired; one run at a time appends to a file (a second names the holder, or waits with
``--wait``); every line is strict JSON; and a record whose fields have the wrong types is named
by its line and field when it is read back.

Stand-ins only (tests/standins.py): what is tested is the bookkeeping, not a model."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.cli import build_parser, main
from promptfoil.cli.options import config_from_args
from promptfoil.errors import ConfigError
from promptfoil.runs import LocalEngine, iter_results, read_items, run
from results_helpers import PROMPT, STANDINS, cli, explainer, prompts_file


class _Scorer(LostWordsScorer):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def score(self, items):
        return self.fn(items)


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
            # the same experiment as the CLI run below (a results file holds one)
            args = build_parser().parse_args(["run", str(p), "--out", str(out), *STANDINS, "--budget", "2"])
            run(read_items(p), LocalEngine(promptfoil.Explainer(config_from_args(args))), out, lock=False)

    t = threading.Thread(target=first_run)
    t.start()
    held.wait(5)
    threading.Timer(0.5, release.set).start()
    code, out_text, err = cli(capsys, "run", str(p), "--out", str(out), *STANDINS, "--budget", "2", "--wait")
    t.join()
    assert code == 0 and "waiting for process" in err
    assert "0 explained, 0 failed, 2 already done" in " ".join(out_text.split())
    assert sorted(r["id"] for _, r in iter_results(out)) == ["0", "1"]  # every id once


def test_results_lines_are_strict_json(tmp_path):
    res = tmp_path / "r.jsonl"
    ex = explainer(scorer=_Scorer(lambda it: [float("inf")] * len(it)))
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(ex), res)
    for line in res.read_text(encoding="utf-8").splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in results"))


@pytest.mark.parametrize("field, value", [("seconds", "abc"), ("edit_distance", "x"), ("score", "hi"),
                                          ("calls", [1, 2]), ("calls", {"target": None}), ("seconds", None),
                                          ("found", "yes")])
@pytest.mark.parametrize("command", ["metrics", "report"])
def test_results_with_wrong_field_types_name_line_and_field(tmp_path, capsys, field, value, command):
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    lines = res.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[1])
    if rec.get("contrast_prompt") is None:  # a found record needs its contrast; only ``field`` is wrong
        rec.update(contrast_prompt=rec["prompt"], contrast_response=rec["response"])
    rec.update({field: value, "found": True} if field != "found" else {field: value})
    res.write_text(lines[0] + "\n" + json.dumps(rec) + "\n", encoding="utf-8")
    extra = ["--json"] if command == "metrics" else ["--html", str(tmp_path / "r.html")]
    code, _, err = cli(capsys, command, str(res), "--no-content", *extra)
    assert code == 2 and "line 2" in err and f"'{field}" in err and "Traceback" not in err
