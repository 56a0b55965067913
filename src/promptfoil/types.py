"""Frozen result types shared by every pipeline stage.

Nothing here imports a model; these are plain values that travel between
segment -> infill -> query -> score -> search -> explanation -> report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import PromptfoilError
from .registry import views

from .codec.fields import (  # noqa: F401 - the record vocabulary, re-exported
    DIRECTIONS, PAID_BY, STATUSES, Direction, PaidBy, Status, check_contrast, check_record, edit_values,
)
from .codec.jsonl import last_per_id, objects


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
        return cls(*edit_values(raw))


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
    prompt was not answered at all (it does not fit the context): never cached or paid.
    ``masked``: a secret (an echoed API key) was masked in the text; such a reply is never
    written to the response cache, so a mask made for one key is never served to another."""

    text: str
    tokens: int = 0
    truncated: bool = False
    skipped: str = ""
    masked: bool = False


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
    def from_dict(cls, d: dict[str, Any], where: str = "contrast") -> Contrast:
        """The contrast a record holds; a PromptfoilError naming ``where`` and the field when
        one is of the wrong type (keys that are not fields are ignored)."""
        check_contrast(d, where, "contrast")
        return cls._build(d)

    @classmethod
    def _build(cls, d: dict[str, Any]) -> Contrast:
        kw = _known(cls, d)
        kw["edits"] = _edits(d.get("edits"))
        kw.setdefault("response", None)
        kw.setdefault("score", None)
        kw.setdefault("edit_distance", None)
        return cls(**kw)


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
    #: Why this contrast definition (scorer) was used for this prompt: set by the ``auto``
    #: scorer ("verdict: a yes/no question …", "semantic: an open question …"); empty otherwise.
    scorer_reason: str = ""
    #: The ``verdict`` definition only: the original answer's verdict (label, probabilities),
    #: the contrast's, and when nothing flipped (``held``), how many edits were asked, the
    #: closest score and examples of the edits the verdict held under. None for other scorers.
    verdict: dict[str, Any] | None = None
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
    def from_dict(cls, d: dict[str, Any], where: str = "record") -> Explanation:
        """The typed record back from :meth:`to_dict` output (a results-file line); keys
        that are not fields (``id``, carried input fields) are ignored, a missing trace is empty.
        A field of the wrong type is a PromptfoilError naming ``where`` and the field."""
        if not isinstance(d, dict):
            raise PromptfoilError(f"{where}: expected a record object, got {type(d).__name__}")
        check_record(d, where, strict=True)
        kw = _known(cls, d)
        kw["edits"] = _edits(d.get("edits"))
        kw["calls"] = Calls(**_known(Calls, d.get("calls") or {}))
        for key in ("conversation", "contrast_conversation", "edited_turns"):
            if d.get(key) is not None:
                kw[key] = tuple(d[key])
        kw["contrasts"] = tuple(Contrast._build(c) for c in d.get("contrasts") or ())
        for key in ("minimized_from", "best_try"):
            kw[key] = Contrast._build(d[key]) if d.get(key) else None
        kw["edit_scores"] = tuple(d.get("edit_scores") or ())
        kw["unit_effects"] = tuple(UnitEffect(**_known(UnitEffect, u)) for u in d.get("unit_effects") or ())
        kw["notes"] = tuple(d.get("notes") or ())
        kw["seconds_by_stage"] = dict(d.get("seconds_by_stage") or {})
        if d.get("submaxims") is not None:
            kw["submaxims"] = tuple(d["submaxims"])
        kw["trace"] = tuple(
            TraceEntry(**{**_known(TraceEntry, t), "edits": _edits(t.get("edits"))}) for t in d.get("trace") or ()
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


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``d`` that are fields of the dataclass ``cls`` (newer or carried keys dropped)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _edits(raw: Any) -> tuple[Edit, ...]:
    return tuple(Edit.from_record(e) for e in raw or ())


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
    return objects(path, "results file ", torn_ok=True)


def read_records(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) of a results file, the last one per id (a retried failure
    replaces the error), each checked leniently (:func:`~promptfoil.codec.fields.check_record`):
    a line without ``found`` or ``error`` means the file is not a results file at all."""
    rows = list(result_lines(path))  # every line parsed first: a torn JSON line is named as such
    for n, rec in rows:
        if "found" not in rec and "error" not in rec:
            raise PromptfoilError(f"{path} line {n}: not a promptfoil results file "
                                  "(each line of one has 'found' or 'error'; see promptfoil run)")
        check_record(rec, f"{path} line {n}")
    return last_per_id(rows)


@dataclass(frozen=True)
class Results:
    """The records of a results file (``promptfoil.load_results``), the last one per id: a
    sequence of dicts that draws itself as the HTML report in Jupyter and turns into a
    pandas DataFrame (:meth:`to_frame`, pandas optional)."""

    records: tuple[dict[str, Any], ...]
    source: str = ""
    #: The line each record was read from (empty when the records were not read from a file).
    lines: tuple[int, ...] = ()

    @classmethod
    def read(cls, path: str | Path) -> Results:
        rows = read_records(path)
        return cls(tuple(r for _, r in rows), str(path), tuple(n for n, _ in rows))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.records[i]

    def explanations(self) -> list[Explanation]:
        """The records that hold an explanation (failures left out), typed."""
        where = self.source or "results"
        places = ([f"{where} line {n}" for n in self.lines] if self.lines
                  else [f"{where} record {i}" for i in range(1, len(self.records) + 1)])
        return [Explanation.from_dict(r, at) for at, r in zip(places, self.records) if "error" not in r]

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
