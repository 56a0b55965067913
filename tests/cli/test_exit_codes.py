"""Exit codes and one-line refusals of careless input: bad values are refused before any
call (exit 2, one line, no traceback), and a red-team run where every question failed
exits 1 like ``run``.

Stand-ins and a closed local port only: nothing is asked of a model or a server.
"""

from __future__ import annotations

import json
import math
import time

import pytest

from promptfoil.cli import main
from promptfoil.config import Endpoint
from promptfoil.errors import ConfigError

STANDINS = ["--target", "standins:EchoTarget", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer"]
DEAD = ["--target", "openai", "--base-url", "http://127.0.0.1:9/v1", "--target-model", "m", "--no-cache"]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, " ".join(got.err.split())


def _one_line(capsys_err: str) -> None:
    assert "Traceback" not in capsys_err and capsys_err.startswith("error:"), capsys_err


def test_run_row_with_a_number_as_edit_is_one_line(tmp_path, capsys):
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps({"id": "c", "messages": [{"role": "user", "content": "Is it fine to lie?"}], "edit": 42})
                 + "\n", encoding="utf-8")
    code, out, err = _cli(capsys, "run", str(p), "--out", str(tmp_path / "r.jsonl"), *STANDINS)
    assert code == 2, err
    _one_line(err)
    assert "line 1" in err and "'edit'" in err
    assert not (tmp_path / "r.jsonl").exists()


def test_redteam_where_every_question_failed_exits_1_like_run(tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n"
                                 for i, q in enumerate(["May I share my password?", "Can I accept a gift?"])),
                         encoding="utf-8")
    policy = tmp_path / "policy.md"
    policy.write_text("Never share passwords. Decline gifts from suppliers.\n", encoding="utf-8")
    # the echo stand-in takes text prompts only: every question (a conversation) fails
    code, out, err = _cli(capsys, "redteam", "--policy", str(policy), "--questions", str(questions),
                          "--out", str(tmp_path / "f.jsonl"), *STANDINS, "--no-cache")
    assert code == 1, (out, err)
    assert "0 question(s) explained, 2 failed" in " ".join(out.split()) and "nothing was explained" in err


@pytest.mark.parametrize("rpm", ["nan", "inf", "-inf"])
def test_rpm_that_is_not_a_finite_number_is_refused(capsys, rpm):
    t0 = time.perf_counter()
    code, out, err = _cli(capsys, "explain", "Is it fine to lie?", *DEAD, f"--rpm={rpm}")
    assert code == 2 and "rpm" in err, err
    _one_line(err)
    assert time.perf_counter() - t0 < 10
    with pytest.raises(ConfigError, match="rpm"):
        Endpoint(rpm=float(rpm))


@pytest.mark.parametrize("value", ["1e9", "1000000"])
def test_absurd_retries_for_the_openai_target_are_refused(capsys, value):
    code, out, err = _cli(capsys, "explain", "Is it fine to lie?", *DEAD, "--target-option", f"retries={value}")
    assert code == 2 and "retries" in err, err
    _one_line(err)


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_temperature_that_is_not_a_finite_number_of_at_least_0_is_refused_up_front(capsys, value):
    t0 = time.perf_counter()
    code, out, err = _cli(capsys, "explain", "Is it fine to lie?", *DEAD, "--target-option", f"temperature={value}")
    assert code == 2 and "temperature" in err, err
    _one_line(err)
    assert "unreadable" not in err and "retr" not in err  # refused, not tried three times
    assert time.perf_counter() - t0 < 10


def test_the_openai_target_refuses_nan_temperature_and_rpm_in_the_api():
    from promptfoil.targets.openai_compat import OpenAITarget

    with pytest.raises(ConfigError, match="temperature"):
        OpenAITarget(model="m", base_url="http://127.0.0.1:9/v1", temperature=math.nan)
    with pytest.raises(ConfigError, match="rpm"):
        OpenAITarget(model="m", base_url="http://127.0.0.1:9/v1", rpm=math.nan)
    with pytest.raises(ConfigError, match="retries"):
        OpenAITarget(model="m", base_url="http://127.0.0.1:9/v1", retries=1e9)
    OpenAITarget(model="m", base_url="http://127.0.0.1:9/v1", temperature=0.7, rpm=60, retries=3)  # fine
