"""The heat strip of ``unit_effects`` in the terminal and HTML reports: the planted word is the
hottest, too few candidates are said to be too few, and model text stays text."""

from __future__ import annotations

import io
import re
from dataclasses import replace

from rich.console import Console
from standins import planted_explanation

from promptfoil.report.heat import pieces
from promptfoil.report.html import render_html
from promptfoil.report.terminal import render
from promptfoil.types import UnitEffect


def _terminal(ex) -> str:
    buf = io.StringIO()
    render(ex, Console(file=buf, width=200, color_system=None))
    return buf.getvalue()


def test_terminal_names_the_planted_word_first():
    out = _terminal(planted_explanation("savings", seed=1))
    assert "word effects" in out
    line = out[out.index("scored candidates:"):]
    assert line.split(";")[0].split(":", 1)[1].strip().startswith("'savings' +")


def test_too_few_candidates_are_said_to_be_too_few():
    ex = planted_explanation("rich", budget=3)
    assert ex.unit_effects and not any(u.supported for u in ex.unit_effects)
    out = " ".join(_terminal(ex).split())
    assert "too few scored candidates to tell which words matter" in out
    assert all(p.level is None for p in pieces(ex.prompt, ex.unit_effects) if p.unit is not None)


def test_html_shades_the_planted_word_hottest():
    rec = {**planted_explanation("rich").to_dict(), "id": "a"}
    html = render_html([rec])
    spans = re.findall(r'<span class="(h[pn]\d|h0|hu)" title="([^"]*)">([^<]*)</span>', html)
    assert spans, "no heat strip in the page"
    hottest = max(spans, key=lambda s: (s[0].startswith("hp"), s[0][-1]))
    assert hottest[2] == "rich" and hottest[0] == "hp4"
    assert "rich&#39; +" in html or "'rich' +" in html


def test_html_escapes_unit_text():
    ex = planted_explanation("rich")
    bad = "<img src=x onerror=alert(1)>"
    prompt = ex.prompt.replace("rich", bad)
    shift = len(bad) - len("rich")
    moved = tuple(
        replace(u, old=bad, end=u.start + len(bad)) if u.old == "rich"
        else replace(u, start=u.start + shift, end=u.end + shift) if u.start > ex.prompt.index("rich") else u
        for u in ex.unit_effects
    )
    rec = {**ex.to_dict(), "id": "x", "prompt": prompt, "trace": [],
           "unit_effects": [u.__dict__ for u in moved]}
    html = render_html([rec])
    assert bad not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_units_that_do_not_lie_where_they_say_are_left_out():
    u = UnitEffect(unit=0, start=0, end=4, old="nope", effect=0.5, n_edited=3, n_other=3, supported=True)
    assert pieces("rich people", [u]) == []
