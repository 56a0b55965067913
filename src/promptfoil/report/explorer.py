"""Data of the HTML report's trace explorer: one compact JSON object per explained item.

The page embeds, per item, ``{"s": strings, "p", "r", "th", "dir", "found", "win", "c"}``:
``s`` is a table of every distinct string of the item (prompts, responses, stages, statuses,
paid-by values), so the original response that many candidates repeat is stored once; the
other fields hold indices into it. ``c`` has one row per trace entry, in trace order::

    [step, stage, prompt, edits, status, paid_by, response (-1: none), score (null), parent (-1),
     reason (-1: none)]

``edits`` is a flat list ``[start, end, cstart, cend, ...]``: the edit's span in the original
prompt and the span of its new text in the candidate's prompt. A prompt is plain text here;
a chat prompt (a list of turns) is flattened by :func:`prompt_text`, and edits whose offsets
do not match the text are dropped (the page then diffs the prompt word by word instead).

:func:`json_for_script` writes the JSON so that it can sit inside ``<script>`` without any
model string ending the element or starting a comment.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from ..types import Edit
from .diff import contrast_spans

__all__ = ["csp_hash", "item_data", "json_for_script", "prompt_text"]

# What the page's script must see escaped: the HTML parser ends a <script> element at
# "</script" and changes state at "<!--"; U+2028/2029 broke JavaScript string literals.
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)


def json_for_script(obj: Any) -> str:
    """JSON text safe inside ``<script type="application/json">`` (``<``, ``>``, ``&`` as \\u escapes)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(_TABLE)


def csp_hash(source: str) -> str:
    """The Content-Security-Policy source expression that allows exactly this inline text."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def prompt_text(prompt: Any) -> str:
    """A prompt as the text the page shows: a string as is, chat turns as ``role: content`` blocks."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        parts = []
        for turn in prompt:
            if isinstance(turn, dict):
                parts.append(f"{turn.get('role', '')}: {turn.get('content', '')}")
            else:
                parts.append(str(turn))
        return "\n\n".join(parts)
    return "" if prompt is None else str(prompt)


class _Strings:
    """Distinct strings of one item, each stored once."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, s: str) -> int:
        i = self._index.get(s)
        if i is None:
            i = self._index[s] = len(self.items)
            self.items.append(s)
        return i


def _edit_spans(original: str, candidate: str, raw: Any) -> list[int]:
    """Flat ``[start, end, cstart, cend, ...]`` of a trace entry's edits; [] if they do not fit."""
    edits: list[Edit] = []
    try:
        edits = [Edit.from_record(e) for e in (raw if isinstance(raw, list) else [])]
    except ValueError:
        return []
    edits.sort(key=lambda e: e.start)
    out: list[int] = []
    pos = 0
    for e, (cs, ce) in zip(edits, contrast_spans(tuple(edits))):
        if e.start < pos or original[e.start:e.end] != e.old or candidate[cs:ce] != e.new:
            return []
        out += [e.start, e.end, cs, ce]
        pos = e.end
    return out


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return round(f, 6) if f == f and abs(f) != float("inf") else None


def _winner(rec: dict[str, Any], rows: Sequence[list[Any]], texts: list[str]) -> int:
    """Trace index of the contrast the record reports (the winner, or the best if not found)."""
    contrast = rec.get("contrast_prompt")
    if contrast is None:
        return -1
    contrast = prompt_text(contrast)
    hits = [i for i, row in enumerate(rows) if row[7] is not None and texts[row[2]] == contrast]
    score = _num(rec.get("score"))
    exact = [i for i in hits if rows[i][7] == score]
    return (exact or hits or [-1])[0]


def item_data(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The explorer's data of one result record, or None when it has no trace."""
    trace = rec.get("trace")
    if rec.get("error") or not isinstance(trace, list) or not trace:
        return None
    s = _Strings()
    original = prompt_text(rec.get("prompt"))
    data: dict[str, Any] = {
        "p": s(original),
        "r": s(str(rec.get("response") or "")),
        "th": _num(rec.get("threshold")),
        "dir": str(rec.get("direction") or "increase"),
        "found": bool(rec.get("found")),
    }
    rows: list[list[Any]] = []
    for t in trace:
        if not isinstance(t, dict):
            continue
        text = prompt_text(t.get("prompt"))
        resp = t.get("response")
        parent = t.get("parent")
        rows.append([
            int(t.get("step") or 0),
            s(str(t.get("stage") or "")),
            s(text),
            _edit_spans(original, text, t.get("edits")),
            s(str(t.get("status") or "")),
            s(str(t.get("paid_by") or "")),
            -1 if resp is None else s(str(resp)),
            _num(t.get("score")),
            parent if isinstance(parent, int) and 0 <= parent < len(trace) else -1,
            s(str(t["reason"])) if t.get("reason") else -1,
        ])
    data["win"] = _winner(rec, rows, s.items)
    data["c"] = rows
    data["s"] = s.items
    return data
