"""The terminal rendering of an explanation: edit colours match the HTML report's, the words
that differ in the responses are marked, and every contrast and the minimisation are shown.
Stand-ins only."""

from __future__ import annotations

import io
import os

from rich.console import Console
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer, FunctionTarget

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"


def echo(batch: list[str]) -> list[str]:
    """Stand-in target that repeats the prompt, so markup reaches the responses too."""
    return [f"You asked: {p} My answer depends on {len(p.split())} things." for p in batch]


class PathScorer(LostWordsScorer):
    """Reaches δ = 0.8 only when "rich" and "ruin" are both gone; losing "why" scores 0.3, so
    the myopic search walks through the decoy "why" first and ends with three edits."""

    def score(self, items):
        super().score(items)
        out = []
        for it in items:
            lost = set(it.y0.split()) - set(it.yc.split())
            key = len(lost & {"rich", "ruin"})
            out.append(0.9 if key == 2 else (0.3 + 0.1 * key if "why" in lost else 0.05 * key))
        return out


def explainer(scorer=None, target=None, **kw):
    kw.setdefault("algorithm", "cell")
    kw.setdefault("budget", 60)
    return Explainer(target=target or RecordingFunction(), infiller=SuffixInfiller(), scorer=scorer or PathScorer(),
                     threshold=kw.pop("threshold", 0.8), cache=False, **kw)


def test_terminal_output_marks_the_same_edits_and_response_words(tmp_path):
    """The rich rendering of `explain`: edit colours match the HTML's, differing words marked."""
    from rich.console import Console

    from promptfoil.report.terminal import PALETTE, coloured_prompts, render

    ex = Explainer(target=FunctionTarget(echo, name="echo"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.05, budget=6, fills_per_mask=2).explain(
        "Should I tell my boss that a coworker is stealing?")
    assert ex.found
    original, contrast = coloured_prompts(ex)
    styles_a = [str(s.style) for s in original.spans]
    styles_b = [str(s.style) for s in contrast.spans]
    assert styles_a == styles_b and styles_a[0].startswith(PALETTE[0])
    console = Console(record=True, width=100, file=open(os.devnull, "w"), force_terminal=True)  # noqa: SIM115
    render(ex, console)
    text = console.export_text(clear=False)
    assert ex.contrast_prompt in text.replace("\n", " ") or ex.edits[0].new in text
    html = console.export_html(inline_styles=True)
    assert "line-through" in html  # the removed words of the response are struck through
    assert len(PALETTE) == 6  # the HTML report has six matching colour classes e0..e5


def test_terminal_report_shows_every_contrast_and_the_minimisation():
    from promptfoil.report.terminal import render

    result = explainer(scorer=LostWordsScorer(), threshold=0.1, contrasts=3).explain(PROMPT)
    small = explainer().explain(PROMPT)
    buf = io.StringIO()
    console = Console(file=buf, width=160)
    render(result, console)
    render(small, console)
    text = buf.getvalue()
    assert "contrast 2 of 3" in text and "contrast 3 of 3" in text
    assert "minimised" in text and "from 3 edit(s)" in text
    assert "of which minimize" in text
