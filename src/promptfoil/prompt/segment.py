"""Lossless segmentation of a prompt into editable units of ``split_k`` consecutive words.

Words are found by ICU's Unicode word boundaries (UAX #29, with dictionaries for Chinese,
Japanese, Thai and other scripts written without spaces), so a Devanagari word keeps its
vowel signs and a Chinese clause splits into words. Words joined by a hyphen stay one word
("well-off"). A unit never spans a sentence end (ICU sentence boundaries) or a line break,
so an edit can never delete a full stop or a newline.

Joining the segments' text gives back the prompt exactly: whitespace and punctuation are
kept in non-editable segments, and protected character spans are never part of a unit.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence

from icu4py.breakers import SentenceBreaker, WordBreaker
from rapidfuzz.distance import Levenshtein

from ..errors import ConfigError
from ..types import Segment

_HYPHENS = frozenset("-\u2010\u2011")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_WORD_LOCALE = ""  # root: dictionary-based breaking for CJK and Thai is chosen by script
_SENTENCE_LOCALE = "en@ss=standard"  # "Mr. Smith" does not end a sentence


def _icu_safe(text: str) -> str:
    """ICU takes UTF-8: a lone surrogate becomes U+FFFD (same length, offsets unchanged)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join(c if not 0xD800 <= ord(c) <= 0xDFFF else "\ufffd" for c in text)


def _spans(breaker: type[WordBreaker] | type[SentenceBreaker], text: str, locale: str) -> Iterator[tuple[int, int]]:
    """ICU segments as Python string offsets (ICU counts UTF-16 code units)."""
    safe = _icu_safe(text)
    if all(ord(c) < 0x10000 for c in safe):
        yield from breaker(safe, locale).segments()
        return
    to_py: list[int] = []  # UTF-16 offset -> Python offset
    for i, c in enumerate(safe):
        to_py.extend([i, i] if ord(c) >= 0x10000 else [i])
    to_py.append(len(safe))
    for s, e in breaker(safe, locale).segments():
        yield to_py[s], to_py[e]


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word: ICU word segments holding a letter or digit."""
    out: list[tuple[int, int]] = []
    pending_hyphen = False
    for s, e in _spans(WordBreaker, text, _WORD_LOCALE):
        piece = text[s:e]
        if any(c.isalnum() for c in piece):
            if pending_hyphen and out and out[-1][1] == s - 1:
                out[-1] = (out[-1][0], e)  # "well" "-" "off" -> "well-off"
            else:
                out.append((s, e))
            pending_hyphen = False
        else:
            pending_hyphen = e - s == 1 and piece in _HYPHENS and bool(out) and out[-1][1] == s
    return out


def _cuts(text: str) -> list[int]:
    """Offsets a unit may not span: sentence starts and line-break characters."""
    cuts = {s for s, _ in _spans(SentenceBreaker, text, _SENTENCE_LOCALE) if s > 0}
    cuts.update(i for i, c in enumerate(text) if c in _LINE_BREAKS)
    return sorted(cuts)


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

    A unit never spans a protected word, a sentence end or a line break; the last unit
    before one of those (or the end of the prompt) may hold fewer than ``split_k`` words.
    """
    if split_k < 1:
        raise ConfigError(f"split_k must be at least 1 (got {split_k})")
    spans = _check_spans(prompt, protected)
    cuts = _cuts(prompt) if split_k > 1 else []

    def crosses(end: int, start: int) -> bool:
        """A sentence start or line break lies between ``end`` and ``start``."""
        i = bisect.bisect_left(cuts, end)
        return i < len(cuts) and cuts[i] <= start

    units: list[tuple[int, int]] = []
    group: list[tuple[int, int]] = []
    for s, e in word_spans(prompt):
        if group and (_overlaps(group[-1][1], s, spans) or crosses(group[-1][1], s)):
            units.append((group[0][0], group[-1][1]))  # a protected gap or boundary ends the unit
            group = []
        if _overlaps(s, e, spans):
            if group:
                units.append((group[0][0], group[-1][1]))
                group = []
            continue
        group.append((s, e))
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
    return len(word_spans(text))


def words(text: str) -> list[str]:
    """The words of ``text`` as segmentation sees them."""
    return [text[s:e] for s, e in word_spans(text)]


def edit_distance(x0: str, xc: str) -> float:
    """Word-level Levenshtein distance divided by the number of words in ``x0`` (paper §5.2)."""
    a, b = words(x0), words(xc)
    return Levenshtein.distance(a, b) / max(1, len(a))
