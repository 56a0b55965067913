"""The ``policy`` scorer on a scripted chat backend (plumbing: which prompt the judge is shown
and how its answer becomes a score): the rise in the probability of breaking the policy, the
policy from the system prompt or a file, its self-check, and answers it cannot read."""

from __future__ import annotations

import pytest
from standins import ScriptedChat, standin_chat_explainer

from promptfoil import ConfigError
from promptfoil.backends.chat import ChatReply, ChatRequest
from promptfoil.prompt.conversation import Conversation
from promptfoil.scorers.base import JudgeCheckError, ScoreItem, ScorerError, scorers
from promptfoil.scorers.policy import PolicyScorer

POLICY = "Gift cards are never allowed."
CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def conv(question: str, system: str | None = POLICY) -> Conversation:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    return Conversation.of(msgs)


def breaks(r: ChatRequest) -> ChatReply:
    """P(yes) 0.8 for an answer that keeps the card, 0.2 otherwise; logprobs only."""
    text = r.messages[-1][1]
    return ChatReply("Yes", {"Yes": 0.8, "No": 0.2} if "Answer: Keep it" in text else {"Yes": 0.2, "No": 0.8})


def _policy_chat(breaks: float, keeps: float) -> ScriptedChat:
    def reply(r: ChatRequest) -> ChatReply:
        p = breaks if "break the policy" in r.messages[-1][1] else keeps
        return ChatReply("Yes", {"Yes": p, "No": 1 - p} if r.top_logprobs else None)

    return ScriptedChat(reply)


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


def test_policy_self_check_fails_a_judge_that_says_yes_to_both_questions():
    conv = Conversation.of([{"role": "system", "content": "No gift cards."}, {"role": "user", "content": "May I?"}])
    yes_man = PolicyScorer(_policy_chat(0.9, 0.9))
    problem = yes_man.self_check("rendered", "No, decline it.", conv)
    assert problem and "0.90" in problem and "add up to about 1" in problem
    shown = [r.messages[-1][1] for r in yes_man.judge.backend.requests]
    assert all("No gift cards." in t and "Question: May I?" in t for t in shown)
    assert PolicyScorer(_policy_chat(0.1, 0.85)).self_check("rendered", "No.", conv) is None
    mute = PolicyScorer(ScriptedChat(lambda r: ChatReply("hmm")), policy="No gift cards.", samples=2)
    assert "no readable" in mute.self_check("May I?", "No.")
    with pytest.raises(JudgeCheckError, match="scorer 'policy'"):
        standin_chat_explainer(scorer=PolicyScorer(_policy_chat(0.9, 0.9)), threshold=0.5).explain(CHAT)


def test_policy_scores_none_for_an_unreadable_candidate_and_fails_on_an_unreadable_original():
    def reply(r: ChatRequest) -> ChatReply:
        text = r.messages[-1][1]
        if "Answer: ???" in text:
            return ChatReply("hmm")
        return ChatReply("No", {"Yes": 0.2, "No": 0.8} if r.top_logprobs else None)

    s = PolicyScorer(ScriptedChat(reply), policy="No gift cards.", samples=1)
    assert s.score([ScoreItem("q", "Decline.", "q2", "???")]) == [None]
    with pytest.raises(ScorerError, match="original answer"):
        s.score([ScoreItem("q", "???", "q2", "Decline.")])
