"""Summaries and Markdown tables of the promptfoil-vs-ICX360 benchmark.

A record is one explanation by one tool (a dict written by ``vs_icx360.py``); a
configuration is (prompt set, pair, budget, split_k); the two tools are compared on the same
cases (prompt x seed). Every mean carries its standard error; every ratio promptfoil / ICX360
a paired bootstrap 95% interval (``icx360_stats``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import icx360_stats as st

PAIRS = {"cell": ("cell", "mCELL"), "cell-budget": ("cell-budget", "CELL")}
CALLS_TARGET = 0.5  # promptfoil calls per explanation / ICX360's, at most
WALL_TARGET = 0.2  # promptfoil wall seconds per explanation / ICX360's, at most
EDIT_TARGET = 0.8  # promptfoil edit distance / ICX360's, at most


def tool_summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Means (with standard errors) and counts for one tool on one configuration."""
    n = len(records)
    found = [r for r in records if r["found"]]
    over = [r["overrun"] for r in records if r.get("overrun")]
    crashes = [r["error"] for r in records if r.get("error")]
    flip = len(found) / n if n else math.nan
    out: dict[str, Any] = {
        "n": n, "flips": len(found), "flip_rate": flip,
        "flip_se": math.sqrt(flip * (1 - flip) / n) if n > 1 else math.nan,
        "overrun_cases": len(over), "max_overrun": max(over, default=0),
        "crashes": len(crashes), "crash_kinds": sorted({e.split(":")[0] for e in crashes}),
    }
    for key in ("calls", "seconds", "repeats", "target_s", "infill_s", "score_s", "infill_masks"):
        out[key], out[key + "_se"] = st.mean_se([r[key] for r in records if r.get(key) is not None])
    for key in ("edit_distance", "content_preservation"):
        out[key], out[key + "_se"] = st.mean_se([r[key] for r in found if r.get(key) is not None])
    return out


def _key(r: dict[str, Any], i: int) -> tuple[Any, ...]:
    return (r.get("set", "-"), r["pair"], r["budget"], r["split_k"], r.get("seed", 0), r.get("prompt_id", i))


def cases_of(records: Sequence[dict[str, Any]]) -> list[st.Case]:
    """Pairs (promptfoil, ICX360) of records of the same case, in first-seen order."""
    pf: dict[tuple[Any, ...], dict[str, Any]] = {}
    icx: dict[tuple[Any, ...], dict[str, Any]] = {}
    counts = {"promptfoil": 0, "icx360": 0}
    for r in records:
        i = counts[r["tool"]]
        counts[r["tool"]] += 1
        (pf if r["tool"] == "promptfoil" else icx)[_key(r, i)] = r
    return [(pf[k], icx[k]) for k in pf if k in icx]


def compare(cases: Sequence[st.Case], pf: dict[str, Any], icx: dict[str, Any]) -> dict[str, Any]:
    """Ratios promptfoil/ICX360 with intervals, and whether each target of the issue is met."""
    calls = st.ratio_ci(cases, "calls")
    wall = st.ratio_ci(cases, "seconds")
    edit = st.ratio_ci(cases, "edit_distance", found_only=True)
    return {
        "calls_ratio": calls, "wall_ratio": wall, "edit_ratio": edit, "flip_diff": st.flip_diff_ci(cases),
        "flip_ok": pf["flip_rate"] >= icx["flip_rate"],
        "calls_ok": calls["ratio"] <= CALLS_TARGET,
        "wall_ok": wall["ratio"] <= WALL_TARGET,
        "edit_ok": edit["ratio"] <= EDIT_TARGET,
        "overrun_ok": pf["overrun_cases"] == 0,
    }


def _row(label: dict[str, Any], cases: list[st.Case]) -> dict[str, Any]:
    pf = tool_summary([c[0] for c in cases])
    icx = tool_summary([c[1] for c in cases])
    return {**label, "promptfoil": pf, "icx360": icx, **compare(cases, pf, icx)}


