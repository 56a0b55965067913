"""Dataset runs: items in, one results record per item out, appended as each finishes.

``items`` reads prompt files, ``records`` turns an explanation into a results line,
``results_file`` guards, reads and appends results files, ``loop.run`` drives an engine
(``engines``: this process, or Ray actors) and stays the only writer.
"""

from __future__ import annotations

from .engines.base import Engine
from .engines.local import LocalEngine
from .items import ExplainerLike, RunItem, _item, jsonl_objects, read_csv_items, read_items, read_jsonl_items
from .loop import RunSummary, run
from .records import RESERVED, explain_item, result_record
from .results_file import append_record, finished_ids, iter_results, read_results, repair_tail

__all__ = [
    "RESERVED", "Engine", "ExplainerLike", "LocalEngine", "RunItem", "RunSummary", "append_record", "explain_item",
    "finished_ids", "iter_results", "jsonl_objects", "read_csv_items", "read_items", "read_jsonl_items",
    "read_results", "repair_tail", "result_record", "run",
]
