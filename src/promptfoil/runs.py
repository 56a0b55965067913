"""Dataset runs: prompts in (JSONL or CSV), one explanation per line out, resumable.

Every result is appended, flushed and fsynced as soon as it is finished, so killing the
process at any moment (even SIGKILL) loses at most the item in flight. Re-running the same
command skips the ids already in the results file; the response cache means the target is
not asked again for anything it already answered.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .conversation import Conversation, parse_selectors, render
from .engines.base import Engine
from .errors import MissingDependency, PromptfoilError
from .jsonout import strict_dumps
from .records import check_record
from .results_file import check_results_file, results_lock
from .types import EXPLANATION_FIELDS, Explanation

#: Keys of ``Explanation.to_dict()`` (and ``id``/``error``); carried fields that clash get ``input_``.
#: Keys a results line may not take from the input row (the input's own are renamed input_*).
RESERVED = frozenset({"id", "error", *EXPLANATION_FIELDS})
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


@dataclass(frozen=True)
class RunSummary:
    """What one invocation of :func:`run` did."""

    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    repaired_tail: bool = False


class ExplainerLike(Protocol):
    def explain(self, prompt: Any, protected: Iterable[Sequence[int]] = ..., *,
                edit: Sequence[str] | None = ...) -> Explanation: ...


def _item(row: dict[str, Any], where: str, index: int) -> RunItem:
    conversation = edit = None
    if "messages" in row:
        try:
            conversation = Conversation.of(row["messages"])
            edit = None if row.get("edit") is None else parse_selectors(row["edit"])
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
    (blank lines are skipped); a file that cannot be read is an error naming ``what``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptfoilError(f"cannot read {what}{path}: {exc}") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    bad: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            bad.append(f"{path} line {n}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            bad.append(f"{path} line {n}: expected a JSON object, got {type(row).__name__}")
            continue
        rows.append((n, row))
    return rows, bad


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


def iter_results(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each complete line; a torn final line is skipped.

    A malformed line anywhere but the end is an error naming its line number.
    """
    p = Path(path)
    if not p.is_file():
        raise PromptfoilError(f"results file not found: {p}")
    try:
        data = p.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise PromptfoilError(f"cannot read {p}: {exc}") from None
    lines = data.split("\n")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            if n == len(lines):  # no newline after it: the write was cut off by a kill
                return
            raise PromptfoilError(f"{p} line {n}: not valid JSON") from None
        if not isinstance(rec, dict):
            raise PromptfoilError(f"{p} line {n}: expected a JSON object")
        yield n, rec


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """The records of a results file, the last one per id (a retried failure replaces the error).

    Each record is checked (:func:`~promptfoil.records.check_record`): a field of the wrong
    type is an error naming its line and field.
    """
    by_id: dict[str, dict[str, Any]] = {}
    for n, rec in iter_results(path):
        check_record(rec, f"{path} line {n}")
        by_id.pop(str(rec.get("id", f"line-{n}")), None)
        by_id[str(rec.get("id", f"line-{n}"))] = rec
    return list(by_id.values())


