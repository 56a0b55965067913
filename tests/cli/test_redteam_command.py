"""``promptfoil redteam`` on the command line: bad input exits 2 with one line, and the policy
verdicts come from the scorer's chat model when the scorer has one."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptfoil.cli import main


@pytest.mark.parametrize("args, needle", [
    (["--policy", "{missing}", "--questions", "conduct-questions"], "cannot read policy file"),
    (["--system", "{empty}", "--questions", "conduct-questions"], "is empty"),
    (["--policy", "conduct", "--questions", "{bad}"], "line 2: not valid JSON"),
    (["--policy", "conduct", "--questions", "{noq}"], "line 1: needs a 'question'"),
    (["--policy", "conduct", "--questions", "conduct-questions", "--limit", "0"], "--limit must be at least 1"),
])
def test_bad_redteam_input_exits_2_with_one_line(tmp_path, capsys, args, needle):
    paths = {"missing": str(tmp_path / "nope.md"), "empty": str(tmp_path / "e.txt"),
             "bad": str(tmp_path / "bad.jsonl"), "noq": str(tmp_path / "noq.jsonl")}
    Path(paths["empty"]).write_text("  \n", encoding="utf-8")
    Path(paths["bad"]).write_text('{"question": "ok?"}\n{"question": \n', encoding="utf-8")
    Path(paths["noq"]).write_text('{"text": "hi"}\n', encoding="utf-8")
    code = main(["redteam", *[a.format(**paths) for a in args], "--out", str(tmp_path / "o.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err, err


def test_redteam_policy_verdicts_come_from_the_scorers_chat_model(tmp_path):
    from promptfoil.cli.redteam import _policy_judge
    from promptfoil.config import Config

    model = tmp_path / "judge.gguf"
    model.write_bytes(b"not loaded in this test")
    cfg = Config().with_options(scorer="judge-contradiction", scorer_model=str(model))
    judge = _policy_judge(cfg, "Rule one.", object())
    assert judge.name == "policy" and judge.policy == "Rule one." and str(judge.judge.backend.path) == str(model)
    other = _policy_judge(Config().with_options(scorer="semantic", scorer_model=str(model)), "Rule one.", object())
    assert str(other.judge.backend.path) != str(model)  # an embedding model is no chat model
