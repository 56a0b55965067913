"""From what a user hands in to the units a search may edit.

A text is checked (type, control characters, spans, length, words) and segmented around its
protected spans; a conversation is laid out as one text whose units lie only in the turns the
``edit`` selectors pick. Both refuse, with a message that says what to change, any input no
search can use. The search wraps the result in its prompt space.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import ConfigError
from ..types import Segment
from .checks import check_spans, check_text, span_list
from .conversation import Conversation, Layout, layout
from .segment import count_words, segment
from .spans import protected_spans, spans_by_piece

#: A prompt longer than this (in characters) is refused before any model sees it.
MAX_PROMPT_CHARS = 200_000


def check_length(text: str) -> None:
    if len(text) > MAX_PROMPT_CHARS:
        raise ConfigError(f"prompt has {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}")


def check_words(n_words: int, split_k: int) -> None:
    if n_words < split_k:
        raise ConfigError(
            f"prompt has {n_words} editable word(s) but split_k={split_k} needs at least "
            f"{split_k} for one edit; lower --split-k"
        )


def prepare_text(
    prompt: object, protected: Iterable[Sequence[int]], split_k: int,
    protect_text: str | Iterable[str] = (), edit_only_text: str | Iterable[str] = (),
) -> tuple[str, list[Segment]]:
    """A prompt text and its segments; ``protected`` are ``(start, end)`` spans, and the
    texts to protect (or to edit only) are found in the prompt."""
    if not isinstance(prompt, str):
        raise ConfigError(f"prompt must be a string or a conversation, got {type(prompt).__name__}")
    spans = span_list(protected)
    if any(isinstance(p, (tuple, list)) and len(p) == 3 for p in spans):
        raise ConfigError("a protected span of a prompt text is (start, end); (turn, start, end) is for conversations")
    if protect_text or edit_only_text:
        check_spans(prompt, spans)
        spans = protected_spans(prompt, spans, protect_text, edit_only_text)
    check_text(prompt)
    check_spans(prompt, spans)
    if not prompt.strip():
        raise ConfigError("prompt is empty: give a prompt with at least one word")
    check_length(prompt)
    segments = segment(prompt, split_k, spans)
    if not any(s.editable for s in segments):
        raise ConfigError("prompt has no editable words (only punctuation, or all protected)")
    check_words(count_words(prompt), split_k)
    return prompt, segments


def prepare_conversation(
    prompt: object, protected: Iterable[Sequence[int]], edit: str | Iterable[str] | None, split_k: int,
    protect_text: str | Iterable[str] = (), edit_only_text: str | Iterable[str] = (),
) -> tuple[Layout, list[Segment]]:
    """A conversation's layout and the segments of its text; ``protected`` are
    ``(turn, start, end)`` spans in the selected turns' contents."""
    lay: Layout = layout(Conversation.of(prompt), edit)
    check_length(lay.text)
    for m in lay.conversation.messages:
        check_text(m.content)
    inner = list(span_list(protected))
    if protect_text or edit_only_text:
        contents = [lay.conversation.messages[t].content for t in lay.turns]
        by_turn = spans_by_piece(contents, protect_text, edit_only_text, "the turns open to edits")
        inner += [(t, s, e) for t, spans in zip(lay.turns, by_turn) for s, e in spans]
    segments = segment(lay.text, split_k, lay.protected(inner))
    units = [s for s in segments if s.editable]
    for turn in lay.turns:
        start, end = lay.spans[turn]
        if not any(start <= u.start and u.end <= end for u in units):
            if edit_only_text and units:
                continue  # the text to edit lies in another selected turn
            role = lay.conversation.messages[turn].role
            raise ConfigError(f"turn {turn} ({role}) is selected for edits but has no editable word")
    check_words(count_words(lay.edited_text()), split_k)
    return lay, segments
