"""Frozen result types shared by every pipeline stage.

Nothing here imports a model; these are plain values that travel between
segment -> infill -> query -> score -> search -> explanation -> report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import PromptfoilError
from .registry import views

Direction = Literal["increase", "decrease", "absolute"]
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "absolute")

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


@dataclass(frozen=True)
class Segment:
    """A piece of the prompt, ``prompt[start:end] == text``.

    Editable segments are units of ``split_k`` words (with whatever lies between them);
    the rest (whitespace, punctuation, protected spans) is carried verbatim.
    """

    start: int
    end: int
    text: str
    editable: bool


@dataclass(frozen=True)
class Edit:
    """One replaced unit: ``old`` at ``[start, end)`` of the *original* prompt became ``new``.

    In a conversation, ``turn`` is the index of the message it lies in and ``turn_start``
    where ``old`` starts in that message's content (both None for a plain prompt).
    """

    unit: int
    start: int
    end: int
    old: str
    new: str
    turn: int | None = None
    turn_start: int | None = None

    @classmethod
    def from_record(cls, raw: Any) -> Edit:
        """The edit a results record holds (``{"unit", "start", "end", "old", "new", ...}``);
        ValueError when it is not a mapping, a position is not a whole number or a text is not text."""
        if not isinstance(raw, dict):
            raise ValueError(f"an edit must be an object, got {type(raw).__name__}")
        try:
            pos = [raw[k] for k in ("unit", "start", "end")]
            old, new = raw["old"], raw["new"]
        except KeyError as exc:
            raise ValueError(f"an edit needs '{exc.args[0]}'") from None
        if any(isinstance(p, bool) or not isinstance(p, int) for p in pos):
            raise ValueError("an edit's unit, start and end must be whole numbers")
        if not isinstance(old, str) or not isinstance(new, str):
            raise ValueError("an edit's old and new must be text")
        turn, turn_start = raw.get("turn"), raw.get("turn_start")
        extra = [x for x in (turn, turn_start) if x is not None]
        if any(isinstance(x, bool) or not isinstance(x, int) for x in extra):
            raise ValueError("an edit's turn and turn_start must be whole numbers")
        return cls(pos[0], pos[1], pos[2], old, new, turn, turn_start)


@dataclass(frozen=True)
class Candidate:
    """A perturbed prompt: original units replaced by new text, keyed by unit index."""

    replacements: tuple[tuple[int, str], ...]
    text: str

    @property
    def units(self) -> frozenset[int]:
        return frozenset(u for u, _ in self.replacements)

    @property
    def n_edits(self) -> int:
        return len(self.replacements)


@dataclass(frozen=True)
class Reply:
    """What a target answered: the text, the tokens it cost (0 when unknown), and whether
    generation stopped at ``max_tokens`` (the text is then cut off). ``skipped`` says why the
    prompt was not answered at all (it does not fit the context): never cached or paid."""

    text: str
    tokens: int = 0
    truncated: bool = False
    skipped: str = ""


@dataclass(frozen=True)
class QueryResult:
    """A target answer as the search sees it; ``response`` is None when no budget paid for it."""

    response: str | None
    paid_by: PaidBy
    truncated: bool = False
    skipped: str = ""  # why the target could not take the prompt (response is then None)


@dataclass(frozen=True)
class TraceEntry:
    """Everything the search did with one candidate, in the order it happened."""

    step: int
    stage: str
    prompt: str
    edits: tuple[Edit, ...]
    status: Status
    paid_by: PaidBy
    response: str | None = None
    score: float | None = None
    parent: int | None = None  # index of the trace entry it was derived from
    reason: str = ""  # why a candidate was skipped (no-op, duplicate, ...) or re-asked
    truncated: bool = False  # the response stopped at max_tokens (scored on its complete sentences)


@dataclass(frozen=True)
class Calls:
    """Model calls of one explanation, per kind.

    ``target`` counts every budgeted query (perturbed prompts and re-samples); of those,
    ``minimize`` were spent undoing edits and ``confirm`` re-asking prompts of a stochastic
    target. ``original`` is the query of the input prompt (0 when it came from the cache);
    ``cache_hits`` responses served free.
    """

    target: int = 0
    original: int = 0
    infiller: int = 0
    scorer: int = 0
    cache_hits: int = 0
    minimize: int = 0
    confirm: int = 0


@dataclass(frozen=True)
class Contrast:
    """One contrastive prompt with its response, score and edits of the original prompt.

    ``stability`` is the share of the target's re-samples of ``prompt`` that still reach δ
    (None when it was not re-asked: a greedy target, or ``--confirm`` off).
    """

    prompt: str
    response: str | None
    score: float | None
    edits: tuple[Edit, ...]
    edit_distance: float | None
    stability: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Contrast:
        return cls(**{**d, "edits": tuple(Edit(**e) for e in d.get("edits") or ())})


@dataclass(frozen=True)
class UnitEffect:
    """How much editing one unit of the prompt moved the score, read off the trace (no call).

    ``effect`` is the mean goal-wise score (the score for ``increase``, minus it for
    ``decrease``, its size for ``absolute``) of the scored candidates that edited the unit
    minus that of the scored candidates that did not: positive means editing the unit pushed
    answers towards a contrast. ``n_edited`` / ``n_other`` candidates stand behind the two
    means; ``supported`` is False when either is below two (the estimate is then a guess).
    """

    unit: int
    start: int
    end: int
    old: str
    effect: float | None
    n_edited: int
    n_other: int
    supported: bool
    turn: int | None = None


@dataclass(frozen=True)
class Explanation:
    """The result of one explanation: found or not, the contrast, and how it was reached."""

    found: bool
    prompt: str
    response: str
    contrast_prompt: str | None
    contrast_response: str | None
    score: float | None
    threshold: float
    direction: Direction
    edits: tuple[Edit, ...]
    edit_distance: float | None
    calls: Calls
    budget: int | None
    algorithm: str
    split_k: int
    seed: int
    seconds: float
    trace: tuple[TraceEntry, ...] = field(repr=False)
    target: str = ""
    infiller: str = ""
    scorer: str = ""
    stop_reason: str = ""
    #: A conversation's messages (``prompt`` is then their rendered text), the messages of
    #: the contrast, and the turns that were open to edits; all None for a plain prompt.
    conversation: tuple[dict[str, str], ...] | None = None
    contrast_conversation: tuple[dict[str, str], ...] | None = None
    edited_turns: tuple[int, ...] | None = None
    #: Every contrast kept, ranked by edits then score; the first is the one above.
    contrasts: tuple[Contrast, ...] = ()
    #: The first contrast as the search found it, before edits were undone (None: not minimised).
    minimized_from: Contrast | None = None
    #: ``--confirm``: share of re-samples of the contrast that reach δ, and the noise band
    #: (the score furthest in the contrast direction of ``y0`` against its own re-samples).
    stability: float | None = None
    noise_band: float | None = None
    notes: tuple[str, ...] = ()
    #: The original / contrast response stopped at ``max_tokens``: scores compared only their
    #: complete sentences.
    truncated: bool = False
    contrast_truncated: bool = False
    #: Candidates the scorer could not score (a judge gave no readable answer).
    scorer_failures: int = 0
    #: Wall time split by stage: target, infiller, scorer, other (constraints included).
    seconds_by_stage: dict[str, float] = field(default_factory=dict)
    #: The sub-maxims the ``maxims`` scorer judged (None for every other scorer).
    submaxims: tuple[str, ...] | None = None
    #: Per edit of the contrast (same order as ``edits``), the score of the candidate that made
    #: that edit alone, when the search asked it (None: not asked alone). A contrast whose
    #: edits each stay short of δ needs them together.
    edit_scores: tuple[float | None, ...] = ()
    #: Not found: the closest candidate the search scored (never in the contrast fields).
    best_try: Contrast | None = None
    #: Per unit the search edited, its estimated effect on the score (see :class:`UnitEffect`),
    #: in prompt order; empty when nothing was scored.
    unit_effects: tuple[UnitEffect, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Explanation:
        """The typed record back from :meth:`to_dict` output (a results-file line); keys
        that are not fields (``id``, carried input fields) are ignored, a missing trace is empty."""
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["edits"] = tuple(Edit(**e) for e in d.get("edits") or ())
        kw["calls"] = Calls(**(d.get("calls") or {}))
        for key in ("conversation", "contrast_conversation", "edited_turns"):
            if d.get(key) is not None:
                kw[key] = tuple(d[key])
        kw["contrasts"] = tuple(Contrast.from_dict(c) for c in d.get("contrasts") or ())
        kw["minimized_from"] = Contrast.from_dict(d["minimized_from"]) if d.get("minimized_from") else None
        kw["best_try"] = Contrast.from_dict(d["best_try"]) if d.get("best_try") else None
        kw["edit_scores"] = tuple(d.get("edit_scores") or ())
        kw["unit_effects"] = tuple(UnitEffect(**u) for u in d.get("unit_effects") or ())
        kw["notes"] = tuple(d.get("notes") or ())
        if d.get("submaxims") is not None:
            kw["submaxims"] = tuple(d["submaxims"])
        kw["trace"] = tuple(
            TraceEntry(**{**t, "edits": tuple(Edit(**e) for e in t.get("edits") or ())}) for t in d.get("trace") or ()
        )
        return cls(**kw)

    def _repr_html_(self) -> str | None:
        """The HTML report of this explanation with its trace explorer, for Jupyter (see :data:`views`)."""
        return _view("explanation", record=self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; the schema is ``promptfoil/schema/explanation.json``."""
        d = asdict(self)
        d["edits"] = [asdict(e) for e in self.edits]
        for key in ("conversation", "contrast_conversation", "edited_turns"):
            if d[key] is not None:
                d[key] = list(d[key])
        d["trace"] = [
            {**asdict(t), "edits": [asdict(e) for e in t.edits]} for t in self.trace
        ]
        d["contrasts"] = [_contrast_dict(c) for c in self.contrasts]
        d["minimized_from"] = _contrast_dict(self.minimized_from) if self.minimized_from else None
        d["best_try"] = _contrast_dict(self.best_try) if self.best_try else None
        d["edit_scores"] = list(self.edit_scores)
        d["unit_effects"] = [asdict(u) for u in self.unit_effects]
        d["notes"] = list(self.notes)
        d["submaxims"] = list(self.submaxims) if self.submaxims is not None else None
        return d


