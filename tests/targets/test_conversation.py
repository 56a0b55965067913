"""A conversation sent to a target: the fixed turns reach it verbatim, in order and with their
roles, the original first, and a function of text prompts cannot take a conversation.
Stand-ins only: what the target is sent."""

from __future__ import annotations

import pytest
from standins import LostWordsScorer, RecordingChat, SuffixInfiller

import promptfoil
from promptfoil import ConfigError, FunctionTarget

SYSTEM = {"role": "system", "content": "You are a helpful cooking assistant. Keep answers short."}
CHAT = [
    SYSTEM,
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def explain(conv, fn=None, **kw):
    fn = fn or RecordingChat()
    kw.setdefault("budget", 6)
    return promptfoil.explain(conv, target=FunctionTarget(fn, chat=True), infiller=SuffixInfiller(),
                              scorer=LostWordsScorer(), cache=False, fills_per_mask=2, **kw), fn


def test_explains_a_conversation_and_sends_fixed_turns_verbatim():
    ex, fn = explain(CHAT, edit=["user:*"], threshold=0.9)
    assert ex.conversation == tuple(CHAT) and ex.edited_turns == (1, 3)
    assert fn.conversations[0] == CHAT  # the original first, unchanged
    for sent in fn.conversations:
        assert len(sent) == 4 and sent[0] == SYSTEM and sent[2] == CHAT[2]
        assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert len(fn.conversations) == 1 + ex.calls.target
    assert (ex.contrast_conversation is not None) == ex.found
    for e in ex.edits if ex.found else ex.best_try.edits:
        assert e.turn in (1, 3)
        content = CHAT[e.turn]["content"]
        assert content[e.turn_start : e.turn_start + len(e.old)] == e.old
        assert ex.prompt[e.start : e.end] == e.old
    for t in ex.trace:
        assert all(e.turn in (1, 3) for e in t.edits)


def test_a_function_of_strings_cannot_take_a_conversation():
    with pytest.raises(ConfigError, match="takes text prompts only.*chat=True"):
        promptfoil.explain(CHAT, target=lambda ps: ps, infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                           budget=2, cache=False)
