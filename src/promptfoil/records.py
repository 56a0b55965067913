"""What a line of a results file must hold before metrics, reports or comparisons use it.

A record written by ``promptfoil run`` always passes; a hand-edited or foreign one gets an
error that names its line and field, never a traceback from deep inside a computation.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import PromptfoilError


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fail(where: str, name: str, want: str, got: Any) -> PromptfoilError:
    shown = repr(got)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return PromptfoilError(f"{where}: field '{name}' must be {want} (got {shown})")


def check_record(rec: dict[str, Any], where: str) -> None:
    """Raise naming ``where`` (file and line) and the field when ``rec`` is not a usable result.

    Every field a record has must have its type (numbers finite); a found contrast needs
    its ``prompt`` and ``contrast_prompt``. A record with an ``error`` is not read further.
    """
    if "prompt" in rec and not isinstance(rec["prompt"], str):
        raise _fail(where, "prompt", "text", rec["prompt"])
    if "error" in rec:
        return
    if "found" in rec and not isinstance(rec["found"], bool):
        raise _fail(where, "found", "true or false", rec["found"])
    if rec.get("found") and "prompt" not in rec:
        raise PromptfoilError(f"{where}: field 'prompt' is missing (not a result written by promptfoil run)")
    for name in ("response", "contrast_prompt", "contrast_response"):
        if rec.get(name) is not None and not isinstance(rec[name], str):
            raise _fail(where, name, "text or null", rec[name])
    if rec.get("found") and not isinstance(rec.get("contrast_prompt"), str):
        raise _fail(where, "contrast_prompt", "text when found is true", rec.get("contrast_prompt"))
    for name in ("score", "edit_distance", "threshold"):
        if rec.get(name) is not None and not _is_number(rec[name]):
            raise _fail(where, name, "a finite number or null", rec[name])
    if "seconds" in rec and not (_is_number(rec["seconds"]) and rec["seconds"] >= 0):
        raise _fail(where, "seconds", "a number of seconds (at least 0)", rec["seconds"])
    if rec.get("edit_distance") is not None and rec["edit_distance"] < 0:
        raise _fail(where, "edit_distance", "at least 0", rec["edit_distance"])
    calls = rec.get("calls")
    if calls is not None:
        if not isinstance(calls, dict):
            raise _fail(where, "calls", "an object of call counts", calls)
        for kind, v in calls.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _fail(where, f"calls.{kind}", "a whole number of at least 0", v)
    for name in ("edits", "trace"):
        if rec.get(name) is not None and not isinstance(rec[name], list):
            raise _fail(where, name, "a list", rec[name])
