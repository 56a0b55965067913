"""A conversation record as turns for the reports: role, text, edits in matching colours.

Edit ``i`` (in order of position) has colour ``i`` in both the original turn and the
contrast turn, as for plain prompts. Turns without edits are "unchanged" and the reports
fold them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..types import Edit
from .diff import contrast_spans, record_edits

#: A piece of text and its edit's colour number (None: plain text).
Piece = tuple[str, "int | None"]


@dataclass(frozen=True)
class TurnView:
    """One message of a conversation record."""

    index: int
    role: str
    pieces: list[Piece]  # the original content
    contrast: list[Piece] | None  # the contrast's content when an edit changed it
    selected: bool  # open to edits

    @property
    def changed(self) -> bool:
        return self.contrast is not None

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.pieces)


def _cut(text: str, spans: Sequence[tuple[int, int, int]]) -> list[Piece]:
    out: list[Piece] = []
    pos = 0
    for s, e, colour in spans:
        if s < pos or e > len(text):
            return [(text, None)]  # offsets that do not fit: plain text rather than garbled
        if s > pos:
            out.append((text[pos:s], None))
        out.append((text[s:e], colour))
        pos = e
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def _messages(raw: Any) -> list[tuple[str, str]] | None:
    if not isinstance(raw, list) or not raw:
        return None
    try:
        return [(str(m["role"]), str(m["content"])) for m in raw]
    except (KeyError, TypeError):
        return None


def turn_views(rec: dict[str, Any]) -> list[TurnView] | None:
    """The turns of a conversation record (None for a plain prompt)."""
    original = _messages(rec.get("conversation"))
    if original is None:
        return None
    contrast = _messages(rec.get("contrast_conversation"))
    selected = set(rec.get("edited_turns") or [])
    edits = record_edits(rec.get("edits"))
    views = []
    for i, (role, content) in enumerate(original):
        mine = [(n, e) for n, e in enumerate(edits) if e.turn == i and e.turn_start is not None]
        local = tuple(Edit(e.unit, e.turn_start or 0, (e.turn_start or 0) + len(e.old), e.old, e.new) for _, e in mine)
        spans = [(e.start, e.end, n) for (n, _), e in zip(mine, local)]
        new = contrast[i][1] if contrast and i < len(contrast) else None
        changed = new is not None and new != content
        new_spans = [(s, t, n) for (n, _), (s, t) in zip(mine, contrast_spans(local))]
        views.append(TurnView(i, role, _cut(content, spans), _cut(new, new_spans) if changed and new is not None else None,
                              i in selected))
    return views


def fold(text: str, width: int = 72) -> str:
    """One line of at most ``width`` characters standing for a folded turn."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
