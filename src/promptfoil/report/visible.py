"""Text from models and users, made safe to print on a terminal.

A model can answer with escape sequences (``ESC [2J`` clears the screen, OSC 0 sets the
window title, OSC 8 plants a link) or with bidirectional overrides that reorder what a
reader sees. Before such text reaches a terminal every control character is replaced by a
visible one, one character for one, so edit offsets into the text stay valid: C0 controls
by their Unicode control pictures (ESC shows as ``␛``), DEL as ``␡``, C1 controls and
bidi overrides as ``�``. Newlines and tabs stay. HTML output escapes text instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

_KEEP = {"\n", "\t"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_TABLE = {c: chr(0x2400 + c) for c in range(0x20) if chr(c) not in _KEEP}
_TABLE[0x7F] = "\u2421"
_TABLE.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_TABLE.update({ord(c): "\ufffd" for c in _BIDI})

T = TypeVar("T")


def visible(text: str) -> str:
    """``text`` with every control character shown as a visible character (same length)."""
    return text.translate(_TABLE)


def visible_all(value: T) -> T:
    """``value`` (strings, lists, tuples, dicts, frozen dataclasses of them) with :func:`visible`
    applied to every string in it."""
    return _walk(value)  # type: ignore[no-any-return]


def _walk(v: Any) -> Any:
    if isinstance(v, str):
        return visible(v)
    if isinstance(v, dict):
        return {k: _walk(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):
        return type(v)(_walk(x) for x in v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return dataclasses.replace(v, **{f.name: _walk(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init})
    return v
