"""A dataset profile of a results file: how often answers flip (overall and per category),
which words and kinds of edit flip them across items, and what each item cost.

Works on the records of ``run``, ``redteam`` (see :mod:`.findings` for its own lines) and of an
``experiment`` folder (every results file under it, each record tagged with its ``run``).
Words are counted once per item whose contrast edited them, so one long prompt cannot
dominate; edit kinds are coarse word classes that need no tagger (see :func:`edit_kind`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import PromptfoilError
from ..runs.results_file import read_results
from ..prompt.words import FUNCTION_WORDS
from .findings import Findings, findings
from .metrics import Stat, llm_calls

#: Fields a category is looked for in when ``--by`` is not given, in this order.
AUTO_BY = ("run", "rule", "category")
NEGATIONS = frozenset("not no never none nobody nothing neither nor cannot can't don't doesn't didn't "
                      "won't isn't aren't wasn't weren't shouldn't wouldn't couldn't n't without".split())
TOP = 10


@dataclass(frozen=True)
class Group:
    """Flip rate of the items whose ``by`` field has one value."""

    value: str
    items: int
    failed: int
    found: int
    flip_rate: Stat


@dataclass(frozen=True)
class Summary:
    """The profile of one results file or experiment folder (``to_dict`` for machines)."""

    source: str
    kind: str  # "run", "redteam" or "experiment"
    items: int
    failed: int
    found: int
    flip_rate: Stat
    by: str | None
    groups: tuple[Group, ...]
    words: tuple[tuple[str, int], ...]
    pairs: tuple[tuple[str, str, int], ...]
    edit_kinds: tuple[tuple[str, int], ...]
    calls: Stat
    seconds: Stat
    findings: Findings | None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["words"] = [{"word": w, "items": n} for w, n in self.words]
        d["pairs"] = [{"old": o, "new": n, "items": c} for o, n, c in self.pairs]
        d["edit_kinds"] = [{"kind": k, "edits": n} for k, n in self.edit_kinds]
        return d


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def edit_kind(old: str, new: str) -> str:
    """A coarse class of one edit: "deleted", "negation" (a negation added or removed),
    "number", "word form" (same stem, e.g. avoid → avoided), "function word" or "content word"."""
    a, b = _norm(old), _norm(new)
    if not b:
        return "deleted"
    wa, wb = set(a.split()), set(b.split())
    if (wa & NEGATIONS) != (wb & NEGATIONS) or any(w.endswith("n't") for w in wa ^ wb):
        return "negation"
    if any(ch.isdigit() for ch in a + b):
        return "number"
    if a and len(a) >= 4 and a[:4] == b[:4]:
        return "word form"
    if wa and wa <= FUNCTION_WORDS:
        return "function word"
    return "content word"


def _found(rec: dict[str, Any]) -> bool:
    return "error" not in rec and bool(rec.get("found")) and rec.get("contrast_prompt") is not None


def flip_stat(records: Sequence[dict[str, Any]]) -> Stat:
    """Flip rate (share of explained items with a contrast) with its standard error; failures left out."""
    return Stat.of([1.0 if _found(r) else 0.0 for r in records if "error" not in r])


def _groups(records: Sequence[dict[str, Any]], by: str) -> tuple[Group, ...]:
    values: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        v = r.get(by, r.get(f"input_{by}"))
        values.setdefault("(none)" if v is None else str(v), []).append(r)
    out = [Group(v, len(rs), sum("error" in r for r in rs), sum(_found(r) for r in rs), flip_stat(rs))
           for v, rs in values.items()]
    return tuple(sorted(out, key=lambda g: _natural(g.value)))


def _natural(s: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s))


def _fields(records: Sequence[dict[str, Any]]) -> set[str]:
    return {k for r in records for k, v in r.items() if isinstance(v, (str, int, bool)) or v is None}


def summarize(records: Sequence[dict[str, Any]], source: str = "", by: str | None = None,
              kind: str | None = None) -> Summary:
    """The profile of ``records``; ``by`` names the field to split the flip rate by (default:
    the first of :data:`AUTO_BY` the records have). An unknown ``by`` is a one-line error."""
    if not records:
        raise PromptfoilError(f"{source or 'results'}: no results to summarise")
    if by is not None and not any(by in r or f"input_{by}" in r for r in records):
        fields = sorted(_fields(records) - {"prompt", "response", "contrast_prompt", "contrast_response"})
        raise PromptfoilError(f"--by {by}: no result has this field; fields: {', '.join(fields[:20])}")
    if by is None:
        by = next((f for f in AUTO_BY if any(f in r for r in records)), None)
    ok = [r for r in records if "error" not in r]
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    kinds: Counter[str] = Counter()
    for r in ok:
        if not _found(r):
            continue
        edits = [e for e in r.get("edits") or () if isinstance(e, dict)]
        words.update({_norm(str(e.get("old", ""))) for e in edits} - {""})
        pairs.update({(_norm(str(e.get("old", ""))), _norm(str(e.get("new", "")))) for e in edits})
        kinds.update(edit_kind(str(e.get("old", "")), str(e.get("new", ""))) for e in edits)
    is_redteam = kind == "redteam" or any("policy_verdict" in r for r in records)
    return Summary(
        source=source, kind=kind or ("redteam" if is_redteam else "run"),
        items=len(records), failed=len(records) - len(ok), found=sum(_found(r) for r in ok),
        flip_rate=flip_stat(records), by=by, groups=_groups(records, by) if by else (),
        words=tuple(words.most_common(TOP)),
        pairs=tuple((o, n, c) for (o, n), c in pairs.most_common(TOP)),
        edit_kinds=tuple(kinds.most_common()),
        calls=Stat.of([float(llm_calls(r)) for r in ok]),
        seconds=Stat.of([float(r.get("seconds") or 0.0) for r in ok]),
        findings=findings(records, by if by in ("rule", "category") else None) if is_redteam else None,
    )


def load(path: str | Path) -> tuple[list[dict[str, Any]], str]:
    """The records of a results file, or of every results file under an experiment folder
    (each tagged ``run``: its path in the folder, without ``.jsonl``), and the kind."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*.jsonl") if f.is_file())
        if not files:
            raise PromptfoilError(f"{p}: no results files (*.jsonl) in this folder")
        records = []
        for f in files:
            run = f.relative_to(p).with_suffix("").as_posix()
            records += [{**r, "run": run} for r in read_results(f)]
        return records, "experiment"
    return read_results(p), ""
