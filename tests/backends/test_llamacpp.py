"""The llama.cpp backend: batched greedy generation and prefix reuse on the embedded SmolLM2
(slow: real model), and the check that a prompt fits the context.

The answer of a prompt must not depend on the batch it decodes in, on the prompts decoded
before it, or on whether a computed prefix was reused: each is compared here with
llama-cpp-python's own one-by-one ``create_chat_completion``. A prompt that does not fit raises
the error that makes the search skip the candidate."""

from __future__ import annotations

import pytest

from promptfoil.backends.chat import ChatRequest
from promptfoil.backends.llamacpp import LocalChat, load_llama
from promptfoil.backends.llamacpp_batch import BatchGenerator
from promptfoil.backends.llamacpp_template import ChatTemplate
from promptfoil.uses.datasets import shipped_set

SYSTEM = "You are a careful assistant of a city library. Answer briefly and never share patrons' data. " * 6


def _requests(texts, system=None, max_tokens=24):
    return [ChatRequest.turn(t, system, max_tokens=max_tokens, temperature=0.0) for t in texts]


def _key(replies):
    return [(r.text, r.tokens, r.truncated) for r in replies]


@pytest.fixture(scope="module")
def chat():
    pytest.importorskip("llama_cpp")
    return LocalChat(max_batch=4)


@pytest.mark.slow
def test_batched_greedy_answers_equal_one_by_one(chat):
    mic = [r["prompt"] for r in shipped_set("mic-style")[:6]]
    doc = shipped_set("news")[3]["prompt"]
    # a search's batch: the same prompt with one word changed at different places
    words = doc.split(" ")
    edits = [" ".join(words[:i] + ["quietly"] + words[i + 1 :]) for i in (8, 15, 22)]
    for texts, system in ((mic, None), ([doc, *edits], None), (mic[:4], SYSTEM)):
        requests = _requests(texts, system)
        one = [chat.one(r) for r in requests]
        batched = [r for i in range(0, len(requests), 4) for r in chat.batch(requests[i : i + 4])]
        assert _key(batched) == _key(one)
        assert any(r.truncated for r in one)  # the cut-at-max_tokens mark survives batching


@pytest.mark.slow
def test_prefix_reuse_gives_identical_answers_and_reads_less():
    pytest.importorskip("llama_cpp")
    chat = LocalChat()
    llm = load_llama(str(chat.path), chat.n_ctx, False)
    template = ChatTemplate.of(llm)
    assert template is not None
    questions = [r["prompt"] for r in shipped_set("mic-style")[20:26]]
    prompts = [template.render(r.as_messages()) for r in _requests(questions, SYSTEM)]
    reuse, fresh = BatchGenerator(llm, 2048, 3, reuse=True), BatchGenerator(llm, 2048, 3, reuse=False)
    a = [g.text for i in (0, 3) for g in reuse.generate(prompts[i : i + 3], 24)]
    b = [g.text for i in (0, 3) for g in fresh.generate(prompts[i : i + 3], 24)]
    assert a == b
    assert fresh.decoded == sum(len(p.tokens) for p in prompts)
    system = len(llm.tokenize(SYSTEM.encode(), add_bos=False))
    assert reuse.decoded < fresh.decoded - 5 * system  # the system prompt is read once, not six times
    again = [g.text for g in reuse.generate(prompts[3:], 24)]  # the same prompts again: all reused
    assert again == b[3:]


def _reads(texts):
    return [ChatRequest.turn(t, SYSTEM, max_tokens=1, temperature=0.0, top_logprobs=5) for t in texts]


@pytest.mark.slow
def test_first_token_reads_do_not_depend_on_the_batch_and_match_llama_cpp_logprobs(chat):
    """A verdict judge's one-token reads go through the batch context (last logits row only):
    a read is the same alone and among others, and llama-cpp-python's every-token-logits path
    gives the same first token and (to batch arithmetic) the same probabilities."""
    questions = [f"Is it okay to {act} on a weekday? Answer yes or no." for act in
                 ("nap at work", "skip lunch", "work late", "call in sick", "leave early")]
    requests = _reads(questions)
    assert chat.first_token_batchable(requests) and not chat.batchable(requests)
    together = chat.chat(requests)
    alone = [chat.chat([r])[0] for r in reversed(requests)][::-1]
    assert [(r.text, r.first_token) for r in together] == [(r.text, r.first_token) for r in alone]
    for r, got in zip(requests, together):
        ref = chat.one(r)  # create_completion(logprobs=...) on a logits_all model
        assert got.text == ref.text and got.truncated == ref.truncated
        assert len(got.first_token) == 5
        for token, p in ref.first_token.items():
            if p > 0.05:
                assert abs(got.first_token.get(token, 0.0) - p) < 0.03, (token, p, got.first_token)


def test_llamacpp_room_check_raises_the_skip_error():
    from promptfoil.backends.chat import ChatRequest
    from promptfoil.backends.llamacpp import LocalChat
    from promptfoil.errors import PromptTooLong

    chat = object.__new__(LocalChat)
    chat.n_ctx = 64
    with pytest.raises(PromptTooLong, match="prompt of 60 tokens does not fit"):  # the chat template's token count
        chat._check_room(60, ChatRequest.turn("word " * 60, max_tokens=16))
    chat._check_room(48, ChatRequest.turn("word " * 40, max_tokens=16))  # exactly fits