def repair_tail(path: Path) -> bool:
    """Cut a torn last line (a write killed midway) so appends start on a fresh line.

    Returns True when something was cut. A complete last record missing only its newline
    gets the newline. A last line that is not the start of a JSON object is not ours to
    cut: that is an error, and the file is left as it is.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return False
        fh.seek(0)
        data = fh.read()
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        try:
            json.loads(tail.decode("utf-8"))
        except ValueError:
            if not tail.lstrip().startswith(b"{"):
                raise PromptfoilError(
                    f"{path}: the last line is not a result; not a promptfoil results file, left unchanged"
                ) from None
            fh.truncate(cut)
            cut_it = True
        else:
            fh.seek(0, os.SEEK_END)
            fh.write(b"\n")
            cut_it = False
        fh.flush()
        os.fsync(fh.fileno())
        return cut_it


def finished_ids(path: Path, retry_failed: bool = False) -> set[str]:
    """Ids already in the results file (failures too, unless ``retry_failed``)."""
    if not path.is_file():
        return set()
    return {
        str(rec["id"]) for _, rec in iter_results(path)
        if "id" in rec and not (retry_failed and "error" in rec)
    }


def result_record(item: RunItem, ex: Explanation | None, error: str | None = None, trace: bool = True) -> dict[str, Any]:
    """The results line of one item: explanation (or error), its id and carried fields."""
    rec: dict[str, Any] = {"id": item.id}
    if ex is not None:
        d = ex.to_dict()
        if not trace:
            d.pop("trace", None)
        rec.update(d)
    else:
        rec.update({"prompt": item.prompt, "error": error})
        if item.conversation is not None:
            rec["conversation"] = item.conversation.to_list()
    for k, v in item.fields.items():
        rec[f"input_{k}" if k in RESERVED else k] = v
    return rec


def append_record(fh: Any, rec: dict[str, Any]) -> None:
    """One line, written at once, flushed and fsynced: durable before the next item starts.

    Strict JSON: a number that is not finite is written as null; text that is not valid
    Unicode (lone surrogates) is written escaped.
    """
    line = strict_dumps(rec, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = strict_dumps(rec, ensure_ascii=True)
    fh.write(line + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def explain_item(
    explainer: ExplainerLike, item: RunItem, trace: bool = True, stop_on: tuple[type[Exception], ...] = (),
) -> dict[str, Any]:
    """The results line of one item, whatever happens to it.

    A failing item gives a record with its ``error``; a missing package is raised (every
    item would fail the same way), as are interrupts and errors of a type in ``stop_on``.
    """
    try:
        if item.conversation is None:
            ex = explainer.explain(item.prompt, protected=item.protected)
        else:
            ex = explainer.explain(item.conversation, protected=item.protected, edit=item.edit)
        return result_record(item, ex, trace=trace)
    except MissingDependency:
        raise
    except stop_on:
        raise
    except PromptfoilError as exc:
        return result_record(item, None, str(exc))
    except Exception as exc:  # a user's target or model failing on one item
        return result_record(item, None, f"{type(exc).__name__}: {exc}")


def run(
    items: Sequence[RunItem],
    explainer: ExplainerLike | Engine,
    out: str | Path,
    *,
    retry_failed: bool = False,
    trace: bool = True,
    prompts_file: str | Path | None = None,
    lock: bool = True,
    on_start: Callable[[int, int], None] | None = None,
    on_item: Callable[[RunItem, dict[str, Any]], None] | None = None,
    edit: Sequence[str] | None = None,
    annotate: Callable[[RunItem, dict[str, Any]], dict[str, Any]] | None = None,
    stop_on: tuple[type[Exception], ...] = (),
) -> RunSummary:
    """Explain every item not yet in ``out``, appending each result as it finishes.

    ``explainer`` is an Explainer (explained here, one item after the other) or an
    :class:`~promptfoil.engines.Engine` (e.g. Ray workers); either way this process is the
    only writer of ``out``, and results arrive in whatever order they finish. A failing item
    is recorded with its ``error`` and the run goes on; a missing package stops the run.
    ``on_start(todo, skipped)`` is called once, ``on_item`` after each item is written.
    ``edit``: the turns to edit in a conversation row that names none. ``annotate(item,
    record)`` returns more fields for a record without error (``redteam``'s policy
    verdicts), added here before it is written. An error of a type in ``stop_on`` (with an
    Explainer, not an engine) stops the run instead of being recorded (``redteam``: a judge
    that fails its self-check).

    ``out`` must be a results file (or new, or empty) and not ``prompts_file``: nothing is
    written otherwise. With ``lock`` the run holds ``OUT.lock`` (a second run on the same
    file is refused); pass False when the caller holds it (:func:`results_lock`).
    """
    from .engines.local import LocalEngine

    engine = explainer if isinstance(explainer, Engine) else LocalEngine(explainer, stop_on)
    out = check_results_file(out, prompts_file)
    with results_lock(out) if lock else nullcontext():
        return _run(items, engine, out, retry_failed, trace, on_start, on_item, edit, annotate)


def _run(
    items: Sequence[RunItem],
    engine: Engine,
    out: Path,
    retry_failed: bool,
    trace: bool,
    on_start: Callable[[int, int], None] | None,
    on_item: Callable[[RunItem, dict[str, Any]], None] | None,
    edit: Sequence[str] | None = None,
    annotate: Callable[[RunItem, dict[str, Any]], dict[str, Any]] | None = None,
) -> RunSummary:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = finished_ids(out, retry_failed)  # reads (and so checks) every complete line first
    repaired = repair_tail(out)
    todo = [replace(it, edit=it.edit or (tuple(edit) if edit else None)) if it.conversation is not None else it
            for it in items if it.id not in done]
    skipped = len(items) - len(todo)
    if on_start:
        on_start(len(todo), skipped)
    t0 = time.perf_counter()
    n_done = n_failed = 0
    written: set[str] = set()
    with out.open("a", encoding="utf-8") as fh:
        for it, rec in engine.explain_items(todo, trace):
            if it.id in written:  # an engine that delivered an item twice: keep the first
                continue
            written.add(it.id)
            if annotate is not None and "error" not in rec:
                rec.update(annotate(it, rec))
            append_record(fh, rec)
            if "error" in rec:
                n_failed += 1
            else:
                n_done += 1
            if on_item:
                on_item(it, rec)
    return RunSummary(len(items), skipped, n_done, n_failed, round(time.perf_counter() - t0, 3), repaired)
