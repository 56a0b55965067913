"""What a line of a results file must hold before metrics, reports or comparisons use it.

A record written by ``promptfoil run`` always passes; a hand-edited or foreign one gets an
error that names its line and field, never a traceback from deep inside a computation.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import MissingDependency, PromptfoilError
from ..types import EXPLANATION_FIELDS, Explanation
from .items import ExplainerLike, RunItem


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


#: Keys of ``Explanation.to_dict()`` (and ``id``/``error``); carried fields that clash get ``input_``.
#: Keys a results line may not take from the input row (the input's own are renamed input_*).
RESERVED = frozenset({"id", "error", *EXPLANATION_FIELDS})
MAX_BAD_LINES_SHOWN = 5


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
