"""Dataset runs: prompts in (JSONL or CSV), one explanation per line out, resumable.

Every result is appended, flushed and fsynced as soon as it is finished, so killing the
process at any moment (even SIGKILL) loses at most the item in flight. Re-running the same
command skips the ids already in the results file; the response cache means the target is
not asked again for anything it already answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import PromptfoilError
from .engines.base import Engine
from .items import RunItem
from .records import settings_difference
from .results_file import append_record, check_results_file, repair_tail, results_lock, stored_records


@dataclass(frozen=True)
class RunSummary:
    """What one invocation of :func:`run` did."""

    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    repaired_tail: bool = False


def run(
    items: Sequence[RunItem],
    engine: Engine,
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
    settings: dict[str, Any] | None = None,
    restart: bool = False,
) -> RunSummary:
    """Explain every item not yet in ``out``, appending each result as it finishes.

    ``engine`` explains the items (:class:`~promptfoil.runs.engines.local.LocalEngine`: this
    process, one item after the other; Ray workers); either way this process is the only
    writer of ``out``, and results arrive in whatever order they finish. A failing item
    is recorded with its ``error`` and the run goes on; a missing package stops the run.
    ``on_start(todo, skipped)`` is called once, ``on_item`` after each item is written.
    ``edit``: the turns to edit in a conversation row that names none. ``annotate(item,
    record)`` returns more fields for a record without error (``redteam``'s policy
    verdicts), added here before it is written.

    A results file holds one experiment: every record carries ``settings`` (default: the
    engine's, see :func:`~promptfoil.runs.records.settings_of`), and resuming a file written
    with other settings, or whose record for an id holds another prompt, is an error naming
    the difference. ``restart`` empties ``out`` first (it must be a results file).

    ``out`` must be a results file (or new, or empty) and not ``prompts_file``: nothing is
    written otherwise. With ``lock`` the run holds ``OUT.lock`` (a second run on the same
    file is refused); pass False when the caller holds it (:func:`results_lock`).
    """
    if not isinstance(engine, Engine):
        raise TypeError(f"run() takes an engine (e.g. LocalEngine(explainer)), got {type(engine).__name__}")
    explainer = getattr(engine, "explainer", None)
    out = check_results_file(out, prompts_file, getattr(explainer, "cache", None) or True)
    if settings is None:
        settings = getattr(engine, "settings", None)
    if settings is not None and edit:  # the turns edited change the experiment (recorded when given)
        settings = {**settings, "edit": list(edit)}
    with results_lock(out) if lock else nullcontext():
        if restart and out.is_file():
            out.write_bytes(b"")
        return _run(items, engine, out, retry_failed, trace, on_start, on_item, edit, annotate, settings)


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
    settings: dict[str, Any] | None = None,
) -> RunSummary:
    out.parent.mkdir(parents=True, exist_ok=True)
    stored = stored_records(out)  # reads (and so checks) every complete line first
    check_same_experiment(out, stored, items, settings)
    done = {i for i, rec in stored.items() if not (retry_failed and "error" in rec)}
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
            if settings is not None:
                rec["settings"] = settings
            append_record(fh, rec)
            if "error" in rec:
                n_failed += 1
            else:
                n_done += 1
            if on_item:
                on_item(it, rec)
    return RunSummary(len(items), skipped, n_done, n_failed, round(time.perf_counter() - t0, 3), repaired)


def _short(text: Any, n: int = 60) -> str:
    s = str(text)
    return repr(s if len(s) <= n else s[: n - 1] + "…")


def check_same_experiment(out: Path, stored: dict[str, dict[str, Any]], items: Sequence[RunItem],
                          settings: dict[str, Any] | None) -> None:
    """Refuse to add to ``out`` what belongs to another experiment: other settings than its
    records name, or an id whose stored prompt (or conversation) is not this item's."""
    hint = "write to a new --out, or give --restart to start this results file over"
    first = next((r["settings"] for r in stored.values() if isinstance(r.get("settings"), dict)), None)
    if settings is not None and first is not None:
        diff = settings_difference(first, settings)
        if diff:
            shown = "; ".join(diff[:4]) + (f" (and {len(diff) - 4} more)" if len(diff) > 4 else "")
            raise PromptfoilError(f"{out} holds another experiment (settings differ: {shown}); {hint}")
    for it in items:
        rec = stored.get(it.id)
        if rec is None:
            continue
        if it.conversation is not None:
            same = rec.get("conversation") == it.conversation.to_list()
        else:
            same = rec.get("conversation") is None and rec.get("prompt") == it.prompt
        if not same:
            raise PromptfoilError(
                f"{out}: id {it.id!r} was explained for another prompt ({_short(rec.get('prompt'))}, now "
                f"{_short(it.prompt)}); {hint}"
            )
