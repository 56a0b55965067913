"""Shared by the experiments: the Markdown/CSV table writer and a run of one configuration."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ...errors import PromptfoilError
from ..metrics import Stat
from ...runs.items import ExplainerLike, RunItem
from ...runs.engines.base import Engine
from ...runs.engines.local import LocalEngine
from ...runs.loop import run
from ...runs.outputs import check_inside
from ...runs.results_file import read_results

Progress = Callable[[str, int, int], None]  # (configuration, items done, items to do)


def run_config(name: str, items: Sequence[RunItem], explainer: ExplainerLike | Engine, out: Path,
               progress: Progress | None = None, trace: bool = False, root: Path | None = None) -> list[dict[str, Any]]:
    """Run (or resume) one configuration into ``out`` (inside the experiment folder ``root``,
    never through a link: :func:`~promptfoil.runs.outputs.check_inside`) and return its records."""
    check_inside(root or out.parent, out)
    state = {"todo": 0, "done": 0}

    def start(todo: int, skipped: int) -> None:
        state["todo"] = todo
        if progress:
            progress(name, 0, todo)

    def step(_it: RunItem, _rec: dict[str, Any]) -> None:
        state["done"] += 1
        if progress:
            progress(name, state["done"], state["todo"])

    engine = explainer if isinstance(explainer, Engine) else LocalEngine(explainer)
    run(items, engine, out, trace=trace, on_start=start, on_item=step)
    return read_results(out)


def cell_text(s: Stat | None, digits: int = 3) -> str:
    return "–" if s is None else s.fmt(digits)


def write_table(path_stem: Path, title: str, header: Sequence[str], rows: Sequence[Sequence[Stat | str | None]],
                note: str = "", root: Path | None = None) -> tuple[Path, Path]:
    """``<stem>.md`` (mean ± s.e.) and ``<stem>.csv`` (separate mean and s.e. columns), inside
    the experiment folder ``root`` (default: the stem's folder) and never through a link."""
    for suffix in (".md", ".csv"):
        check_inside(root or path_stem.parent, path_stem.with_suffix(suffix))
    md = [f"### {title}", ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        md.append("| " + " | ".join(c if isinstance(c, str) else cell_text(c) for c in row) + " |")
    if note:
        md += ["", note]
    try:
        path_stem.parent.mkdir(parents=True, exist_ok=True)
        md_path = path_stem.with_suffix(".md")
        md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
        csv_path = path_stem.with_suffix(".csv")
        with csv_path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            head: list[str] = [header[0]]
            for h in header[1:]:
                head += [h, f"{h} s.e.", f"{h} n"]
            w.writerow(head)
            for row in rows:
                line: list[Any] = [row[0] if isinstance(row[0], str) else cell_text(row[0])]
                for c in row[1:]:
                    if isinstance(c, Stat):
                        line += [c.mean, c.se, c.n]
                    else:
                        line += [c, "", ""]
                w.writerow(line)
    except OSError as exc:
        raise PromptfoilError(f"cannot write table {path_stem}: {exc}") from None
    return md_path, csv_path
