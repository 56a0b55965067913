"""Reading JSON and JSONL text with bounds: a line may be at most ``MAX_LINE_BYTES`` long
and nest at most ``MAX_DEPTH`` levels, so a hostile file ends in one error naming its line,
never in a RecursionError or a memory blow-up deep inside a computation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import PromptfoilError

#: Deepest nesting of arrays/objects a record may have (promptfoil's own records nest < 10).
MAX_DEPTH = 64
#: Longest line (in bytes) of a JSONL file; a record with a long trace is well below it.
MAX_LINE_BYTES = 64 * 1024 * 1024


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            d += 1
            if d > deepest:
                deepest = d
                if deepest > MAX_DEPTH:
                    return deepest
            stack.extend((x, d) for x in v if isinstance(x, (dict, list)))
    return deepest


def loads(text: str, where: str) -> Any:
    """The JSON value of ``text``; a PromptfoilError naming ``where`` when it is not JSON,
    longer than :data:`MAX_LINE_BYTES` or nested deeper than :data:`MAX_DEPTH`."""
    if len(text) > MAX_LINE_BYTES:
        raise PromptfoilError(f"{where}: longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB; not a record")
    too_deep = PromptfoilError(f"{where}: nested deeper than {MAX_DEPTH} levels; not a record")
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc))
        raise PromptfoilError(f"{where}: not valid JSON ({msg})") from None
    # A cheap count first: most lines open fewer brackets than the bound allows.
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise too_deep
    return value


def _lines(path: Path, what: str, errors: str = "replace") -> list[str]:
    """The lines of a UTF-8 file (``errors``: how undecodable bytes are treated)."""
    if not path.is_file():
        raise PromptfoilError(f"{what}not found: {path}")
    try:
        return path.read_bytes().decode("utf-8", errors=errors).split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptfoilError(f"cannot read {what}{path}: {exc}") from None


def objects(path: str | Path, what: str = "", torn_ok: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file.

    A line that is not a JSON object is an error naming the file and line; with ``torn_ok``
    a final line without a newline that does not parse (a write cut off by a kill) is skipped.
    """
    p = Path(path)
    return text_objects(_lines(p, what), str(p), torn_ok)


def text_objects(lines: str | list[str], source: str, torn_ok: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of JSONL text (``source`` names it in errors)."""
    if isinstance(lines, str):
        lines = lines.split("\n")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = loads(line, f"{source} line {n}")
        except PromptfoilError:
            if torn_ok and n == len(lines):
                return
            raise
        if not isinstance(rec, dict):
            raise PromptfoilError(f"{source} line {n}: expected a JSON object, got {type(rec).__name__}")
        yield n, rec


def objects_and_errors(path: str | Path, what: str = "") -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Like :func:`objects`, but every bad line is collected as a message instead of raised
    (blank lines are skipped), so a prompts file reports all its bad lines at once."""
    p = Path(path)
    rows: list[tuple[int, dict[str, Any]]] = []
    bad: list[str] = []
    for n, line in enumerate(_lines(p, what, "strict"), 1):
        if not line.strip():
            continue
        try:
            row = loads(line, f"{p} line {n}")
        except PromptfoilError as exc:
            bad.append(str(exc))
            continue
        if not isinstance(row, dict):
            bad.append(f"{p} line {n}: expected a JSON object, got {type(row).__name__}")
            continue
        rows.append((n, row))
    return rows, bad


def last_per_id(rows: Iterable[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The last (line, record) per ``id`` in file order of that last line (a record without
    an id stands alone); a retried item's newer record replaces its older one."""
    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, rec in rows:
        key = str(rec["id"]) if "id" in rec else f"\0line-{n}"
        by_id.pop(key, None)
        by_id[key] = (n, rec)
    return list(by_id.values())