def summarise(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per configuration (first-seen order), then one pooled row per (set, pair)."""
    groups: dict[tuple[Any, ...], list[st.Case]] = {}
    pooled: dict[tuple[Any, ...], list[st.Case]] = {}
    for case in cases_of(records):
        r = case[0]
        groups.setdefault((r.get("set", "-"), r["pair"], r["budget"], r["split_k"]), []).append(case)
        pooled.setdefault((r.get("set", "-"), r["pair"]), []).append(case)
    rows = [_row({"set": s, "pair": p, "budget": b, "split_k": k}, cs) for (s, p, b, k), cs in groups.items()]
    rows += [_row({"set": s, "pair": p, "budget": "all", "split_k": "all"}, cs) for (s, p), cs in pooled.items()]
    return rows


def _f(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _pm(s: dict[str, Any], key: str, digits: int = 2) -> str:
    se = s.get(key + "_se", math.nan)
    return _f(s[key], digits) + ("" if isinstance(se, float) and math.isnan(se) else f" ± {_f(se, digits)}")


def _ci(r: dict[str, Any]) -> str:
    return f"{_f(r['ratio'])} [{_f(r['lo'])}, {_f(r['hi'])}]"


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def _label(r: dict[str, Any]) -> str:
    a, b = PAIRS[r["pair"]]
    budget = "∞" if r["budget"] is None else r["budget"]
    return f"{a} vs {b} | {budget} | {r['split_k']}"


def quality_table(rows: Sequence[dict[str, Any]]) -> str:
    """Flip rate, edit distance and content preservation: each cell ``promptfoil / ICX360``."""
    lines = [
        "| pair | B | k | cases | flip rate | flip diff [95% CI] | edit distance (found) | edit ratio [95% CI] "
        "| content preservation (found) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pf, icx = r["promptfoil"], r["icx360"]
        d = r["flip_diff"]
        lines.append(
            f"| {_label(r)} | {pf['n']} | {_pm(pf, 'flip_rate')} / {_pm(icx, 'flip_rate')} | "
            f"{_f(d['diff'])} [{_f(d['lo'])}, {_f(d['hi'])}] | {_pm(pf, 'edit_distance')} / "
            f"{_pm(icx, 'edit_distance')} | {_ci(r['edit_ratio'])} | {_pm(pf, 'content_preservation')} / "
            f"{_pm(icx, 'content_preservation')} |"
        )
    return "\n".join(lines)


def cost_table(rows: Sequence[dict[str, Any]]) -> str:
    """Calls, wall time, overruns, repeats, crashes and the targets of the issue."""
    lines = [
        "| pair | B | k | target calls / expl. | calls ratio [95% CI] | wall s / expl. | wall ratio [95% CI] "
        "| overruns (max) | repeated prompts | crashes | targets met (flip, calls, wall, edit, overruns) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pf, icx = r["promptfoil"], r["icx360"]
        overruns = (
            "n/a" if r["pair"] == "cell"
            else f"{pf['overrun_cases']} / {icx['overrun_cases']} (+{icx['max_overrun']})"
        )
        crashes = f"{pf['crashes']} / {icx['crashes']}" + (
            f" ({', '.join(sorted(set(pf['crash_kinds']) | set(icx['crash_kinds'])))})" if pf["crashes"] + icx["crashes"] else ""
        )
        met = ", ".join(_ok(r[k]) for k in ("flip_ok", "calls_ok", "wall_ok", "edit_ok", "overrun_ok"))
        lines.append(
            f"| {_label(r)} | {_pm(pf, 'calls', 1)} / {_pm(icx, 'calls', 1)} | {_ci(r['calls_ratio'])} | "
            f"{_pm(pf, 'seconds', 1)} / {_pm(icx, 'seconds', 1)} | {_ci(r['wall_ratio'])} | {overruns} | "
            f"{_f(pf['repeats'], 1)} / {_f(icx['repeats'], 1)} | {crashes} | {met} |"
        )
    return "\n".join(lines)


def time_table(rows: Sequence[dict[str, Any]]) -> str:
    """Where the wall time goes, per tool, on the pooled rows. promptfoil infills the next
    batch while the target works, so its parts can add up to more than its wall time."""
    lines = [
        "| set | tool | masks filled / expl. | target s | infiller s | scorer s | wall s | wall − parts |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["budget"] != "all":
            continue
        for tool in ("promptfoil", "icx360"):
            s = r[tool]
            rest = s["seconds"] - s["target_s"] - s["infill_s"] - s["score_s"]
            lines.append(
                f"| {r['set']} | {tool} | {_f(s['infill_masks'], 1)} | {_f(s['target_s'])} | "
                f"{_f(s['infill_s'])} | {_f(s['score_s'])} | {_f(s['seconds'])} | {_f(rest)} |"
            )
    return "\n".join(lines)


def verdict(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Plain sentences, one per pooled row: which targets are met, and by how much if not."""
    out = []
    for r in rows:
        if r["budget"] != "all":
            continue
        pf, icx = r["promptfoil"], r["icx360"]
        misses = []
        if not r["flip_ok"]:
            misses.append(f"flip rate {_f(pf['flip_rate'])} < {_f(icx['flip_rate'])}")
        for key, name, target in (("calls", "calls", CALLS_TARGET), ("wall", "wall time", WALL_TARGET),
                                  ("edit", "edit distance", EDIT_TARGET)):
            if not r[f"{key}_ok"]:
                ratio = r[f"{key}_ratio"]["ratio"]
                if ratio is None or ratio != ratio:  # no contrast on one side: nothing to compare
                    misses.append(f"{name} ratio not measurable (no contrast found by one tool)")
                else:
                    misses.append(f"{name} ratio {_f(ratio)} > {target} (by {_f(ratio / target)}×)")
        if not r["overrun_ok"]:
            misses.append(f"{pf['overrun_cases']} budget overruns")
        a, b = PAIRS[r["pair"]]
        head = (
            f"- {r['set']}, {a} vs {b} ({pf['n']} cases): flip rate {_pm(pf, 'flip_rate')} vs "
            f"{_pm(icx, 'flip_rate')}; calls ratio {_ci(r['calls_ratio'])}; wall ratio {_ci(r['wall_ratio'])}; "
            f"edit-distance ratio {_ci(r['edit_ratio'])}; promptfoil overruns {pf['overrun_cases']}. "
        )
        out.append(head + ("All targets met." if not misses else "Targets **missed**: " + "; ".join(misses) + "."))
    return out
