"""What a results record may hold: each field's type and range, checked in one place.

``check_record`` is lenient by default (every field a record has must have its type; a
record written by an older version may lack some) and strict for turning a record into an
:class:`~promptfoil.types.Explanation` (the fields it needs must be there). Numbers must be
finite and within sane bounds, so a hand-edited ``"seconds": 1e308`` is refused here, naming
its field, instead of overflowing in a sum later. The enumerations of the record's
vocabulary (directions, statuses, who paid) live here, below the types that use them.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

from ..errors import PromptfoilError

Direction = Literal["increase", "decrease", "absolute"]
DIRECTIONS: tuple[str, ...] = get_args(Direction)

#: Who paid for a candidate's response: a budgeted target query, the response cache,
#: or nobody because the candidate was dropped before querying.
PaidBy = Literal["budget", "cache", "none"]
PAID_BY: tuple[str, ...] = get_args(PaidBy)

#: What became of a candidate: scored; not asked because no budget was left ("over-budget");
#: not asked because the search had stopped or the candidate was dropped, e.g. by a
#: constraint ("skipped"); or answered but the scorer could not score it ("unscored": a judge
#: gave no readable answer). The JSON schema's enum is checked against this list by the tests.
Status = Literal["scored", "over-budget", "skipped", "unscored"]
STATUSES: tuple[str, ...] = get_args(Status)

#: Largest size of a score, threshold, distance or effect a record may hold.
MAX_MAGNITUDE = 1e12
#: Most seconds a record may report for one explanation (about 31 years).
MAX_SECONDS = 1e9
#: Largest whole number (calls, positions, seeds) a record may hold.
MAX_COUNT = 2**63 - 1

#: Fields of an Explanation without a default: a strict check needs each of them.
REQUIRED = ("found", "prompt", "response", "contrast_prompt", "contrast_response", "score", "threshold",
            "direction", "edit_distance", "budget", "algorithm", "split_k", "seed", "seconds")


def _fail(where: str, name: str, want: str, got: Any) -> PromptfoilError:
    shown = repr(got)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return PromptfoilError(f"{where}: field '{name}' must be {want} (got {shown})")


def is_number(v: Any, limit: float = MAX_MAGNITUDE) -> bool:
    """A finite int or float (not a bool) no larger than ``limit`` in size."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= limit


def is_count(v: Any) -> bool:
    """A whole number (not a bool) of at least 0."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_COUNT


class _Fields:
    """Checks of one object's fields, each error naming ``where`` and the dotted field."""

    def __init__(self, obj: dict[str, Any], where: str, prefix: str = "") -> None:
        self.obj, self.where, self.prefix = obj, where, prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, want: str) -> PromptfoilError:
        return _fail(self.where, self.name(key), want, self.obj.get(key))

    def has(self, key: str) -> bool:
        return self.obj.get(key) is not None

    def text(self, *keys: str, null: bool = True) -> None:
        for k in keys:
            if k in self.obj and not (isinstance(self.obj[k], str) or (null and self.obj[k] is None)):
                raise self.fail(k, "text or null" if null else "text")

    def number(self, *keys: str, limit: float = MAX_MAGNITUDE) -> None:
        for k in keys:
            if self.has(k) and not is_number(self.obj[k], limit):
                raise self.fail(k, f"a finite number (at most {limit:g} in size) or null")

    def count(self, *keys: str) -> None:
        for k in keys:
            if self.has(k) and not is_count(self.obj[k]):
                raise self.fail(k, "a whole number of at least 0 or null")

    def whole(self, *keys: str) -> None:
        for k in keys:
            v = self.obj.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or abs(v) > MAX_COUNT):
                raise self.fail(k, "a whole number or null")

    def flag(self, *keys: str) -> None:
        for k in keys:
            if k in self.obj and not isinstance(self.obj[k], bool):
                raise self.fail(k, "true or false")

    def choice(self, key: str, choices: tuple[str, ...]) -> None:
        if key in self.obj and self.obj[key] not in choices:
            raise self.fail(key, "one of " + ", ".join(choices))

    def items(self, key: str, want: str) -> list[Any]:
        """The list under ``key`` (None or missing: empty); anything else is an error."""
        v = self.obj.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            raise self.fail(key, want)
        return v

    def texts(self, key: str) -> None:
        for i, s in enumerate(self.items(key, "a list of texts")):
            if not isinstance(s, str):
                raise _fail(self.where, f"{self.name(key)}[{i}]", "text", s)


