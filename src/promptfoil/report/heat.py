"""The heat strip of ``unit_effects``: the prompt with each edited unit shaded by its estimated
effect on the score, shared by the terminal and HTML reports.

Levels run from -4 to 4 (sign: towards / away from a contrast, size: share of the largest
supported effect); an estimate with too few candidates behind it gets no level (None) and is
shown as unsure, never shaded as if it were known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..types import UnitEffect

LEVELS = 4
#: Characters of context kept around the edited units of a long prompt (a policy, a chat).
CONTEXT = 80
TOP = 5


@dataclass(frozen=True)
class Piece:
    """A run of prompt text; ``unit`` is set for an edited unit, with its level (None: unsure)."""

    text: str
    unit: UnitEffect | None = None
    level: int | None = None


def effects_of(raw: Any) -> tuple[UnitEffect, ...]:
    """``unit_effects`` of a record (or an Explanation's), skipping entries that do not parse."""
    out = []
    for u in raw or ():
        if isinstance(u, UnitEffect):
            out.append(u)
        elif isinstance(u, dict):
            try:
                out.append(UnitEffect(**u))
            except TypeError:
                continue
    return tuple(out)


def _level(u: UnitEffect, scale: float) -> int | None:
    if not u.supported or u.effect is None:
        return None
    if scale <= 0 or u.effect == 0:
        return 0
    step = max(1, min(LEVELS, round(abs(u.effect) / scale * LEVELS)))
    return step if u.effect > 0 else -step


def pieces(prompt: str, effects: Sequence[UnitEffect]) -> list[Piece]:
    """``prompt`` cut into pieces with each unit that lies where it says, long context elided."""
    fit = sorted((u for u in effects if 0 <= u.start < u.end <= len(prompt) and prompt[u.start:u.end] == u.old),
                 key=lambda u: u.start)
    if not fit:
        return []
    scale = max((abs(u.effect) for u in fit if u.supported and u.effect is not None), default=0.0)
    lo, hi = max(0, fit[0].start - CONTEXT), min(len(prompt), fit[-1].end + CONTEXT)
    out = [Piece("…")] if lo > 0 else []
    pos = lo
    for u in fit:
        if u.start < pos:
            continue  # overlapping units (split_k changed between runs): keep the first
        if u.start > pos:
            out.append(Piece(prompt[pos:u.start]))
        out.append(Piece(prompt[u.start:u.end], u, _level(u, scale)))
        pos = u.end
    if hi > pos:
        out.append(Piece(prompt[pos:hi]))
    if hi < len(prompt):
        out.append(Piece("…"))
    return out


def label(u: UnitEffect) -> str:
    """``'rich' +0.43 (8 with, 22 without)`` (the counts behind the two means)."""
    eff = "n/a" if u.effect is None else f"{u.effect:+.2f}"
    sure = "" if u.supported else ", too few to tell"
    return f"{u.old.strip()!r} {eff} ({u.n_edited} with, {u.n_other} without{sure})"


def summary_line(effects: Sequence[UnitEffect]) -> str:
    """The words that pushed answers furthest towards a contrast, or why that cannot be said."""
    if not effects:
        return ""
    n = effects[0].n_edited + effects[0].n_other
    known = sorted((u for u in effects if u.supported and u.effect is not None), key=lambda u: -u.effect)
    if not known:
        return (f"too few scored candidates to tell which words matter ({n} scored; an estimate needs "
                "at least 2 candidates with and 2 without the word)")
    return f"from {n} scored candidates: " + "; ".join(label(u) for u in known[:TOP])
