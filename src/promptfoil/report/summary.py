"""The dataset profile (:mod:`promptfoil.uses.summary`) for people: rich tables in the terminal,
and an HTML section (a flip-rate chart per category, drawn as inline SVG, and the tables) that
opens the HTML report and makes up ``summary --html``."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..uses.summary import Summary
from .visible import visible

BAR = 300  # px of a flip rate of 1
ROW = 24


def _pct(s: Any) -> str:
    return "–" if s.mean is None else f"{s.mean:.0%}" + ("" if s.se is None else f" ± {s.se:.0%}")


def _cut(text: str, n: int = 90) -> str:
    text = " ".join(visible(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_summary(s: Summary, console: Console) -> None:
    """Print the profile: red-team breaches first, then flip rates, words, edit kinds, cost."""
    console.print(Text(f"{s.source} · {s.kind} · {s.items} items · {s.found} contrasts found · {s.failed} failed",
                       style="bold"), highlight=False)
    f = s.findings
    if f is not None:
        if f.breaches:
            t = Table(title="the policy judge already rates the ORIGINAL answer as breaking the policy",
                      title_justify="left", title_style="bold red")
            for col in ("question", "group", "P(breaks)", "judge"):
                t.add_column(col)
            for b in f.breaches:
                t.add_row(_cut(b.question), b.group, f"{b.verdict:.2f}", "checked" if b.judge_check is None
                          else _cut(str(b.judge_check), 40))
            console.print(t)
        else:
            console.print("no original answer is rated as breaking the policy (P ≥ 0.5)", highlight=False)
    t = Table(title=f"flip rate (mean ± s.e.){f' by {s.by}' if s.by else ''}", title_justify="left")
    for col in (s.by or "items", "items", "found", "failed", "flip rate"):
        t.add_column(col, justify="left" if col == (s.by or "items") else "right")
    t.add_row("all", str(s.items), str(s.found), str(s.failed), _pct(s.flip_rate), style="bold")
    for g in s.groups:
        t.add_row(visible(g.value), str(g.items), str(g.found), str(g.failed), _pct(g.flip_rate))
    console.print(t)
    if s.words:
        w = Table(title="words the contrasts edited (items)", title_justify="left")
        w.add_column("word")
        w.add_column("items", justify="right")
        w.add_column("old → new")
        w.add_column("items", justify="right")
        for i in range(max(len(s.words), len(s.pairs))):
            word = s.words[i] if i < len(s.words) else ("", "")
            pair = s.pairs[i] if i < len(s.pairs) else None
            w.add_row(visible(word[0]), str(word[1]), visible(f"{pair[0]} → {pair[1] or '(deleted)'}") if pair else "",
                      str(pair[2]) if pair else "")
        console.print(w)
        console.print("edit kinds: " + ", ".join(f"{k} {n}" for k, n in s.edit_kinds), highlight=False)
    console.print(f"per item: LLM calls {s.calls.fmt(1)}, seconds {s.seconds.fmt(1)}", highlight=False)
    if f is not None and f.groups:
        g = Table(title=f"findings by {s.by if s.by in ('rule', 'category') else 'question'}", title_justify="left")
        for col in ("group", "questions", "findings", "strongest finding", "score"):
            g.add_column(col)
        for grp in f.groups:
            st = grp.strongest
            g.add_row(grp.group, str(grp.questions), str(grp.findings),
                      "" if st is None else f"{st.id}: {_cut(st.question, 60)}  [{_cut(st.edits, 60)}]",
                      "" if st is None or st.score is None else f"{st.score:.3f}")
        console.print(g)
        if f.unchecked:
            console.print(f"{f.unchecked} policy verdict(s) come from a judge that did not pass its self-check",
                          style="yellow", highlight=False)


def chart(s: Summary) -> dict[str, Any]:
    """Geometry of the flip-rate chart: one bar per group (the first: all items), with a
    standard-error whisker; labels stay text (the template escapes them)."""
    rows = [("all", s.flip_rate)] + [(g.value, g.flip_rate) for g in s.groups]
    bars = []
    for i, (label, st) in enumerate(rows):
        m = st.mean or 0.0
        se = st.se or 0.0
        bars.append({
            "y": i * ROW, "label": _cut(label, 24), "w": round(m * BAR, 1),
            "lo": round(max(0.0, m - se) * BAR, 1), "hi": round(min(1.0, m + se) * BAR, 1),
            "text": f"{_pct(st)} (n {st.n})", "all": i == 0,
        })
    return {"bars": bars, "height": len(rows) * ROW + 4, "bar": BAR}


def summary_view(s: Summary) -> dict[str, Any]:
    """What the HTML section shows, as plain values (escaped by the template)."""
    f = s.findings
    return {
        "s": s, "chart": chart(s), "pct": _pct,
        "pairs": [(o, n or "(deleted)", c) for o, n, c in s.pairs],
        "breaches": list(f.breaches) if f else None,
        "groups": list(f.groups) if f else [],
        "unchecked": f.unchecked if f else 0,
    }
