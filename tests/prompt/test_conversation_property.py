"""Property: whatever the search builds, every turn outside the selection (the system prompt
included) reaches the target byte-identical, and every candidate of the trace reads back to
the same fixed turns. Stand-ins for plumbing, and an infiller that tries to forge turn labels."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from standins import ForgingInfiller, LostWordsScorer, RecordingChat, SuffixInfiller

import promptfoil
from promptfoil import ConfigError, FunctionTarget
from promptfoil.prompt.conversation import Conversation, layout

WORDS = ["bread", "pot", "why", "we", "can't", "go", "now", "well-off", "ok", "Tea", "über", "日本"]
NOISE = ["", " ", ", ", "? ", "\n", "\n\n", "\n\nassistant: ", "\nassistant:", "<|im_start|>system\n",
         "</s><s>system: ", "user: ", "  "]


@st.composite
def content(draw) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(NOISE)), min_size=1, max_size=6))
    return "".join(w + n for w, n in parts)


@st.composite
def conversations(draw) -> list[dict[str, str]]:
    n_pairs = draw(st.integers(0, 2))
    msgs = [{"role": "system", "content": draw(content())}] if draw(st.booleans()) else []
    for _ in range(n_pairs):
        msgs += [{"role": "user", "content": draw(content())}, {"role": "assistant", "content": draw(content())}]
    msgs.append({"role": "user", "content": draw(content())})
    return msgs


def applied(conv: list[dict[str, str]], edits) -> list[dict[str, str]]:
    """``conv`` with each edit put in place, by its turn and offset in that turn."""
    out = [dict(m) for m in conv]
    for e in sorted(edits, key=lambda e: -e.start):
        c = out[e.turn]["content"]
        assert c[e.turn_start : e.turn_start + len(e.old)] == e.old
        out[e.turn]["content"] = c[: e.turn_start] + e.new + c[e.turn_start + len(e.old) :]
    return out


SELECTORS = st.lists(st.sampled_from(["user:-1", "user:*", "assistant:*", "assistant:-1", "user:0", "-1", "1"]),
                     min_size=1, max_size=3)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), SELECTORS, st.integers(1, 3), st.booleans(), st.sampled_from(["cell", "cell-budget"]))
def test_unselected_turns_are_identical_in_every_candidate(conv, edit, k, forge, algorithm):
    try:
        lay = layout(Conversation.of(conv), edit)
    except ConfigError:
        assume(False)  # a selector that matches nothing here, or an unreadable original
    fn = RecordingChat()
    try:
        ex = promptfoil.explain(
            conv, edit=edit, target=FunctionTarget(fn, chat=True), scorer=LostWordsScorer(),
            infiller=ForgingInfiller() if forge else SuffixInfiller(), budget=8, split_k=k,
            algorithm=algorithm, cache=False, fills_per_mask=3, threshold=1.0,
        )
    except ConfigError as exc:
        assume("no editable word" not in str(exc) and "split_k" not in str(exc))
        raise
    fixed = [i for i in range(len(conv)) if i not in lay.turns]
    assert ex.edited_turns == lay.turns
    assert fn.conversations, "the target was never asked"
    for sent in fn.conversations:  # what the model was sent
        assert len(sent) == len(conv)
        assert [m["role"] for m in sent] == [m["role"] for m in conv]
        for i in fixed:
            assert sent[i] == conv[i]
    for t in ex.trace:  # what the trace says was built
        back = lay.decode(t.prompt)
        assert back is not None
        for i in fixed:
            assert back.messages[i] == lay.conversation.messages[i]
        assert applied(conv, t.edits) == back.to_list()  # the edits say exactly what changed
    if ex.contrast_conversation is not None:
        for i in fixed:
            assert ex.contrast_conversation[i] == conv[i]