def edit_values(raw: Any) -> tuple[int, int, int, str, str, int | None, int | None]:
    """The fields of one edit record (``{"unit", "start", "end", "old", "new", "turn"?,
    "turn_start"?}``) in :class:`~promptfoil.types.Edit` order; ValueError saying what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError(f"an edit must be an object, got {type(raw).__name__}")
    try:
        pos = [raw[k] for k in ("unit", "start", "end")]
        old, new = raw["old"], raw["new"]
    except KeyError as exc:
        raise ValueError(f"an edit needs '{exc.args[0]}'") from None
    if not all(is_count(p) for p in pos):
        raise ValueError("an edit's unit, start and end must be whole numbers of at least 0")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ValueError("an edit's old and new must be text")
    turn, turn_start = raw.get("turn"), raw.get("turn_start")
    if not all(is_count(x) for x in (turn, turn_start) if x is not None):
        raise ValueError("an edit's turn and turn_start must be whole numbers of at least 0")
    return pos[0], pos[1], pos[2], old, new, turn, turn_start


def _edits(f: _Fields, key: str) -> None:
    for i, e in enumerate(f.items(key, "a list of edits")):
        try:
            edit_values(e)
        except ValueError as exc:
            raise PromptfoilError(f"{f.where}: field '{f.name(key)}[{i}]' is not an edit: {exc}") from None


def _object(f: _Fields, key: str, want: str) -> _Fields | None:
    v = f.obj.get(key)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise f.fail(key, want)
    return _Fields(v, f.where, f"{f.name(key)}.")


def check_contrast(c: Any, where: str, name: str) -> None:
    """One contrast (``contrasts[i]``, ``minimized_from``, ``best_try``): its prompt, response,
    numbers and edits."""
    if not isinstance(c, dict):
        raise _fail(where, name, "a contrast object", c)
    f = _Fields(c, where, f"{name}.")
    if not isinstance(c.get("prompt"), str):
        raise f.fail("prompt", "text")
    f.text("response")
    f.number("score", "edit_distance", "stability")
    _edits(f, "edits")


def _messages(f: _Fields, key: str) -> None:
    for i, m in enumerate(f.items(key, "a list of messages")):
        if not (isinstance(m, dict) and all(isinstance(v, str) for v in m.values())):
            raise _fail(f.where, f"{f.name(key)}[{i}]", "a message object of texts", m)


def _trace(f: _Fields) -> None:
    for i, t in enumerate(f.items("trace", "a list")):
        if not isinstance(t, dict):
            raise _fail(f.where, f"trace[{i}]", "an object", t)
        e = _Fields(t, f.where, f"trace[{i}].")
        e.count("step", "parent")
        e.text("stage", "prompt", null=False)
        e.text("response")
        e.number("score")
        e.text("reason", null=False)
        e.flag("truncated")
        e.choice("status", STATUSES)
        e.choice("paid_by", PAID_BY)
        _edits(e, "edits")


def _unit_effects(f: _Fields) -> None:
    for i, u in enumerate(f.items("unit_effects", "a list of unit effects")):
        if not isinstance(u, dict):
            raise _fail(f.where, f"unit_effects[{i}]", "a unit-effect object", u)
        e = _Fields(u, f.where, f"unit_effects[{i}].")
        for k in ("unit", "start", "end", "n_edited", "n_other"):
            if not is_count(u.get(k)):
                raise e.fail(k, "a whole number of at least 0")
        if not isinstance(u.get("old"), str):
            raise e.fail("old", "text")
        e.number("effect")
        e.flag("supported")
        e.count("turn")


def check_record(rec: dict[str, Any], where: str, strict: bool = False) -> None:
    """Raise naming ``where`` (file and line) and the field when ``rec`` is not a usable result.

    Lenient: every field a record has must have its type (numbers finite and bounded); a
    found contrast needs its ``prompt`` and ``contrast_prompt``; a record with an ``error``
    is not read further. ``strict`` also needs every field an Explanation cannot do without.
    """
    f = _Fields(rec, where)
    f.text("prompt", null=False)
    if "error" in rec and not strict:
        return
    if strict:
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise PromptfoilError(f"{where}: field '{missing[0]}' is missing (not a complete promptfoil result)")
    f.flag("found", "truncated", "contrast_truncated")
    if rec.get("found") and "prompt" not in rec:
        raise PromptfoilError(f"{where}: field 'prompt' is missing (not a result written by promptfoil run)")
    f.text("response", "contrast_prompt", "contrast_response")
    f.text("algorithm", "target", "infiller", "scorer", "stop_reason", null=False)
    if rec.get("found") and not isinstance(rec.get("contrast_prompt"), str):
        raise f.fail("contrast_prompt", "text when found is true")
    f.number("score", "edit_distance", "threshold", "stability", "noise_band")
    f.choice("direction", DIRECTIONS)
    f.whole("seed")
    f.count("budget", "split_k", "scorer_failures")
    if "seconds" in rec and not (is_number(rec["seconds"], MAX_SECONDS) and rec["seconds"] >= 0):
        raise f.fail("seconds", f"a number of seconds (0 to {MAX_SECONDS:g})")
    if f.has("edit_distance") and rec["edit_distance"] < 0:
        raise f.fail("edit_distance", "at least 0")
    calls = _object(f, "calls", "an object of call counts")
    if calls is not None:
        for kind, v in calls.obj.items():
            if not is_count(v):
                raise calls.fail(kind, "a whole number of at least 0")
    _edits(f, "edits")
    for i, c in enumerate(f.items("contrasts", "a list of contrasts")):
        check_contrast(c, where, f"contrasts[{i}]")
    for key in ("minimized_from", "best_try"):
        if rec.get(key) is not None:
            check_contrast(rec[key], where, key)
    stages = _object(f, "seconds_by_stage", "an object of seconds per stage")
    if stages is not None:
        for stage, v in stages.obj.items():
            if not (is_number(v, MAX_SECONDS) and v >= 0):
                raise stages.fail(stage, f"a number of seconds (0 to {MAX_SECONDS:g})")
    for i, s in enumerate(f.items("edit_scores", "a list of scores")):
        if s is not None and not is_number(s):
            raise _fail(where, f"edit_scores[{i}]", "a finite number or null", s)
    f.texts("notes")
    f.texts("submaxims")
    f.text("scorer_reason")
    _object(f, "verdict", "an object (the verdict read) or null")
    _messages(f, "conversation")
    _messages(f, "contrast_conversation")
    for i, t in enumerate(f.items("edited_turns", "a list of turn numbers")):
        if not is_count(t):
            raise _fail(where, f"edited_turns[{i}]", "a whole number of at least 0", t)
    _trace(f)
    _unit_effects(f)
