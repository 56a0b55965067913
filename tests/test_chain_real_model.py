"""The explain → run → report → gate chain on the embedded model (SmolLM2 target, ``lm``
infiller, MiniLM ``semantic`` scorer): on the unchanged model every found contrast holds,
prompts and conversations alike; under another system prompt the gate sees the change."""

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


def test_gate_sees_another_system_prompt(results, capsys):
    code = main(["gate", str(results), "--no-cache", "--json", "--target-option",
                 "system=Réponds uniquement en français."])
    report = json.loads(capsys.readouterr().out)
    plain = [i for i in report["items"] if i["id"].startswith("p") and i["verdict"] != "skipped"]
    assert code == 1 and any(i["verdict"] in ("drifted", "lost") for i in plain), report["items"]
