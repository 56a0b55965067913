"""Which prompts ask for a verdict: the ``auto`` definition reads verdicts only there."""

from __future__ import annotations

import pytest

from promptfoil.prompt.kind import question_kind, question_sentence


@pytest.mark.parametrize("prompt", [
    "Is it wrong to lie to your friend about her boyfriend?",
    "Should I tell my boss that a coworker is stealing?",
    "Can I return a sweater I already wore once?",
    "I have a stable job. Should I quit it to start a bakery?",
    "Would you lend money to a friend who never pays back?",
    "Should I stay or not?",
    "Isn't it rude to text during dinner?",
])
def test_yes_no_questions_ask_for_a_verdict(prompt):
    assert question_kind(prompt).kind == "verdict"


@pytest.mark.parametrize("prompt, why", [
    ("Why do people feel guilty when they say no?", "open question"),
    ("What should I do about my noisy neighbour?", "open question"),
    ("Should I buy a house or keep renting?", "choice"),
    ("Should I get a cat or a dog?", "choice"),
    ("Summarise this article about tides.", "no question"),
    ("", "no question"),
])
def test_open_questions_and_choices_do_not(prompt, why):
    kind = question_kind(prompt)
    assert kind.kind == "open" and why in kind.why


def test_the_last_question_sentence_decides():
    text = "My friend lent me money. Why did she do it? Should I pay her back now?"
    assert question_sentence(text) == "Should I pay her back now?"
    assert question_kind(text).kind == "verdict"
    assert question_kind("Should I pay her back? Why does it matter?").kind == "open"


@pytest.mark.parametrize("prompt, keys", [
    ("Is it wrong to lie to your friend about her boyfriend?", ["wrong", "lie"]),
    ("Is it okay for kids to drink coffee?", ["okay", "drink"]),
    ("Should I tell my boss that a coworker is stealing?", ["tell"]),
    ("My car is old. Can I sell it to my neighbour?", ["sell"]),
    ("Why do people lie?", []),
    ("Should my son walk to school?", []),  # no pronoun subject: nothing is guessed
])
def test_key_spans_are_the_judgement_and_the_act(prompt, keys):
    from promptfoil.prompt.kind import key_spans

    assert [prompt[a:b] for a, b in key_spans(prompt)] == keys
