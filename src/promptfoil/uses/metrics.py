"""The paper's measures (§5.2) over a results file, each with its standard error.

- flip rate: share of explained prompts for which a contrast reached the threshold;
- edit distance: word-level Levenshtein(x0, x) / words in x0, over found contrasts;
- content preservation: cosine of sentence embeddings of x0 and x, over found contrasts
  (MiniLM here; the paper used bert-base-uncased, which is not available offline);
- calls per kind and seconds per explanation, over every explained prompt.

For a conversation, x0 and x are the turns that were open to edits (see :func:`edited_texts`).

Items recorded with an ``error`` are counted apart and left out of every mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..prompt.segment import edit_distance

CALL_KINDS = ("target", "original", "cache_hits", "infiller", "scorer")
Embedder = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Stat:
    """Mean, standard error of the mean (sample sd / sqrt n; None below two values) and n."""

    mean: float | None
    se: float | None
    n: int

    @staticmethod
    def of(values: Sequence[float]) -> Stat:
        vals = [float(v) for v in values]
        n = len(vals)
        if n == 0:
            return Stat(None, None, 0)
        mean = sum(vals) / n
        if n < 2:
            return Stat(mean, None, 1)
        var = sum((v - mean) ** 2 for v in vals) / (n - 1)
        return Stat(mean, math.sqrt(var / n), n)

    def fmt(self, digits: int = 3) -> str:
        if self.mean is None:
            return "–"
        se = "" if self.se is None else f" ± {self.se:.{digits}f}"
        return f"{self.mean:.{digits}f}{se}"


@dataclass(frozen=True)
class Metrics:
    """Aggregate measures of one results file (or one configuration of an experiment)."""

    items: int
    failed: int
    found: int
    flip_rate: Stat
    edit_distance: Stat
    content_preservation: Stat | None
    calls: dict[str, Stat]
    llm_calls: Stat
    seconds: Stat

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["calls"] = {k: asdict(v) for k, v in self.calls.items()}
        return d

    def rows(self) -> list[tuple[str, Stat]]:
        """(label, stat) pairs in display order."""
        out = [("flip rate", self.flip_rate), ("edit distance", self.edit_distance)]
        if self.content_preservation is not None:
            out.append(("content preservation", self.content_preservation))
        out.append(("LLM calls (target+original+cache hits)", self.llm_calls))
        out += [(f"calls: {k}", v) for k, v in self.calls.items()]
        out.append(("seconds per explanation", self.seconds))
        return out


def minilm_embedder() -> Embedder:
    """Sentence embeddings from the embedded all-MiniLM-L6-v2, normalised."""
    from ..backends.embedder import shared_embedder

    embedder = shared_embedder()
    embedder.encode(["warm-up"])  # load now, so a missing model is reported before the work
    return embedder.encode


def cosine_pairs(embed: Embedder, a: list[str], b: list[str]) -> list[float]:
    """Cosine similarity of ``a[i]`` and ``b[i]`` under ``embed``."""
    if not a:
        return []
    va, vb = np.asarray(embed(a), dtype=float), np.asarray(embed(b), dtype=float)
    na = np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1)
    return [float(x) for x in (va * vb).sum(axis=1) / np.where(na == 0, 1.0, na)]


def llm_calls(rec: dict[str, Any]) -> int:
    """Target queries the search asked for, paid or served by the cache, the original included.

    With a warm cache ``calls.target`` drops to zero; this count does not, so experiments
    compare algorithms, not cache states.
    """
    c = rec.get("calls") or {}
    return int(c.get("target", 0)) + int(c.get("original", 0)) + int(c.get("cache_hits", 0))


def edited_texts(rec: dict[str, Any]) -> tuple[str, str]:
    """The original and contrast text that content preservation compares: the prompts, or
    for a conversation only the turns open to edits (the fixed ones would inflate it)."""
    turns, a, b = rec.get("edited_turns"), rec.get("conversation"), rec.get("contrast_conversation")
    if turns and isinstance(a, list) and isinstance(b, list):
        try:
            return "\n".join(a[i]["content"] for i in turns), "\n".join(b[i]["content"] for i in turns)
        except (IndexError, KeyError, TypeError):
            pass
    return str(rec["prompt"]), str(rec["contrast_prompt"])


def compute(records: Sequence[dict[str, Any]], embed: Embedder | None = None) -> Metrics:
    """Metrics of result records (``read_results``); ``embed`` enables content preservation."""
    ok = [r for r in records if "error" not in r]
    is_found = [bool(r.get("found")) and r.get("contrast_prompt") is not None for r in ok]
    found = [r for r, f in zip(ok, is_found) if f]
    eds = [
        float(r["edit_distance"]) if r.get("edit_distance") is not None
        else edit_distance(r["prompt"], r["contrast_prompt"])
        for r in found
    ]
    cp = None
    if embed is not None:
        pairs = [edited_texts(r) for r in found]
        cp = Stat.of(cosine_pairs(embed, [a for a, _ in pairs], [b for _, b in pairs]))
    calls = {k: Stat.of([float((r.get("calls") or {}).get(k, 0)) for r in ok]) for k in CALL_KINDS}
    return Metrics(
        items=len(records),
        failed=len(records) - len(ok),
        found=len(found),
        flip_rate=Stat.of([1.0 if f else 0.0 for f in is_found]),
        edit_distance=Stat.of(eds),
        content_preservation=cp,
        calls=calls,
        llm_calls=Stat.of([float(llm_calls(r)) for r in ok]),
        seconds=Stat.of([float(r.get("seconds", 0.0)) for r in ok]),
    )


def render_table(m: Metrics, title: str = "metrics") -> Any:
    """A rich table of the metrics."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column("measure")
    t.add_column("mean ± s.e.", justify="right")
    t.add_column("n", justify="right")
    for label, s in m.rows():
        t.add_row(label, s.fmt(), str(s.n))
    t.caption = f"{m.items} items, {m.found} contrasts found, {m.failed} failed"
    return t
