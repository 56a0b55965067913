"""What kind of question a prompt asks: one that wants a verdict (yes / no / it depends) or an
open one. The ``auto`` contrast definition reads verdicts only where a verdict is asked for.

A verdict question is a yes/no question: its (last) question sentence opens with an
auxiliary or modal verb ("Should I …?", "Is it okay to …?", "Can I …?", "Would you …?").
A choice between two named options ("Should I buy or rent?") and a wh-question ("Why …?",
"What should I do …?") are open: yes / no does not answer them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AUX = frozenset(
    "should shall can could may might must is are am was were do does did would will have has had "
    "isn't aren't wasn't weren't don't doesn't didn't can't couldn't shouldn't won't wouldn't".split()
)
_WORD = re.compile(r"[A-Za-z']+")
# "A or B" between two options; "or not" / "or no" is still a yes/no question.
_CHOICE = re.compile(r"\bor\b(?!\s+(?:not|no)\b)", re.I)


@dataclass(frozen=True)
class QuestionKind:
    """``verdict`` (a yes/no question) or ``open``, and why, in words for the reports."""

    kind: str
    why: str


def question_sentence(text: str) -> str:
    """The last sentence of ``text`` that ends with a question mark (else the last sentence)."""
    parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+", text.strip()) if p.strip()]
    if not parts:
        return ""
    asked = [p for p in parts if p.endswith("?")]
    return (asked or parts)[-1]


def question_kind(text: str) -> QuestionKind:
    """Whether ``text`` asks for a verdict, judged from its question sentence."""
    q = question_sentence(text)
    words = [w.lower() for w in _WORD.findall(q)]
    if not q.endswith("?") or not words:
        return QuestionKind("open", "the prompt asks no question")
    if words[0] not in _AUX:
        return QuestionKind("open", f"an open question (\"{words[0]} …?\")")
    if _CHOICE.search(q):
        return QuestionKind("open", "a choice between options, not a yes/no question")
    return QuestionKind("verdict", f"a yes/no question (\"{words[0].capitalize()} …?\")")


# "Is it <judgement> (for someone) to <act> …?": the judgement and the act are what is asked.
_IS_IT = re.compile(r"\b(?:is|isn't|was|would it be|are)\s+(?:it|this|that)\s+(?:(?:really|ever|always|very|a)\s+)?"
                    r"(?P<judgement>[A-Za-z'-]+)(?:\s+for\s+[A-Za-z' ]{1,30}?)?\s+(?:to|if|that)\s+"
                    r"(?P<act>[A-Za-z'-]+)", re.I)
# "Should / Can / Do I <act> …?": the act (after a pronoun subject) is what is asked.
_MODAL_I = re.compile(r"^\W*(?:should|shall|can|could|may|might|must|would|will|do|does|did)\s+"
                      r"(?:i|we|you|he|she|they|one|people)\s+(?:(?:not|still|really|ever|just|also)\s+)?"
                      r"(?P<act>[A-Za-z'-]+)", re.I)


def _key_words(text: str) -> tuple[int, re.Match[str] | None, re.Match[str] | None]:
    """Where a yes/no question sentence starts in ``text``, and its "Is it <judgement> to
    <act>" match or else its "Should I <act>" match (a base of -1 and no match when ``text``
    asks no yes/no question)."""
    q = question_sentence(text)
    if not q or question_kind(q).kind != "verdict":
        return -1, None, None
    judged = _IS_IT.search(q)
    return text.rfind(q), judged, None if judged else _MODAL_I.search(q)


def judgement_spans(text: str) -> list[tuple[int, int]]:
    """The character span of an "Is it <judgement> to …?" question's judgement ("Is it *rude*
    to …"), or none. A verdict is read against the question's own judgement, so an edit of it
    ("rude" → "legal") makes the two verdicts answers to different questions: the ``verdict``
    definition never edits it."""
    base, judged, _ = _key_words(text)
    if judged is None:
        return []
    a, b = judged.span("judgement")
    return [(base + a, base + b)]


def key_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of a yes/no question's key words, the judgement and the act it asks
    about ("Is it *wrong* to *lie* …", "Should I *quit* …"). Swapping one of them for its
    opposite or an unrelated word asks another question; the details around them (who, how
    much, when, the modal verb) are what a same-question contrast may change. Empty when the
    question has no such shape."""
    base, judged, modal = _key_words(text)
    if judged is not None:
        spans = [judged.span("judgement"), judged.span("act")]
    elif modal is not None:
        spans = [modal.span("act")]
    else:
        spans = []
    return [(base + a, base + b) for a, b in spans]
