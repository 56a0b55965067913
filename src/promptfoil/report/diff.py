"""Where two texts differ: the edits' places in a contrast prompt and a word-level diff of two
responses, shared by the terminal, HTML and explorer reports (none of which imports another)."""

from __future__ import annotations

import difflib
import re
from typing import Any

from ..types import Edit

_TOKEN = re.compile(r"\s+|[^\s]+")


def response_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Pieces of ``a`` (True = removed in ``b``) and of ``b`` (True = added); lossless."""
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    sm = difflib.SequenceMatcher(a=ta, b=tb, autojunk=False)
    pa: list[tuple[str, bool]] = []
    pb: list[tuple[str, bool]] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        same = op == "equal"
        if i2 > i1:
            pa.append(("".join(ta[i1:i2]), not same))
        if j2 > j1:
            pb.append(("".join(tb[j1:j2]), not same))
    return pa, pb


#: Colour of edit ``i`` (cycled): the same in the terminal and, by index, in HTML.
PALETTE = ("bold magenta", "bold cyan", "bold yellow", "bold green", "bold red", "bold blue")


def contrast_spans(edits: tuple[Edit, ...]) -> list[tuple[int, int]]:
    """Where each edit's new text lies in the contrast prompt (edits sorted by position)."""
    shift = 0
    spans = []
    for e in sorted(edits, key=lambda e: e.start):
        spans.append((e.start + shift, e.start + shift + len(e.new)))
        shift += len(e.new) - len(e.old)
    return spans


def record_edits(raw: Any) -> list[Edit]:
    """The well-formed edits of a results record, by position (a malformed one is left out)."""
    out = []
    for e in raw if isinstance(raw, list) else []:
        try:
            out.append(Edit.from_record(e))
        except ValueError:
            continue
    return sorted(out, key=lambda e: e.start)
