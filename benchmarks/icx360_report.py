"""Summaries and the Markdown table of the promptfoil-vs-ICX360 benchmark.

A record is one explanation by one tool (a dict written by ``vs_icx360.py``); a
configuration is (pair, budget, split_k); the two tools of a pair are compared on the
same prompts.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

PAIRS = {"cell": ("cell", "mCELL"), "cell-budget": ("cell-budget", "CELL")}
CALLS_TARGET = 0.5  # promptfoil calls per explanation / ICX360's, at most
WALL_TARGET = 0.2  # promptfoil wall seconds per explanation / ICX360's, at most


def _mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return statistics.mean(xs) if xs else math.nan


def tool_summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-explanation means and counts for one tool on one configuration."""
    n = len(records)
    found = [r for r in records if r["found"]]
    over = [r["overrun"] for r in records if r.get("overrun")]
    crashes = [r["error"] for r in records if r.get("error")]
    return {
        "n": n,
        "flips": len(found),
        "flip_rate": len(found) / n if n else math.nan,
        "calls": _mean(r["calls"] for r in records),
        "repeats": _mean(r["repeats"] for r in records),
        "overrun_cases": len(over),
        "max_overrun": max(over, default=0),
        "edit_distance": _mean(r["edit_distance"] for r in found),
        "seconds": _mean(r["seconds"] for r in records),
        "target_s": _mean(r["target_s"] for r in records),
        "infill_s": _mean(r["infill_s"] for r in records),
        "score_s": _mean(r["score_s"] for r in records),
        "infill_masks": _mean(r["infill_masks"] for r in records),
        "crashes": len(crashes),
        "crash_kinds": sorted({e.split(":")[0] for e in crashes}),
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def compare(pf: dict[str, Any], icx: dict[str, Any]) -> dict[str, Any]:
    """Ratios promptfoil/ICX360 and whether each target of the issue is met."""
    calls_ratio = _ratio(pf["calls"], icx["calls"])
    wall_ratio = _ratio(pf["seconds"], icx["seconds"])
    return {
        "calls_ratio": calls_ratio,
        "wall_ratio": wall_ratio,
        "flip_ok": pf["flip_rate"] >= icx["flip_rate"],
        "calls_ok": calls_ratio <= CALLS_TARGET,
        "wall_ok": wall_ratio <= WALL_TARGET,
        "overrun_ok": pf["overrun_cases"] == 0,
    }


def summarise(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per configuration (in first-seen order), plus one pooled row per pair."""
    configs: dict[tuple[str, Any, int], dict[str, list[dict[str, Any]]]] = {}
    for r in records:
        key = (r["pair"], r["budget"], r["split_k"])
        configs.setdefault(key, {"promptfoil": [], "icx360": []})[r["tool"]].append(r)
    rows = []
    pooled: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (pair, budget, k), by_tool in configs.items():
        pool = pooled.setdefault(pair, {"promptfoil": [], "icx360": []})
        for tool in by_tool:
            pool[tool].extend(by_tool[tool])
        rows.append(_row(pair, budget, k, by_tool))
    for pair, by_tool in pooled.items():
        rows.append(_row(pair, "all", "all", by_tool))
    return rows


def _row(pair: str, budget: Any, k: Any, by_tool: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    pf, icx = tool_summary(by_tool["promptfoil"]), tool_summary(by_tool["icx360"])
    return {"pair": pair, "budget": budget, "split_k": k, "promptfoil": pf, "icx360": icx, **compare(pf, icx)}


def _f(x: float, digits: int = 1) -> str:
    return "–" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}f}"


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The comparison table: each cell is ``promptfoil / ICX360``."""
    head = (
        "| promptfoil vs ICX360 | B | k | n | flip rate | target calls / expl. | calls ratio | "
        "repeated prompts | budget overruns | edit distance | wall s / expl. | wall ratio | "
        "ICX360 crashes | targets met (flip, calls, wall, overruns) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        pf, icx = r["promptfoil"], r["icx360"]
        a, b = PAIRS[r["pair"]]
        budget = "∞" if r["budget"] is None else r["budget"]
        overruns = (
            "n/a" if r["pair"] == "cell"
            else f"{pf['overrun_cases']} / {icx['overrun_cases']} (max +{icx['max_overrun']})"
        )
        crashes = f"{icx['crashes']}" + (f" ({', '.join(icx['crash_kinds'])})" if icx["crashes"] else "")
        targets = ", ".join(
            _ok(x) for x in (r["flip_ok"], r["calls_ok"], r["wall_ok"], r["overrun_ok"])
        )
        lines.append(
            f"| {a} vs {b} | {budget} | {r['split_k']} | {pf['n']} | "
            f"{_f(pf['flip_rate'], 2)} / {_f(icx['flip_rate'], 2)} | "
            f"{_f(pf['calls'])} / {_f(icx['calls'])} | {_f(r['calls_ratio'], 2)} | "
            f"{_f(pf['repeats'])} / {_f(icx['repeats'])} | {overruns} | "
            f"{_f(pf['edit_distance'], 2)} / {_f(icx['edit_distance'], 2)} | "
            f"{_f(pf['seconds'])} / {_f(icx['seconds'])} | {_f(r['wall_ratio'], 2)} | "
            f"{crashes} | {targets} |"
        )
    return "\n".join(lines)


def time_table(rows: Sequence[dict[str, Any]]) -> str:
    """Where the wall time goes, per tool, on the pooled rows: target, infiller, scorer, rest."""
    lines = [
        "| tool | search | masks filled / expl. | target s | infiller s | scorer s | other s | total s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["budget"] != "all":
            continue
        for tool, name in zip(("promptfoil", "icx360"), PAIRS[r["pair"]]):
            s = r[tool]
            other = s["seconds"] - s["target_s"] - s["infill_s"] - s["score_s"]
            lines.append(
                f"| {tool} | {name} | {_f(s['infill_masks'])} | {_f(s['target_s'])} | "
                f"{_f(s['infill_s'])} | {_f(s['score_s'], 2)} | {_f(other, 2)} | {_f(s['seconds'])} |"
            )
    return "\n".join(lines)


def verdict(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Plain sentences: is each target of the issue met, on the pooled rows."""
    out = []
    for r in rows:
        if r["budget"] != "all":
            continue
        a, b = PAIRS[r["pair"]]
        pf, icx = r["promptfoil"], r["icx360"]
        met = all((r["flip_ok"], r["calls_ok"], r["wall_ok"], r["overrun_ok"]))
        out.append(
            f"- {a} vs {b}: flip rate {_f(pf['flip_rate'], 2)} vs {_f(icx['flip_rate'], 2)}; "
            f"calls ratio {_f(r['calls_ratio'], 2)} (target ≤ {CALLS_TARGET}); "
            f"wall ratio {_f(r['wall_ratio'], 2)} (target ≤ {WALL_TARGET}); "
            f"promptfoil budget overruns {pf['overrun_cases']}. "
            + ("All targets met." if met else "Targets **not** all met.")
        )
    return out
