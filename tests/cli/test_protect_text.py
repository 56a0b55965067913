"""``--protect-text`` and ``--edit-only-text`` on the command line: the offsets are computed
from the texts, in a plain prompt and in a conversation's turns, and a text that does not
occur is one clear line."""

from __future__ import annotations

import json

from promptfoil.cli import main

CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def test_cli_protect_text_computes_the_offsets(capsys):
    p = "Tell me in one sentence: is it wrong to lie?"
    code = main(["explain", p, "--target", "quality_standins:recording_target", "--infiller",
                 "standins:SuffixInfiller", "--scorer", "standins:LostWordsScorer", "--threshold", "1.0",
                 "--budget", "8", "--no-cache", "--json", "--protect-text", "in one sentence",
                 "--edit-only-text", "Tell me in one sentence: is it wrong"])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    olds = {e["old"] for t in d["trace"] for e in t["edits"]}
    assert olds and olds <= {"Tell", "me", "is", "it", "wrong"}
    assert main(["explain", p, "--target", "quality_standins:recording_target", "--protect-text", "nowhere"]) == 2


def test_cli_protect_text_in_a_conversation(tmp_path, capsys):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(CHAT), encoding="utf-8")
    standins = ["--target", "standins:chat_target", "--infiller", "standins:SuffixInfiller",
                "--scorer", "standins:LostWordsScorer", "--no-cache", "--budget", "6", "--threshold", "1.0"]
    code = main(["explain", "--conversation", str(path), "--edit-only-text", "special", "--json", *standins])
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert d["trace"] and all(e["old"] == "special" for t in d["trace"] for e in t["edits"])
    code = main(["explain", "--conversation", str(path), "--protect-text", "nowhere", *standins])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not occur" in err
