"""Protected spans by text instead of offsets: ``--protect-text`` and ``--edit-only-text``.

The search takes protected character spans ``(start, end)``; these helpers compute them from
substrings of the prompt, so a user can say "never edit 'in one sentence'" or "edit only
'my sister'" without counting characters. In a conversation the same texts are looked up in
each turn open to edits (:func:`spans_by_piece`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import ConfigError


def _texts(texts: str | Iterable[str], flag: str) -> list[str]:
    """One text or many, each a non-empty string (a typo must not silently protect nothing)."""
    out = [texts] if isinstance(texts, str) else list(texts)
    for text in out:
        if not isinstance(text, str) or not text:
            raise ConfigError(f"{flag}: give a non-empty piece of the prompt (got {text!r})")
    return out


def _find(prompt: str, texts: Sequence[str]) -> list[tuple[int, int]]:
    """Every occurrence of each text in ``prompt``, sorted (none is no error here)."""
    spans: set[tuple[int, int]] = set()
    for text in texts:
        start = prompt.find(text)
        while start >= 0:
            spans.add((start, start + len(text)))
            start = prompt.find(text, start + 1)
    return sorted(spans)


def occurrences(prompt: str, texts: Iterable[str], flag: str = "protect_text") -> list[tuple[int, int]]:
    """Every occurrence of each text in ``prompt``, as (start, end) spans, sorted.

    A text that is empty or does not occur is an error.
    """
    wanted = _texts(texts, flag)
    for text in wanted:
        if text not in prompt:
            raise ConfigError(f"{flag}: {text!r} does not occur in the prompt")
    return _find(prompt, wanted)


def outside(prompt: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``prompt`` not covered by ``spans`` (which may overlap)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for s, e in sorted(spans):
        if s > pos:
            out.append((pos, s))
        pos = max(pos, e)
    if pos < len(prompt):
        out.append((pos, len(prompt)))
    return out


def spans_by_piece(
    pieces: Sequence[str],
    protect_text: str | Iterable[str] = (),
    edit_only_text: str | Iterable[str] = (),
    where: str = "the prompt",
) -> list[list[tuple[int, int]]]:
    """Per piece of text (a prompt, or each turn of a conversation open to edits), the spans
    to protect: every occurrence of each ``protect_text`` and, when ``edit_only_text`` is
    given, everything outside its occurrences (a piece without any is protected whole). Each
    text must occur in at least one piece."""
    protect = _texts(protect_text, "protect_text")
    only = _texts(edit_only_text, "edit_only_text")
    for flag, texts in (("protect_text", protect), ("edit_only_text", only)):
        for text in texts:
            if not any(text in p for p in pieces):
                raise ConfigError(f"{flag}: {text!r} does not occur in {where}")
    out = []
    for piece in pieces:
        spans = _find(piece, protect)
        if only:
            spans += outside(piece, _find(piece, only))
        out.append(spans)
    return out


def protected_spans(
    prompt: str,
    protected: Iterable[tuple[int, int]] = (),
    protect_text: str | Iterable[str] = (),
    edit_only_text: str | Iterable[str] = (),
) -> list[tuple[int, int]]:
    """All protected spans: the given offsets, every occurrence of each ``protect_text``, and,
    when ``edit_only_text`` is given, everything outside its occurrences (one text or many)."""
    return list(protected) + spans_by_piece([prompt], protect_text, edit_only_text)[0]
