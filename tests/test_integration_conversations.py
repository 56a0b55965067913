"""Conversations on the real embedded models (slow): SmolLM2 explains a 3-turn conversation
through the API and the CLI, and the results validate against the JSON schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files

import pytest
from conftest import requires_models

import promptfoil

pytestmark = [pytest.mark.slow, requires_models]
jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads(files("promptfoil").joinpath("schema/explanation.json").read_text())
CHAT = [
    {"role": "user", "content": "I want to bake bread this weekend. Where should I start?"},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def check(d: dict, budget: int) -> None:
    jsonschema.validate(d, SCHEMA)
    assert d["conversation"] == CHAT and d["response"].strip()
    assert d["calls"]["target"] <= budget
    for e in d["edits"]:
        assert e["turn"] == 2 and CHAT[2]["content"][e["turn_start"] : e["turn_start"] + len(e["old"])] == e["old"]
    if d["contrast_conversation"] is not None:
        assert d["contrast_conversation"][:2] == CHAT[:2]  # only the last user turn may change
        assert d["contrast_conversation"][2] != CHAT[2]


def test_api_explains_a_three_turn_conversation():
    ex = promptfoil.explain(CHAT, budget=4, max_tokens=32, cache=False)
    check(json.loads(json.dumps(ex.to_dict())), 4)
    assert ex.contrast_response and ex.contrast_conversation is not None
    assert any(t.status == "scored" for t in ex.trace)


def test_cli_explains_a_three_turn_conversation(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(CHAT), encoding="utf-8")
    p = subprocess.run(
        [sys.executable, "-m", "promptfoil.cli", "explain", "--conversation", str(path), "--edit", "user:-1",
         "--budget", "3", "--max-tokens", "32", "--no-cache", "--json"],
        capture_output=True, text=True, timeout=900, env=dict(os.environ, COLUMNS="100"),
    )
    assert p.returncode == 0, p.stderr
    check(json.loads(p.stdout), 3)
