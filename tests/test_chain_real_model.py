"""The explain → run → report → gate chain on the embedded model (SmolLM2 target, ``lm``
infiller, MiniLM ``semantic`` scorer): on the unchanged model every found contrast holds,
prompts and conversations alike, also sampled at temperature 0.7 with --repeats 3; under another
system prompt the gate sees the change and searches the new model for the new contrast."""

from __future__ import annotations

import json

import pytest

from conftest import requires_models
from promptfoil.cli import main
from promptfoil.runs import read_results

pytestmark = [pytest.mark.slow, requires_models]

ROWS = [
    {"id": "p1", "prompt": "Is it wrong to lie to your friend about her boyfriend?"},
    {"id": "p2", "prompt": "Should I tell my boss that a coworker is stealing?"},
    {"id": "c1", "messages": [
        {"role": "system", "content": "You are a careful advice assistant. Answer in two sentences."},
        {"role": "user", "content": "My sister borrowed money and never paid me back."},
        {"role": "assistant", "content": "That sounds frustrating. Have you talked to her about it?"},
        {"role": "user", "content": "Should I ask her to pay me back now?"}]},
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("chain")
    prompts = d / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = d / "results.jsonl"
    assert main(["run", str(prompts), "--out", str(out), "--budget", "8", "--threshold", "0.3", "--max-tokens", "48"]) == 0
    return out


def test_report_reads_the_run(results, tmp_path, capsys):
    assert main(["report", str(results)]) == 0
    assert "contrasts found" in capsys.readouterr().out
    assert main(["report", str(results), "--html", str(tmp_path / "r.html")]) == 0


def test_gate_holds_on_the_unchanged_model(results, capsys):
    found = [r for r in read_results(results) if r.get("found")]
    assert found, "the run found no contrast to check"
    code = main(["gate", str(results), "--no-cache", "--json"])
    report = json.loads(capsys.readouterr().out)
    checked = [i for i in report["items"] if i["verdict"] != "skipped"]
    assert code == 0 and checked and all(i["verdict"] == "holds" for i in checked), report["items"]
    assert {i["id"] for i in checked} == {r["id"] for r in found}
    assert any(r.get("conversation") for r in found), "the conversation found no contrast: nothing to replay"


def plain_results(results, folder):
    """The plain-prompt records only (the conversation carries its own system prompt)."""
    out = folder / "plain.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in read_results(results) if not r.get("conversation")))
    return out


def test_gate_sees_another_system_prompt_and_explains_it(results, tmp_path, capsys):
    md, html, junit = tmp_path / "gate.md", tmp_path / "gate.html", tmp_path / "gate.xml"
    code = main(["gate", str(plain_results(results, tmp_path)), "--no-cache", "--json", "--target-option",
                 "system=Réponds uniquement en français.", "--explain", "1", "--explain-budget", "4",
                 "--markdown", str(md), "--html", str(html), "--junit", str(junit)])
    report = json.loads(capsys.readouterr().out)
    broken = [i for i in report["items"] if i["verdict"] in ("drifted", "lost")]
    assert code == 1 and broken, report["items"]
    [explained] = [i for i in broken if i["explanation"] is not None]  # the worst one, searched again
    ex = explained["explanation"]
    assert ex["error"] is None and ex["calls"] <= 4
    assert (ex["found"] and ex["contrast_prompt"] != explained["prompt"]) or ex["boundary"].startswith(
        "no contrast within budget"), ex
    text = md.read_text(encoding="utf-8")  # old and new contrast as diffs of the original prompt
    assert "❌ FAILED" in text and f"- {explained['prompt']}" in text
    assert f"+ {ex['contrast_prompt']}" in text if ex["found"] else "no contrast within budget" in text
    if explained["contrast_prompt"] is not None:
        assert f"+ {explained['contrast_prompt']}" in text
    page = html.read_text(encoding="utf-8")
    assert "new contrast (search on the new model)" in page
    assert "re-explained" in junit.read_text(encoding="utf-8")


def test_gate_refuses_a_system_option_the_conversation_would_drop(results, capsys):
    code = main(["gate", str(results), "--no-cache", "--target-option", "system=Be curt."])
    err = capsys.readouterr().err
    assert code == 2 and "carries its own system prompt" in err and len(err.strip().splitlines()) == 1


def test_gate_with_repeats_on_a_sampled_unchanged_model_gives_no_false_alarm(results, tmp_path, capsys):
    # the plain prompts only, to keep the slow suite short (each item is decided on its own samples)
    code = main(["gate", str(plain_results(results, tmp_path)), "--no-cache", "--json", "--target-option",
                 "temperature=0.7", "--repeats", "3", "--explain", "0"])
    report = json.loads(capsys.readouterr().out)
    checked = [i for i in report["items"] if i["verdict"] != "skipped"]
    assert code == 0 and all(i["verdict"] == "holds" for i in checked), report["items"]
    assert all(len(i["samples"]) == 3 for i in checked)
    assert len({s["new_response"] for i in checked for s in i["samples"]}) > len(checked)  # it did sample
