"""Protected spans by text instead of offsets: ``--protect-text`` and ``--edit-only-text``.

The search takes protected character spans ``(start, end)``; these helpers compute them from
substrings of the prompt, so a user can say "never edit 'in one sentence'" or "edit only
'my sister'" without counting characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .errors import ConfigError


def occurrences(prompt: str, texts: Iterable[str], flag: str = "protect_text") -> list[tuple[int, int]]:
    """Every occurrence of each text in ``prompt``, as (start, end) spans, sorted.

    A text that is empty or does not occur is an error (a typo must not silently protect
    nothing).
    """
    spans: list[tuple[int, int]] = []
    for text in texts:
        if not isinstance(text, str) or not text:
            raise ConfigError(f"{flag}: give a non-empty piece of the prompt (got {text!r})")
        start = prompt.find(text)
        if start < 0:
            raise ConfigError(f"{flag}: {text!r} does not occur in the prompt")
        while start >= 0:
            spans.append((start, start + len(text)))
            start = prompt.find(text, start + 1)
    return sorted(set(spans))


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


def protected_spans(
    prompt: str,
    protected: Iterable[tuple[int, int]] = (),
    protect_text: str | Iterable[str] = (),
    edit_only_text: str | Iterable[str] = (),
) -> list[tuple[int, int]]:
    """All protected spans: the given offsets, every occurrence of each ``protect_text``, and,
    when ``edit_only_text`` is given, everything outside its occurrences (one text or many)."""
    spans = list(protected) + occurrences(prompt, [protect_text] if isinstance(protect_text, str) else protect_text)
    only = [edit_only_text] if isinstance(edit_only_text, str) else list(edit_only_text)
    if only:
        spans += outside(prompt, occurrences(prompt, only, "edit_only_text"))
    return spans
