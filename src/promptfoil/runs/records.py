"""What a line of a results file must hold before metrics, reports or comparisons use it.

A record written by ``promptfoil run`` always passes; a hand-edited or foreign one gets an
error that names its line and field, never a traceback from deep inside a computation.
"""

from __future__ import annotations

import math
from typing import Any

from ..config import Config
from ..errors import MissingDependency, PromptfoilError
from ..types import EXPLANATION_FIELDS, Edit, Explanation
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
    _check_edits(rec.get("edits"), where, "edits")
    contrasts = rec.get("contrasts")
    if contrasts is not None:
        if not isinstance(contrasts, list):
            raise _fail(where, "contrasts", "a list of contrasts", contrasts)
        for i, c in enumerate(contrasts):
            _check_contrast(c, where, f"contrasts[{i}]")
    if rec.get("minimized_from") is not None:
        _check_contrast(rec["minimized_from"], where, "minimized_from")
    stages = rec.get("seconds_by_stage")
    if stages is not None:
        if not isinstance(stages, dict):
            raise _fail(where, "seconds_by_stage", "an object of seconds per stage", stages)
        for stage, v in stages.items():
            if not (_is_number(v) and v >= 0):
                raise _fail(where, f"seconds_by_stage.{stage}", "a number of seconds (at least 0)", v)
    for i, t in enumerate(rec.get("trace") or ()):
        if not isinstance(t, dict):
            raise _fail(where, f"trace[{i}]", "an object", t)
        if t.get("edits") is not None and not isinstance(t["edits"], list):
            raise _fail(where, f"trace[{i}].edits", "a list", t["edits"])
        _check_edits(t.get("edits"), where, f"trace[{i}].edits")


def _check_edits(edits: Any, where: str, name: str) -> None:
    """Each edit of a list (None: none) has its unit, start, end, old and new (see
    :meth:`~promptfoil.types.Edit.from_record`)."""
    for i, e in enumerate(edits or ()):
        try:
            Edit.from_record(e)
        except ValueError as exc:
            raise PromptfoilError(f"{where}: field '{name}[{i}]' is not an edit: {exc}") from None


def _check_contrast(c: Any, where: str, name: str) -> None:
    """One of ``contrasts`` (or ``minimized_from``): its prompt, response, numbers and edits."""
    if not isinstance(c, dict):
        raise _fail(where, name, "a contrast object", c)
    if not isinstance(c.get("prompt"), str):
        raise _fail(where, f"{name}.prompt", "text", c.get("prompt"))
    if c.get("response") is not None and not isinstance(c["response"], str):
        raise _fail(where, f"{name}.response", "text or null", c["response"])
    for key in ("score", "edit_distance", "stability"):
        if c.get(key) is not None and not _is_number(c[key]):
            raise _fail(where, f"{name}.{key}", "a finite number or null", c[key])
    if c.get("edits") is not None and not isinstance(c["edits"], list):
        raise _fail(where, f"{name}.edits", "a list", c["edits"])
    _check_edits(c.get("edits"), where, f"{name}.edits")


#: Keys of ``Explanation.to_dict()`` (and ``id``/``error``); carried fields that clash get ``input_``.
#: Keys a results line may not take from the input row (the input's own are renamed input_*).
RESERVED = frozenset({"id", "error", "settings", *EXPLANATION_FIELDS})
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


def _plain(value: Any) -> Any:
    """A JSON-safe form of a setting (a component object by its name)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(getattr(value, "name", None) or type(value).__name__)


#: Component options that change how answers are fetched, never what they say: a resume may change them.
PLUMBING_OPTIONS = frozenset({"timeout", "retries", "max_concurrency", "batch_size", "rpm", "lanes", "api_key_env", "delay"})


def settings_of(config: Config, job: str = "run", **extra: Any) -> dict[str, Any]:
    """What makes a results file one experiment: the job and every setting that changes an
    answer or a verdict. Written into each record; a resume with other settings is refused."""
    s = config.search

    def component(c: Any) -> dict[str, Any]:
        options = {k: v for k, v in dict(c.options).items() if k not in PLUMBING_OPTIONS}
        return {"name": _plain(c.name), "model": c.model, "options": _plain(options)}

    out = {
        "job": job,
        "target": component(config.target),
        "infiller": component(config.infiller),
        "scorer": component(config.scorer),
        "max_tokens": config.max_tokens,
        "budget": {"calls": config.budget.calls, "tokens": config.budget.tokens, "seconds": config.budget.seconds},
        **{k: _plain(getattr(s, k)) for k in (
            "algorithm", "split_k", "threshold", "direction", "seed", "fills_per_mask", "alpha", "max_iters",
            "unit_order", "min_fluency", "min_prompt_similarity", "min_edit_similarity", "minimize", "confirm", "contrasts", "order",
        )},
    }
    # Settings added later are recorded only when set, so files written before them still resume.
    out.update({k: _plain(getattr(s, k)) for k in ("give_up", "reuse_fills", "meaning_weight") if getattr(s, k)})
    out.update({k: _plain(v) for k, v in extra.items()})
    return out


def settings_difference(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: stored -> new`` for each setting that differs (nested keys dotted)."""
    out: list[str] = []

    def walk(a: Any, b: Any, key: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{key}.{k}" if key else k)
        elif a != b:
            out.append(f"{key}: {a!r} -> {b!r}")

    walk(stored, new, "")
    return out
