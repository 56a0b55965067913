"""Figure 3 of the paper: mean target calls of CELL-budget against document length.

Summarisation prompts of growing length are explained with the BLEU-SUMM scorer for each
split_k; documents are grouped into length bins and the mean LLM calls per bin is drawn with
a standard-error band (matplotlib, Agg, no display needed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import PromptfoilError
from ..metrics import Stat, llm_calls
from ...backends.embedded import require
from ...runs.items import ExplainerLike, RunItem
from ...prompt.segment import count_words
from ...runs.outputs import check_inside
from .common import Progress, run_config, write_table

#: split_k -> a CELL-budget explainer with the BLEU-SUMM scorer (or whatever the caller wants).
ExplainerFactory = Callable[[int], ExplainerLike]


@dataclass(frozen=True)
class Point:
    split_k: int
    length: float  # mean words of the documents in the bin
    calls: Stat


def doc_words(rec: dict[str, Any]) -> int:
    """Words of the document: the carried ``words`` field, else of the whole prompt."""
    w = rec.get("words")
    return int(w) if isinstance(w, (int, float)) else count_words(str(rec.get("prompt", "")))


def length_bins(lengths: Sequence[int], n_bins: int) -> list[tuple[int, int]]:
    """``n_bins`` half-open ranges [lo, hi) with about as many documents in each."""
    xs = sorted(lengths)
    if not xs:
        return []
    n_bins = max(1, min(n_bins, len(xs)))
    edges = [xs[round(i * (len(xs) - 1) / n_bins)] for i in range(n_bins)] + [xs[-1] + 1]
    bins = [(lo, hi) for lo, hi in zip(edges, edges[1:]) if hi > lo]
    return bins


def points(records_by_k: dict[int, list[dict[str, Any]]], n_bins: int) -> list[Point]:
    """Mean calls per length bin and split_k (failed items left out)."""
    out: list[Point] = []
    all_len = [doc_words(r) for rs in records_by_k.values() for r in rs if "error" not in r]
    bins = length_bins(sorted(set(all_len)), n_bins)
    for k, recs in sorted(records_by_k.items()):
        ok = [r for r in recs if "error" not in r]
        for lo, hi in bins:
            inside = [r for r in ok if lo <= doc_words(r) < hi]
            if inside:
                mean_len = sum(doc_words(r) for r in inside) / len(inside)
                out.append(Point(k, mean_len, Stat.of([llm_calls(r) for r in inside])))
    return out


def draw(pts: Sequence[Point], path: Path, budget: int | None = None) -> Path:
    """The figure as a PNG: one line per split_k, shaded ± one standard error."""
    require("matplotlib", "The calls-vs-length figure", "matplotlib", "report")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for k in sorted({p.split_k for p in pts}):
        mine = [p for p in pts if p.split_k == k]
        x = [p.length for p in mine]
        y = [p.calls.mean or 0.0 for p in mine]
        se = [p.calls.se or 0.0 for p in mine]
        ax.plot(x, y, marker="o", label=f"split_k = {k}")
        ax.fill_between(x, [a - b for a, b in zip(y, se)], [a + b for a, b in zip(y, se)], alpha=0.2)
    if budget:
        ax.axhline(budget + 1, color="grey", linestyle=":", linewidth=1, label=f"budget + original ({budget + 1})")
    ax.set_xlabel("document length (words)")
    ax.set_ylabel("mean LLM calls per explanation")
    ax.set_title("CELL-budget: model calls vs document length")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(str(path), format="png")
    except OSError as exc:
        raise PromptfoilError(f"cannot write {path}: {exc}") from None
    return path


def run_calls_vs_length(
    items: Sequence[RunItem],
    out_dir: str | Path,
    make_explainer: ExplainerFactory,
    split_ks: Sequence[int] = (1, 2, 3),
    n_bins: int = 6,
    budget: int | None = None,
    progress: Progress | None = None,
) -> tuple[list[Point], Path]:
    """Run (or resume) every split_k under ``out_dir/runs``; write ``calls-vs-length.png/.csv/.md``."""
    out = Path(out_dir)
    by_k = {
        k: run_config(f"calls__k{k}", items, make_explainer(k), out / "runs" / f"calls__k{k}.jsonl", progress, root=out)
        for k in split_ks
    }
    pts = points(by_k, n_bins)
    rows = [[str(p.split_k), f"{p.length:.0f}", p.calls] for p in pts]
    write_table(out / "calls-vs-length", "Mean LLM calls of CELL-budget by document length",
                ["split_k", "mean words", "LLM calls"], rows, "Compare with the paper's Figure 3.", root=out)
    return pts, draw(pts, check_inside(out, out / "calls-vs-length.png"), budget)
