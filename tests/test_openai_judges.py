"""Parsers and arithmetic of the `llm` infiller and the judge scorers.

``ScriptedChat`` is a plumbing stand-in for a chat backend: it returns replies the test
wrote, so that parsing, fallbacks, averaging and failure records can be checked exactly.
What real models answer is tested against a real server in test_openai_server.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from promptfoil.backends.chat import ChatReply, ChatRequest
from promptfoil.errors import ConfigError
from promptfoil.infill.base import InfillRequest
from promptfoil.infill.llm import LLMInfiller, parse_fills
from promptfoil.scorers.base import ScoreItem
from promptfoil.scorers.judge import JudgeContradictionScorer, p_yes_from_logprobs, read_yes_no
from promptfoil.scorers.maxims import MAXIMS, MaximsScorer, parse_label, rubric_prompt, rubrics, select


class ScriptedChat:
    """Answers each request with ``reply(request)``; records every request."""

    identity = "scripted"

    def __init__(self, reply) -> None:
        self.reply = reply
        self.requests: list[ChatRequest] = []

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        self.requests.extend(requests)
        return [self.reply(r) for r in requests]


TEXT = "Is it wrong to skip my friend's wedding?"
REQ = InfillRequest(TEXT, TEXT.index("wedding"), TEXT.index("wedding") + 7, 4)


def test_parse_fills_survives_chatty_answers():
    answer = (
        "Sure! Here are some options:\n1. **party** - a fun event\n2) \"birthday\"\n"
        "3. Is it wrong to skip my friend's funeral?\n- graduation.\nHope this helps!"
    )
    assert parse_fills(answer, REQ, 4) == ["party", "birthday", "funeral", "graduation"]
    assert parse_fills("party, dinner; game", REQ, 4) == ["party", "dinner", "game"]
    assert parse_fills("1. this answer is far too long to be a fill", REQ, 4) == []


def test_llm_infiller_cleans_and_retries_thin_answers():
    answers = iter(["1. wedding\n2. Wedding!\n3. party", "1. party\n2. dinner\n3. game\n4. trip"])
    chat = ScriptedChat(lambda r: ChatReply(next(answers)))
    fills = LLMInfiller(chat).infill([REQ])
    assert fills == [["party", "dinner", "game", "trip"]]  # no-ops and duplicates dropped
    assert len(chat.requests) == 2 and chat.requests[1].temperature > 0  # one sampled retry
    assert "[BLANK]" in chat.requests[0].messages[-1][1] and "wedding?" not in chat.requests[0].messages[-1][1]


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
