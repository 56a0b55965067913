"""What a dataset run explains: items read from JSONL or CSV prompt files.

A row is a prompt (``prompt``) or a conversation (``messages``, optional ``edit`` selectors),
with an optional ``id`` and ``protected`` spans; every other column is carried to the result.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..codec.jsonl import objects_and_errors
from ..errors import PromptfoilError
from ..prompt.conversation import Conversation, parse_selectors, render
from ..types import Explanation

MAX_BAD_LINES_SHOWN = 5


@dataclass(frozen=True)
class RunItem:
    """One prompt to explain; ``fields`` are the input's other columns, carried to the result.

    A row with ``messages`` is a conversation (``prompt`` is then its rendered text) and may
    name the turns to edit in ``edit`` (default: the run's, else ``user:-1``).
    """

    id: str
    prompt: str
    fields: dict[str, Any] = field(default_factory=dict)
    protected: tuple[tuple[int, ...], ...] = ()
    conversation: Conversation | None = None
    edit: tuple[str, ...] | None = None


class ExplainerLike(Protocol):
    def explain(self, prompt: Any, protected: Iterable[Sequence[int]] = ..., *,
                edit: Sequence[str] | None = ...) -> Explanation: ...


def _item(row: dict[str, Any], where: str, index: int) -> RunItem:
    conversation = edit = None
    if "messages" in row:
        try:
            conversation = Conversation.of(row["messages"])
            raw_edit = row.get("edit")
            if raw_edit is not None and not (isinstance(raw_edit, str) or (
                    isinstance(raw_edit, list) and all(isinstance(e, (str, int)) and not isinstance(e, bool)
                                                       for e in raw_edit))):
                raise PromptfoilError(f"'edit' must be a selector text such as \"user:-1\" or a list of them "
                                      f"(got {json.dumps(raw_edit)[:40]})")
            edit = None if raw_edit is None else parse_selectors(raw_edit)
        except PromptfoilError as exc:
            raise PromptfoilError(f"{where}: {exc}") from None
        row = {**row, "prompt": render(conversation.messages)}
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise PromptfoilError(f"{where}: no 'prompt' text (or 'messages' list)")
    raw_id = row.get("id")
    item_id = str(index) if raw_id is None or str(raw_id).strip() == "" else str(raw_id)
    protected: tuple[tuple[int, ...], ...] = ()
    size = 2 if conversation is None else 3
    if "protected" in row and isinstance(row["protected"], list):
        try:
            protected = tuple(tuple(int(x) for x in p) for p in row["protected"])
            if any(len(p) != size for p in protected):
                raise ValueError
        except (TypeError, ValueError):
            shape = "[start, end] pairs" if size == 2 else "[turn, start, end] triples"
            raise PromptfoilError(f"{where}: 'protected' must be a list of {shape}") from None
    fields = {k: v for k, v in row.items() if k not in ("id", "prompt", "protected", "messages", "edit")}
    return RunItem(item_id, prompt, fields, protected, conversation, edit)


def _check(items: list[RunItem], bad: list[str], path: Path) -> list[RunItem]:
    seen: dict[str, int] = {}
    for n, it in enumerate(items):
        if it.id in seen:
            bad.append(f"{path}: id {it.id!r} appears twice (items {seen[it.id] + 1} and {n + 1})")
        seen.setdefault(it.id, n)
    if bad:
        more = f" (and {len(bad) - MAX_BAD_LINES_SHOWN} more)" if len(bad) > MAX_BAD_LINES_SHOWN else ""
        raise PromptfoilError("malformed input: " + "; ".join(bad[:MAX_BAD_LINES_SHOWN]) + more)
    if not items:
        raise PromptfoilError(f"{path}: no prompts found")
    return items


def jsonl_objects(path: Path, what: str = "") -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The JSON objects of a JSONL file with their line numbers, and one message per bad line
    (blank lines are skipped; the codec's bounded reader); a file that cannot be read is an
    error naming ``what``."""
    return objects_and_errors(path, what)


def read_jsonl_items(path: Path) -> list[RunItem]:
    """Objects with a ``prompt`` field and optional ``id``; blank lines are ignored."""
    items: list[RunItem] = []
    rows, bad = jsonl_objects(path)
    for n, row in rows:
        try:
            items.append(_item(row, f"{path} line {n}", len(items) + 1))
        except PromptfoilError as exc:
            bad.append(str(exc))
    return _check(items, bad, path)


def read_csv_items(path: Path) -> list[RunItem]:
    """A CSV with a header row holding a ``prompt`` column (``id`` optional).

    Read strictly: a quoted field that is never closed is an error naming the line it
    starts on, not one row that swallows the rest of the file.
    """
    items: list[RunItem] = []
    bad: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, strict=True)
            if not reader.fieldnames or "prompt" not in reader.fieldnames:
                raise PromptfoilError(
                    f"{path}: the CSV header needs a 'prompt' column (found: {', '.join(reader.fieldnames or []) or 'none'})"
                )
            start = reader.line_num + 1
            for row in _csv_rows(reader, path, lambda: start):
                if None in row or any(v is None for v in row.values()):
                    bad.append(f"{path} line {start}: wrong number of columns")
                else:
                    try:
                        items.append(_item(dict(row), f"{path} line {start}", len(items) + 1))
                    except PromptfoilError as exc:
                        bad.append(str(exc))
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PromptfoilError(f"cannot read {path}: {exc}") from None
    return _check(items, bad, path)


def _csv_rows(reader: Any, path: Path, start: Callable[[], int]) -> Iterator[dict[str, Any]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            what = "a quoted field is never closed" if "end of data" in str(exc) else str(exc)
            raise PromptfoilError(f"{path} line {start()}: {what} (CSV error: {exc})") from None
        yield row


def read_items(path: str | Path) -> list[RunItem]:
    """Prompts from a ``.jsonl``/``.json`` or ``.csv`` file (by extension; JSONL otherwise)."""
    p = Path(path)
    if not p.is_file():
        raise PromptfoilError(f"prompts file not found: {p}")
    return read_csv_items(p) if p.suffix.lower() in (".csv", ".tsv") else read_jsonl_items(p)
