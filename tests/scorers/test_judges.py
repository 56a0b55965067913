"""The ``judge-contradiction`` scorer on a scripted chat backend (plumbing: which prompt the
judge is shown and how its answer becomes a score): yes/no answers and log-probabilities are
read, log-probabilities come first, then sampled votes, then a recorded failure; its
self-check; and in a conversation the questions it compares are the last user turns, never
the system prompt. What real models answer is tested against a real server in
tests/targets/test_openai_server.py."""

from __future__ import annotations

import pytest
from standins import ScriptedChat, standin_explainer, standin_chat_explainer

from promptfoil.backends.chat import ChatReply, ChatRequest
from promptfoil.errors import ConfigError
from promptfoil.prompt.conversation import Conversation
from promptfoil.scorers.base import JudgeCheckError, ScoreItem
from promptfoil.scorers.judge import JudgeContradictionScorer, p_yes_from_logprobs, read_yes_no

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"
CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]
POLICY = "Gift cards are never allowed."


def conv(question: str, system: str | None = POLICY) -> Conversation:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    return Conversation.of(msgs)


def _says(p_yes: float) -> ScriptedChat:
    return ScriptedChat(lambda r: ChatReply("Yes", {"Yes": p_yes, "No": 1 - p_yes} if r.top_logprobs else None))


def test_read_yes_no_and_logprob_normalisation():
    assert read_yes_no("Yes.") is True and read_yes_no(" no, it does not") is False
    assert read_yes_no("I think the answer is yes") is True and read_yes_no("maybe") is None
    assert p_yes_from_logprobs({"Yes": 0.3, " yes": 0.1, "No": 0.2, "The": 0.4}) == pytest.approx(0.4 / 0.6)
    assert p_yes_from_logprobs({"The": 1.0}) is None and p_yes_from_logprobs(None) is None


def test_judge_uses_logprobs_then_falls_back_to_votes_then_records_failure():
    item_lp, item_vote, item_bad = (ScoreItem("q", "a", "q2", t) for t in ("lp", "vote", "bad"))

    def reply(r: ChatRequest) -> ChatReply:
        content = r.messages[-1][1]
        if r.top_logprobs:
            return ChatReply("Yes", {"Yes": 0.6, "No": 0.2} if "Answer B: lp" in content else None)
        if "Answer B: vote" in content:
            return ChatReply("Yes" if r.seed in (0, 1) else "No")
        return ChatReply("I cannot tell")

    judge = JudgeContradictionScorer(ScriptedChat(reply), samples=4)
    assert judge.score([item_lp, item_vote, item_bad]) == [0.75, 0.5, None]
    assert judge.method == {"logprobs": 1, "samples": 1, "failed": 1}
    assert [f.index for f in judge.failures] == [2]
    with pytest.raises(ConfigError):
        JudgeContradictionScorer(ScriptedChat(reply), samples=0)


def test_judge_contradiction_self_check():
    from promptfoil.backends.chat import ChatReply
    from promptfoil.scorers.judge import JudgeContradictionScorer

    def says(p_yes):
        return ScriptedChat(lambda r: ChatReply("Yes", {"Yes": p_yes, "No": 1 - p_yes} if r.top_logprobs else None))

    assert JudgeContradictionScorer(says(0.1)).self_check("q", "a") is None
    problem = JudgeContradictionScorer(says(0.9)).self_check("q", "a")
    assert "contradict itself" in problem and "0.90" in problem
    mute = JudgeContradictionScorer(ScriptedChat(lambda r: ChatReply("hmm")), samples=2)
    assert "no readable" in mute.self_check("q", "a")
    with pytest.raises(JudgeCheckError, match="judge-contradiction"):
        standin_explainer(scorer=JudgeContradictionScorer(says(0.9)), threshold=0.5).explain(PROMPT)


def test_contradiction_judge_self_check_sees_the_question_of_the_conversation():
    chat = _says(0.9)
    with pytest.raises(JudgeCheckError, match="judge-contradiction.*--no-judge-check"):
        standin_chat_explainer(scorer=JudgeContradictionScorer(chat), threshold=0.5).explain(CHAT)
    shown = chat.requests[0].messages[-1][1]
    assert f"Question A: {CHAT[3]['content']}" in shown and "system:" not in shown and "user:" not in shown
    ok = standin_chat_explainer(scorer=JudgeContradictionScorer(_says(0.1)), threshold=0.5, budget=2).explain(CHAT)
    assert ok.calls.target >= 1
    skipped = standin_chat_explainer(scorer=JudgeContradictionScorer(_says(0.9)), threshold=0.5, budget=2,
                         judge_check=False).explain(CHAT)
    assert skipped.calls.target >= 1


def test_contradiction_judge_sees_the_last_user_turns_not_the_system_prompt():
    chat = ScriptedChat(lambda r: ChatReply("No", {"No": 1.0}))
    item = ScoreItem("rendered", "A", "rendered2", "B", conv("Can I keep it?"), conv("Could I keep it?"))
    assert JudgeContradictionScorer(chat).score([item]) == [0.0]
    text = chat.requests[0].messages[-1][1]
    assert "Question A: Can I keep it?" in text and "Question B: Could I keep it?" in text and POLICY not in text