def _contrast_dict(c: Contrast) -> dict[str, Any]:
    return {**asdict(c), "edits": [asdict(e) for e in c.edits]}


#: Field names of a result record: the explanation's own plus what a dataset run adds.
EXPLANATION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Explanation))


def _view(name: str, **kw: Any) -> str | None:
    """HTML from the ``views`` registry (filled by the report through promptfoil's entry
    points); None (Jupyter then shows the plain repr) when the report cannot be drawn."""
    if name not in views:
        return None
    try:
        return views.create(name, **kw)
    except (PromptfoilError, ImportError):
        return None


def result_lines(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each complete line of a JSONL results file; a torn final
    line (a write cut off by a kill) is skipped, any other malformed line is an error naming it."""
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


@dataclass(frozen=True)
class Results:
    """The records of a results file (``promptfoil.load_results``), the last one per id: a
    sequence of dicts that draws itself as the HTML report in Jupyter and turns into a
    pandas DataFrame (:meth:`to_frame`, pandas optional)."""

    records: tuple[dict[str, Any], ...]
    source: str = ""

    @classmethod
    def read(cls, path: str | Path) -> Results:
        by_id: dict[str, dict[str, Any]] = {}
        for n, rec in list(result_lines(path)):
            if "found" not in rec and "error" not in rec:
                raise PromptfoilError(f"{path} line {n}: not a promptfoil results file "
                                      "(each line of one has 'found' or 'error'; see promptfoil run)")
            key = str(rec.get("id", f"line-{n}"))
            by_id.pop(key, None)
            by_id[key] = rec
        return cls(tuple(by_id.values()), str(path))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.records[i]

    def explanations(self) -> list[Explanation]:
        """The records that hold an explanation (failures left out), typed."""
        return [Explanation.from_dict(r) for r in self.records if "error" not in r]

    def to_frame(self, trace: bool = False) -> Any:
        """One row per record (pandas); nested fields stay objects, the trace is left out
        unless ``trace``. A missing pandas is a one-line error saying how to get it."""
        try:
            import pandas as pd
        except ImportError:
            raise PromptfoilError("Results.to_frame needs pandas, which is not installed: pip install pandas "
                                  "(or use the records as they are: list(results))") from None
        rows = [r if trace else {k: v for k, v in r.items() if k != "trace"} for r in self.records]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str | None:
        """The HTML report of these results (profile, metrics, a card per record) for Jupyter."""
        return _view("results", records=list(self.records), source=self.source)
