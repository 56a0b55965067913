"""Tables 1-5 of the paper: split_k 1-3 × CELL / CELL-budget, per explanation scorer.

For each explanation scorer (the paper: preference for Tables 1-2, contradiction for 3-5):

- ``comparison-<scorer>``: mean compare-scorer score of target vs contrast response and of
  baseline vs contrast response (Tables 1 and 3);
- ``properties-<scorer>``: edit distance, flip rate, content preservation, LLM calls and
  seconds per explanation (Tables 2, 4 and 5; their standard errors are Tables 6 and 7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..baseline import Comparison, compare
from ...errors import PromptfoilError
from ..metrics import Embedder, Metrics, compute
from ...runs.items import ExplainerLike, RunItem
from ...scorers.base import Scorer
from ...targets.base import Target
from ...targets.cache import ResponseCache
from ...runs.outputs import check_inside
from .common import Progress, run_config, write_table

ALGORITHMS = ("cell", "cell-budget")
SPLIT_KS = (1, 2, 3)
PAPER_TABLES = {"preference": "Tables 1 and 2", "contradiction": "Tables 3, 4 and 5"}

#: (explanation scorer, algorithm, split_k) -> an explainer for that configuration.
ExplainerFactory = Callable[[str, str, int], ExplainerLike]


@dataclass(frozen=True)
class TableCell:
    """Results of one configuration."""

    scorer: str
    algorithm: str
    split_k: int
    metrics: Metrics
    comparison: Comparison | None


def run_tables(
    items: Sequence[RunItem],
    out_dir: str | Path,
    make_explainer: ExplainerFactory,
    scorers: Sequence[str] = ("preference", "contradiction"),
    split_ks: Sequence[int] = SPLIT_KS,
    algorithms: Sequence[str] = ALGORITHMS,
    compare_scorer: Scorer | None = None,
    baseline_target: Target | None = None,
    cache: ResponseCache | None = None,
    embed: Embedder | None = None,
    progress: Progress | None = None,
) -> list[TableCell]:
    """Run every configuration (resumable, under ``out_dir/runs``) and write the tables."""
    out = Path(out_dir)
    cells: list[TableCell] = []
    for s in scorers:
        for k in split_ks:
            for a in algorithms:
                name = f"{s}__{a}__k{k}"
                records = run_config(name, items, make_explainer(s, a, k), out / "runs" / f"{name}.jsonl", progress,
                                     root=out)
                comp = None
                if compare_scorer is not None:
                    try:
                        comp, _ = compare(records, compare_scorer, baseline_target, cache)
                    except PromptfoilError:
                        comp = None  # no contrast found in this configuration: nothing to compare
                cells.append(TableCell(s, a, k, compute(records, embed), comp))
    write_tables(cells, out, compare_name=getattr(compare_scorer, "name", None))
    return cells


def write_tables(cells: Sequence[TableCell], out_dir: Path, compare_name: str | None = None) -> list[Path]:
    """Markdown and CSV files of the tables, plus ``README.md`` listing them."""
    written: list[Path] = []
    index = ["# promptfoil experiment: tables", ""]
    for s in dict.fromkeys(c.scorer for c in cells):
        mine = [c for c in cells if c.scorer == s]
        ks = sorted({c.split_k for c in mine})
        algs = list(dict.fromkeys(c.algorithm for c in mine))
        get = {(c.algorithm, c.split_k): c for c in mine}
        paper = PAPER_TABLES.get(s, "")
        if compare_name:
            header = ["split_k"] + [f"target vs {a}" for a in algs] + [f"baseline vs {a}" for a in algs]
            rows = []
            for k in ks:
                comps = [get[(a, k)].comparison for a in algs]
                rows.append([str(k)] + [c.original_vs_contrast if c else None for c in comps]
                            + [c.baseline_vs_contrast if c else None for c in comps])
            written += write_table(
                out_dir / "tables" / f"comparison-{s}",
                f"Mean {compare_name} score against the contrast response (explained with {s})",
                header, rows,
                "Positive: the first response is preferred to the contrast response. "
                f"Compare with the paper's {'Table 1' if s == 'preference' else 'Table 3' if s == 'contradiction' else 'Table 1/3'}.",
                root=out_dir,
            )
        header = ["split_k"]
        for a in algs:
            header += [f"{a} edit distance", f"{a} flip rate", f"{a} content preservation", f"{a} LLM calls", f"{a} seconds"]
        rows = []
        for k in ks:
            row: list = [str(k)]
            for a in algs:
                m = get[(a, k)].metrics
                row += [m.edit_distance, m.flip_rate, m.content_preservation, m.llm_calls, m.seconds]
            rows.append(row)
        written += write_table(
            out_dir / "tables" / f"properties-{s}",
            f"Edit distance, flip rate, content preservation, calls and time (explained with {s})",
            header, rows, f"Compare with the paper's {paper or 'Tables 2, 4, 5'}; mean ± standard error.",
            root=out_dir,
        )
    for p in written:
        if p.suffix == ".md":
            index += [p.read_text(encoding="utf-8"), ""]
    readme = check_inside(out_dir, out_dir / "README.md")
    readme.write_text("\n".join(index), encoding="utf-8")
    return written + [readme]
