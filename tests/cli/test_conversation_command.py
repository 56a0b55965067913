"""The conversation commands end to end with stand-ins (plumbing): every bad input exits with
status 2 and one line; good input gives JSON that validates, results files and reports."""

from __future__ import annotations

import io
import json
from importlib import resources

import pytest

from promptfoil.cli import main

STANDINS = ["--target", "standins:chat_target", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer", "--no-cache", "--budget", "4"]
CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(p)


BAD = [
    ("ends-with-assistant", CHAT[:3], [], "must end with a user turn"),
    ("empty-turn", CHAT[:3] + [{"role": "user", "content": ""}], [], "message 3 (user) is empty"),
    ("unknown-role", CHAT[:1] + [{"role": "bot", "content": "hi"}, CHAT[3]], [], "unknown role 'bot'"),
    ("no-match", CHAT[:2], ["--edit", "assistant:*"], "matches no turn"),
    ("only-system", CHAT, ["--edit", "0"], "matches only the system prompt"),
    ("system-role", CHAT, ["--edit", "system:*"], "matches only the system prompt"),
    ("no-word", CHAT[:3] + [{"role": "user", "content": "?!"}], [], "has no editable word"),
    ("bad-selector", CHAT, ["--edit", "latest"], "unknown edit selector"),
    ("not-a-list", {"role": "user", "content": "hi"}, [], "a conversation is a list"),
    ("protect-pair", CHAT, ["--protect", "0:4"], "(turn, start, end)"),
]


@pytest.mark.parametrize("name, conv, extra, needle", BAD, ids=[b[0] for b in BAD])
def test_bad_conversations_exit_2_with_one_line(tmp_path, capsys, name, conv, extra, needle):
    path = write(tmp_path, f"{name}.json", conv)
    code, out, err = cli(capsys, "explain", "--conversation", path, *extra, *STANDINS)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and needle in err


@pytest.mark.parametrize("args, needle", [
    (["--conversation", "{missing}"], "cannot read conversation file"),
    (["--conversation", "{malformed}"], "not valid JSON"),
    (["--conversation", "{good}", "Why?"], "not both"),
    (["Is it fine to skip breakfast?", "--edit", "user:-1"], "use it with --conversation"),
    ([], "give a PROMPT"),
    (["Is it fine to skip breakfast?", "--protect", "1:0:3"], "(turn, start, end) is for conversations"),
])
def test_other_bad_explain_input_exits_2_with_one_line(tmp_path, capsys, args, needle):
    paths = {"missing": str(tmp_path / "nope.json"), "malformed": write(tmp_path, "m.json", '[{"role": "user",'),
             "good": write(tmp_path, "g.json", CHAT)}
    code, out, err = cli(capsys, "explain", *[a.format(**paths) for a in args], *STANDINS)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert needle in err


def test_explain_conversation_json_validates(tmp_path, capsys, monkeypatch):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resources.files("promptfoil").joinpath("schema/explanation.json").read_text())
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"messages": CHAT})))
    code, out, err = cli(capsys, "explain", "--conversation", "-", "--edit", "user:*", "--json", *STANDINS)
    assert code == 0, err
    d = json.loads(out)
    jsonschema.validate(d, schema)
    assert d["conversation"] == CHAT and d["edited_turns"] == [1, 3]
    assert all(e["turn"] in (1, 3) for e in d["edits"])


def test_terminal_shows_turns(tmp_path, capsys):
    path = write(tmp_path, "c.json", CHAT)
    code, out, err = cli(capsys, "explain", "--conversation", path, "--threshold", "0.05", *STANDINS)
    assert code == 0, err
    assert "conversation" in out and "contrast conversation" in out
    assert "system" in out and "(fixed)" in out and "other turn(s) unchanged" in out


def test_run_rows_with_messages_and_reports(tmp_path, capsys):
    rows = [{"id": "a", "messages": CHAT, "topic": "bread"},
            {"id": "b", "messages": CHAT[:2], "edit": "user:-1"},
            {"id": "c", "messages": CHAT, "edit": ["assistant:*"]}]
    src = write(tmp_path, "p.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    out_path = str(tmp_path / "r.jsonl")
    code, out, err = cli(capsys, "run", src, "--out", out_path, "--edit", "user:*", *STANDINS)
    assert code == 0, err
    recs = {r["id"]: r for r in map(json.loads, open(out_path, encoding="utf-8"))}
    assert recs["a"]["edited_turns"] == [1, 3] and recs["a"]["topic"] == "bread"  # the run's --edit
    assert recs["b"]["edited_turns"] == [1] and recs["c"]["edited_turns"] == [2]  # the row's own
    code, out, err = cli(capsys, "report", out_path, "--no-content")
    assert code == 0 and out.count("conversation") >= 3
    html = tmp_path / "r.html"
    code, out, err = cli(capsys, "report", out_path, "--html", str(html), "--no-content")
    assert code == 0
    page = html.read_text(encoding="utf-8")
    assert page.count('class="turns"') == 3 and "<details class=\"turn\">" in page


def test_run_rejects_bad_messages_rows(tmp_path, capsys):
    src = write(tmp_path, "p.jsonl", json.dumps({"id": "a", "messages": CHAT[:3]}) + "\n")
    code, out, err = cli(capsys, "run", src, "--out", str(tmp_path / "r.jsonl"), *STANDINS)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "must end with a user turn" in err
