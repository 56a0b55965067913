"""The ``llm`` infiller on a scripted chat backend: fills are parsed out of chatty answers,
cleaned of no-ops and duplicates, and a thin answer is asked again once, sampled."""

from __future__ import annotations

from standins import ScriptedChat

from promptfoil.backends.chat import ChatReply
from promptfoil.infill.base import InfillRequest
from promptfoil.infill.llm import LLMInfiller, parse_fills

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


def test_same_kind_mode_asks_for_details_of_one_kind_and_drops_negations_and_glued_words():
    import pytest

    from promptfoil.errors import ConfigError
    from promptfoil.infill.llm import same_kind

    answer = "1. Shouldn't\n2. Can\n3. not Should\n4. Should really\n5. Must\n6. Would"
    chat = ScriptedChat(lambda r: ChatReply(answer))
    req = InfillRequest("Should I quit my job?", 0, 6, 3)
    assert LLMInfiller(chat, alternatives="same-kind").infill([req]) == [["Can", "Must", "Would"]]
    system = chat.requests[0].messages[0][1]
    assert "same kind" in system and "opposite" in system
    assert "brother" in chat.requests[0].messages[1][1]  # the worked example swaps a person
    # the default mode keeps what the model said (negations included)
    assert "Shouldn't" in LLMInfiller(ScriptedChat(lambda r: ChatReply(answer))).infill([req])[0]
    assert [same_kind("fair", w) for w in ("unfair", "just", "not fair", "fair enough")] == [False, True, False, False]
    assert same_kind("friend", "boss") and same_kind("small loan", "large loan")
    assert not same_kind("Should", "Shouldn't be") and not same_kind("quiet", "not really quiet")
    assert same_kind("okay", "not bad at all") is False and same_kind("dog", "no dog") is False
    with pytest.raises(ConfigError, match="alternatives"):
        LLMInfiller(chat, alternatives="antonyms")
