"""Edits by text: protected and edit-only texts resolve to character spans, and the search
edits only where it is asked to, in a plain prompt and inside the turns of a conversation."""

from __future__ import annotations

import pytest
from standins import standin_explainer, standin_chat_explainer

from promptfoil import ConfigError
from promptfoil.prompt.spans import occurrences, outside, protected_spans

CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def test_text_spans():
    p = "Say it in one sentence, then in one sentence again."
    assert occurrences(p, ["in one sentence"]) == [(7, 22), (29, 44)]
    assert outside(p, [(7, 22), (10, 30)]) == [(0, 7), (30, len(p))]
    assert protected_spans(p, [(0, 3)], "then") == [(0, 3), (24, 28)]
    with pytest.raises(ConfigError, match="does not occur"):
        occurrences(p, ["in two sentences"])
    with pytest.raises(ConfigError, match="non-empty"):
        occurrences(p, [""])


def test_protect_text_and_edit_only_text_keep_edits_where_asked():
    p = "Tell me in one sentence: is it wrong to lie to my friend in one sentence?"
    ex = standin_explainer(threshold=1.0, budget=20).explain(p, protect_text=["in one sentence"])
    protected = occurrences(p, ["in one sentence"])
    edits = [e for t in ex.trace for e in t.edits]
    assert edits and not any(s < e.end and e.start < t for e in edits for s, t in protected)
    only = standin_explainer(threshold=1.0, budget=20).explain(p, edit_only_text="lie to my friend")
    (s, t), = occurrences(p, ["lie to my friend"])
    assert all(s <= e.start and e.end <= t for tr in only.trace for e in tr.edits)
    assert {e.old for tr in only.trace for e in tr.edits} <= {"lie", "to", "my", "friend"}


def test_protect_text_and_edit_only_text_inside_a_turn():
    ex = standin_chat_explainer(budget=20, min_fluency=None).explain(CHAT, edit=["user:*"], protect_text="special pot")
    assert ex.trace
    s = CHAT[3]["content"].index("special pot")
    stop = s + len("special pot")
    turns = {e.turn for t in ex.trace for e in t.edits}
    assert turns == {1, 3}  # both user turns were edited, around the protected words
    for t in ex.trace:
        for e in t.edits:
            assert e.turn != 3 or e.turn_start + len(e.old) <= s or e.turn_start >= stop
    only = standin_chat_explainer(budget=20, min_fluency=None).explain(CHAT, edit=["user:*"], edit_only_text="bake bread")
    assert only.trace
    for t in only.trace:
        for e in t.edits:
            s = CHAT[1]["content"].index("bake bread")
            assert e.turn == 1 and s <= e.turn_start and e.turn_start + len(e.old) <= s + len("bake bread")
    with pytest.raises(ConfigError, match="does not occur in the turns open to edits"):
        standin_chat_explainer().explain(CHAT, protect_text="cooking assistant")  # in the system prompt only
