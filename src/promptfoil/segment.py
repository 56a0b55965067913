"""Lossless segmentation of a prompt into editable units of ``split_k`` consecutive words.

Joining the segments' text gives back the prompt exactly: whitespace and punctuation are
kept in non-editable segments, and protected character spans are never part of a unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .errors import ConfigError
from .types import Segment

#: A word: letters/digits, optionally joined by an apostrophe or hyphen ("don't", "well-off").
WORD = re.compile(r"\w+(?:['\u2019\-]\w+)*")


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < pe and ps < end for ps, pe in spans)


def _check_spans(prompt: str, protected: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = []
    for span in protected:
        try:
            s, e = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            raise ConfigError(f"protected span {span!r} is not a (start, end) pair") from None
        if not 0 <= s <= e <= len(prompt):
            raise ConfigError(
                f"protected span ({s}, {e}) lies outside the prompt (0..{len(prompt)})"
            )
        spans.append((s, e))
    return spans


def segment(
    prompt: str, split_k: int = 1, protected: Iterable[tuple[int, int]] = ()
) -> list[Segment]:
    """Split ``prompt`` into segments; editable ones hold up to ``split_k`` words.

    A unit never spans a protected word; the last unit before a protected span or the
    end of the prompt may hold fewer than ``split_k`` words.
    """
    if split_k < 1:
        raise ConfigError(f"split_k must be at least 1 (got {split_k})")
    spans = _check_spans(prompt, protected)

    units: list[tuple[int, int]] = []
    group: list[tuple[int, int]] = []
    for m in WORD.finditer(prompt):
        if group and _overlaps(group[-1][1], m.start(), spans):
            units.append((group[0][0], group[-1][1]))  # a protected gap ends the unit
            group = []
        if _overlaps(m.start(), m.end(), spans):
            if group:
                units.append((group[0][0], group[-1][1]))
                group = []
            continue
        group.append((m.start(), m.end()))
        if len(group) == split_k:
            units.append((group[0][0], group[-1][1]))
            group = []
    if group:
        units.append((group[0][0], group[-1][1]))

    segments: list[Segment] = []
    pos = 0
    for s, e in units:
        if s > pos:
            segments.append(Segment(pos, s, prompt[pos:s], False))
        segments.append(Segment(s, e, prompt[s:e], True))
        pos = e
    if pos < len(prompt):
        segments.append(Segment(pos, len(prompt), prompt[pos:], False))
    return segments


def count_words(text: str) -> int:
    """Number of words as segmentation counts them."""
    return sum(1 for _ in WORD.finditer(text))


def words(text: str) -> list[str]:
    """The words of ``text`` as segmentation sees them."""
    return WORD.findall(text)
