"""The infiller protocol: a batch of masked spans in, ranked replacement lists out."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..errors import PromptfoilError, component_name, returned_list
from ..registry import Registry


@dataclass(frozen=True)
class InfillRequest:
    """Mask ``text[start:end]`` and ask for up to ``n`` replacements, best first."""

    text: str
    start: int
    end: int
    n: int = 8

    @property
    def old(self) -> str:
        return self.text[self.start : self.end]


@runtime_checkable
class Infiller(Protocol):
    """Fills masked spans. ``name`` identifies it in results; calls are batches."""

    name: str

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        """One list per request: distinct replacements that differ from the masked words."""
        ...


def normalise(text: str) -> str:
    """Words only, lower case: two fills equal here differ only in case or punctuation.

    Combining marks stay (a Devanagari vowel sign is part of its word)."""
    kept = "".join(c if c.isalnum() or unicodedata.category(c)[0] == "M" else " " for c in text.lower())
    return " ".join(kept.split())


def clean_fills(old: str, fills: Iterable[str], n: int) -> list[str]:
    """Drop empty, no-op (same words as ``old``, up to case/punctuation) and duplicate fills."""
    seen = {normalise(old)}
    out: list[str] = []
    for fill in fills:
        fill = fill.strip()
        key = normalise(fill)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(fill)
        if len(out) >= n:
            break
    return out


infillers: Registry[Infiller] = Registry("infiller")


# Checks on what an infiller returns, where the search uses it: one list of texts per request.


def check_fills(fills: Any, requests: Sequence[InfillRequest], who: str) -> list[list[str]]:
    """``fills`` after checking there is one list of texts per request."""
    what = f"infiller '{who}'"
    out = returned_list(fills, what)
    if len(out) != len(requests):
        raise PromptfoilError(
            f"{what} returned {len(out)} list(s) of fills for {len(requests)} request(s); it must return one per request"
        )
    checked = []
    for i, group in enumerate(out):
        items = returned_list(group, f"{what} (request {i})")
        bad = [f for f in items if not isinstance(f, str)]
        if bad:
            raise PromptfoilError(
                f"{what} returned {type(bad[0]).__name__} ({bad[0]!r}) as a fill for request {i}; fills must be text"
            )
        checked.append(items)
    return checked


class CheckedInfiller:
    """An infiller whose every batch is checked by :func:`check_fills`; other attributes pass through."""

    def __init__(self, inner: Infiller) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        requests = list(requests)
        if not requests:
            return []
        return check_fills(self.inner.infill(requests), requests, component_name(self.inner, "infiller"))
