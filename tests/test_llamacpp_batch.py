"""Batched greedy generation and prefix reuse on the embedded SmolLM2 (slow: real model).

The answer of a prompt must not depend on the batch it decodes in, on the prompts decoded
before it, or on whether a computed prefix was reused: each is compared here with
llama-cpp-python's own one-by-one ``create_chat_completion``.
"""

from __future__ import annotations

import pytest

pytest.importorskip("llama_cpp")

from promptfoil.backends.chat import ChatRequest  # noqa: E402
from promptfoil.backends.llamacpp import LocalChat, load_llama  # noqa: E402
from promptfoil.backends.llamacpp_batch import BatchGenerator  # noqa: E402
from promptfoil.backends.llamacpp_template import ChatTemplate  # noqa: E402
from promptfoil.uses.datasets import shipped_set  # noqa: E402
from promptfoil.infill.base import InfillRequest  # noqa: E402
from promptfoil.infill.lm import LMInfiller  # noqa: E402
from promptfoil.prompt.segment import segment  # noqa: E402

pytestmark = pytest.mark.slow

SYSTEM = "You are a careful assistant of a city library. Answer briefly and never share patrons' data. " * 6


def _requests(texts, system=None, max_tokens=24):
    return [ChatRequest.turn(t, system, max_tokens=max_tokens, temperature=0.0) for t in texts]


def _key(replies):
    return [(r.text, r.tokens, r.truncated) for r in replies]


@pytest.fixture(scope="module")
def chat():
    return LocalChat(max_batch=4)


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


def test_the_target_hands_its_batch_to_llama_cpp_at_once():
    from promptfoil.targets.llamacpp import LlamaCppTarget

    target = LlamaCppTarget(None, max_tokens=16, batch_size=3)
    prompts = [r["prompt"] for r in shipped_set("mic-style")[10:13]]
    calls = []
    real = target.llm.batch
    target.llm.batch = lambda requests, need_room=False: calls.append(len(requests)) or real(requests, need_room)
    replies = target.generate(prompts)
    assert calls == [3] and target.batch_size == 3
    alone = [target.generate([p])[0] for p in prompts]
    assert [(r.text, r.truncated) for r in replies] == [(r.text, r.truncated) for r in alone]
    assert any(r.truncated for r in replies)  # Reply.truncated marks survive batched generation


def test_prefix_reuse_gives_identical_answers_and_reads_less():
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


def test_infiller_prefix_reuse_changes_no_fill():
    row = shipped_set("news")[5]
    text = row["prompt"]
    units = [u for u in segment(text, 1, [tuple(x) for x in row["protected"]]) if u.editable][::6][:4]
    requests = [InfillRequest(text, u.start, u.end, 4) for u in units]
    shared = LMInfiller().infill(requests)  # one decoder: each prefix re-reads only what is new
    alone = [LMInfiller().infill([r])[0] for r in requests]  # a fresh decoder per mask
    assert shared == alone and all(shared)


def test_infiller_lanes_fill_masks_side_by_side_with_the_same_fills():
    rows = shipped_set("mic-style")[30:32]
    requests = [InfillRequest(r["prompt"], u.start, u.end, 4)
                for r in rows for u in segment(r["prompt"], 1, []) if u.editable][::2][:5]
    one, two = LMInfiller(lanes=1), LMInfiller(lanes=2)
    assert two.infill(requests) == one.infill(requests)
    assert len(two._more) == 1  # a second llama.cpp context did part of the work
