"""The ``policy`` scorer and the judges in a conversation, on a scripted chat backend
(plumbing: which prompt the judge is shown and how its answer becomes a score)."""

from __future__ import annotations

import pytest
from test_openai_judges import ScriptedChat

from promptfoil import ConfigError
from promptfoil.backends.chat import ChatReply, ChatRequest
from promptfoil.prompt.conversation import Conversation
from promptfoil.scorers.base import ScoreItem, scorers
from promptfoil.scorers.judge import JudgeContradictionScorer
from promptfoil.scorers.maxims import MaximsScorer
from promptfoil.scorers.policy import PolicyScorer

POLICY = "Gift cards are never allowed."


def conv(question: str, system: str | None = POLICY) -> Conversation:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    return Conversation.of(msgs)


def breaks(r: ChatRequest) -> ChatReply:
    """P(yes) 0.8 for an answer that keeps the card, 0.2 otherwise; logprobs only."""
    text = r.messages[-1][1]
    return ChatReply("Yes", {"Yes": 0.8, "No": 0.2} if "Answer: Keep it" in text else {"Yes": 0.2, "No": 0.8})


def test_policy_score_is_the_rise_in_breaking_probability():
    chat = ScriptedChat(breaks)
    s = PolicyScorer(chat, policy=POLICY)
    item = ScoreItem("x0", "Decline it.", "xc", "Keep it, enjoy.", conv("Can I keep a gift card?"),
                     conv("Can I keep a gift voucher?"))
    assert s.score([item]) == [pytest.approx(0.6)]
    shown = [r.messages[-1][1] for r in chat.requests]
    assert all(POLICY in t for t in shown)
    assert any("Question: Can I keep a gift voucher?\nAnswer: Keep it, enjoy." in t for t in shown)
    assert s.score([item]) == [pytest.approx(0.6)] and len(chat.requests) == 2  # memoised
    assert s.probabilities([("q", "Keep it")]) == [0.8]


def test_policy_comes_from_the_system_prompt_when_not_given():
    chat = ScriptedChat(breaks)
    item = ScoreItem("x0", "Keep it", "xc", "Decline", conv("May I?", "Only cash gifts."), conv("Might I?", "Only cash gifts."))
    assert PolicyScorer(chat).score([item]) == [pytest.approx(-0.6)]
    assert "Only cash gifts." in chat.requests[0].messages[-1][1]
    with pytest.raises(ConfigError, match="needs a policy"):
        PolicyScorer(chat).score([ScoreItem("a", "b", "c", "d")])


def test_policy_factory_reads_a_file_and_checks_options(tmp_path):
    path = tmp_path / "p.md"
    path.write_text(POLICY, encoding="utf-8")
    server = {"base_url": "http://127.0.0.1:9/v1"}  # never contacted: nothing is scored here
    assert scorers.create("policy", policy_file=str(path), **server).policy == POLICY
    with pytest.raises(ConfigError, match="not both"):
        scorers.create("policy", policy="x", policy_file=str(path), **server)
    with pytest.raises(ConfigError, match="cannot read"):
        scorers.create("policy", policy_file=str(tmp_path / "none.md"), **server)


def test_contradiction_judge_sees_the_last_user_turns_not_the_system_prompt():
    chat = ScriptedChat(lambda r: ChatReply("No", {"No": 1.0}))
    item = ScoreItem("rendered", "A", "rendered2", "B", conv("Can I keep it?"), conv("Could I keep it?"))
    assert JudgeContradictionScorer(chat).score([item]) == [0.0]
    text = chat.requests[0].messages[-1][1]
    assert "Question A: Can I keep it?" in text and "Question B: Could I keep it?" in text and POLICY not in text


def test_maxims_judges_the_reply_in_its_edited_conversation():
    chat = ScriptedChat(lambda r: ChatReply('{"label": "yes", "explanation": "ok"}'))
    c0 = Conversation.of([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                          {"role": "user", "content": "Any tips?"}])
    cc = c0.with_content(1, "Go away.")
    MaximsScorer(chat, "helpfulness", n=1).score([ScoreItem("x0", "y0", "xc", "yc", c0, cc)])
    shown = [r.messages[-1][1] for r in chat.requests]
    assert any("Context: user: Hi\nassistant: Hello!\nuser: Any tips?\nResponse: assistant: y0" in t for t in shown)
    assert any("Context: user: Hi\nassistant: Go away.\nuser: Any tips?\nResponse: assistant: yc" in t for t in shown)
