"""The ``maxims`` scorer: a rubric ships for every sub-maxim, labels are read leniently, the
score is the drop in adherence averaged over asks with failures recorded, its self-check and
an original it cannot label, the reply judged in its (edited) conversation -- all on a
scripted chat backend -- and over a real llama.cpp server it never crashes (slow)."""

from __future__ import annotations

import pytest
from conftest import requires_models
from standins import ScriptedChat

from promptfoil.backends.chat import ChatReply, ChatRequest
from promptfoil.errors import ConfigError
from promptfoil.prompt.conversation import Conversation
from promptfoil.scorers.base import ScoreItem, ScorerError
from promptfoil.scorers.maxims import MAXIMS, MaximsScorer, parse_label, rubric_prompt, rubrics, select

CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def test_rubrics_ship_for_every_maxim_with_examples_of_both_labels():
    table = rubrics()
    assert {r.maxim for r in table.values()} == set(MAXIMS)
    for r in table.values():
        assert {label for label, _, _ in r.examples} == {"yes", "no"}
        prompt = rubric_prompt(r, "CTX-1", "RESP-1")
        assert r.requirement in prompt and "CTX-1" in prompt and '"label"' in prompt
    assert [r.name for r in select("relevance")] == ["helpfulness", "topicality"]
    assert len(select("all")) == len(table)
    with pytest.raises(ConfigError, match="unknown sub-maxim"):
        select("politeness")


def test_parse_label_is_lenient():
    assert parse_label('```json\n{"label": "no", "explanation": "off topic"}\n```') is False
    assert parse_label("Sure. {'label': 'yes', 'explanation': 'fine',}") is True
    assert parse_label('{"label": "yes", "explanation": "unterminated') is True
    assert parse_label("Yes") is True
    assert parse_label("The weather is nice today and I like it a lot, thanks") is None


def test_maxims_score_is_drop_in_adherence_averaged_and_failures_recorded():
    """Original response always meets the rubric; 'bad' never; 'mixed' half the time;
    'junk' never gives readable JSON (it is retried, then recorded)."""

    def reply(r: ChatRequest) -> ChatReply:
        resp = r.messages[-1][1].split("Response: assistant: ")[-1].split("\n")[0]
        if resp == "junk":
            return ChatReply("no json here, sorry, I am a small model that rambles on")
        if resp == "bad":
            return ChatReply('{"label": "no", "explanation": "x"}')
        if resp == "mixed":
            return ChatReply('{"label": "%s"}' % ("yes" if r.seed % 2 == 0 else "no"))
        return ChatReply('{"label": "yes", "explanation": "x"}')

    chat = ScriptedChat(reply)
    m = MaximsScorer(chat, submaxims="helpfulness", n=2, retries=1)
    items = [ScoreItem("x", "good", "x2", t) for t in ("bad", "mixed", "good", "junk")]
    assert m.score(items) == [1.0, 0.5, 0.0, None]
    assert [f.response for f in m.failures] == ["junk"]
    junk_asks = [r for r in chat.requests if "Response: assistant: junk" in r.messages[-1][1]]
    assert len(junk_asks) == 4  # n=2 asks, each retried once
    before = len(chat.requests)
    m.score(items[:1])
    assert len(chat.requests) == before  # judged turns are remembered


def test_maxims_self_check_and_an_original_it_cannot_label():
    from promptfoil.backends.chat import ChatReply
    from promptfoil.scorers.maxims import MaximsScorer

    def reply(r):
        resp = r.messages[-1][1].split("Response: assistant: ")[-1].split("\n")[0]
        return ChatReply("I am not sure what you mean" if resp == "y0" else '{"label": "yes"}')

    m = MaximsScorer(ScriptedChat(reply), submaxims="helpfulness", n=1, retries=0)
    assert "no readable label" in m.self_check("x", "y0") and "helpfulness" in m.self_check("x", "y0")
    assert m.self_check("x", "fine") is None
    with pytest.raises(ScorerError, match="original response"):
        m.score([ScoreItem("x", "y0", "x2", "fine")])
    assert m.score([ScoreItem("x", "fine", "x2", "y0")]) == [None]  # a candidate it cannot label


def test_maxims_self_check_labels_the_reply_in_its_conversation():
    def reply(r: ChatRequest) -> ChatReply:
        return ChatReply('{"label": "yes"}')

    chat = ScriptedChat(reply)
    m = MaximsScorer(chat, "helpfulness", n=1, retries=0)
    conv = Conversation.of(CHAT)
    assert m.self_check("rendered text", "Any pot with a lid.", conv) is None
    shown = chat.requests[0].messages[-1][1]
    assert "Context: user: I want to bake bread this weekend.\nassistant: A simple" in shown
    assert "rendered text" not in shown


def test_maxims_judges_the_reply_in_its_edited_conversation():
    chat = ScriptedChat(lambda r: ChatReply('{"label": "yes", "explanation": "ok"}'))
    c0 = Conversation.of([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                          {"role": "user", "content": "Any tips?"}])
    cc = c0.with_content(1, "Go away.")
    MaximsScorer(chat, "helpfulness", n=1).score([ScoreItem("x0", "y0", "xc", "yc", c0, cc)])
    shown = [r.messages[-1][1] for r in chat.requests]
    assert any("Context: user: Hi\nassistant: Hello!\nuser: Any tips?\nResponse: assistant: y0" in t for t in shown)
    assert any("Context: user: Hi\nassistant: Go away.\nuser: Any tips?\nResponse: assistant: yc" in t for t in shown)


@pytest.mark.slow
@requires_models
def test_maxims_judge_over_the_server_never_crashes(llama_server):
    from promptfoil.backends.chat_factory import chat_backend
    from promptfoil.scorers.base import ScoreItem
    from promptfoil.scorers.maxims import MaximsScorer

    base, _ = llama_server
    from promptfoil.scorers.base import ScorerError

    m = MaximsScorer(chat_backend(None, base), submaxims="helpfulness", n=1, retries=1, max_tokens=40)
    item = ScoreItem("How do I boil an egg?", "Boil it for eight minutes.", "How do I boil an egg?", "Bananas.")
    try:
        [score] = m.score([item])
    except ScorerError as exc:  # it could not label the original: a clear failure, not a 0.0
        assert "original response" in str(exc)
    else:  # a drop in adherence, or None when it could not label the candidate
        assert score is None or -1.0 <= score <= 1.0
    # whatever the small judge wrote, each judged turn got a label or a recorded failure
    assert len(m.failures) + sum(v is not None for v in m._memo.values()) == 2
