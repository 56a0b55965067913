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

from .engines.base import Engine
from .items import RunItem
from .results_file import append_record, check_results_file, finished_ids, repair_tail, results_lock


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

    ``out`` must be a results file (or new, or empty) and not ``prompts_file``: nothing is
    written otherwise. With ``lock`` the run holds ``OUT.lock`` (a second run on the same
    file is refused); pass False when the caller holds it (:func:`results_lock`).
    """
    if not isinstance(engine, Engine):
        raise TypeError(f"run() takes an engine (e.g. LocalEngine(explainer)), got {type(engine).__name__}")
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
