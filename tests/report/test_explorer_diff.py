"""The explorer's candidate panel and chart, as a reader sees them in headless Chromium:
deleted and inserted prompt text look different and do not run together, two answers with
little in common are shown side by side instead of interleaved word by word, and the
best-so-far line is a step like its legend.

Synthetic traces (``trace_fakes``), no model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import trace_fakes

import browser
from promptfoil.report.html import write_html

needs_browser = pytest.mark.skipif(
    not browser.available() and not os.environ.get("CI"),
    reason="chromium or websocket-client missing (make browser)",
)

UNRELATED = "Bananas grow quickly in warm places near the sea."


@pytest.fixture(scope="module")
def chrome():
    if not browser.available():
        pytest.skip("chromium or websocket-client missing (make browser)")
    with browser.Browser() as b:
        yield b


def _record() -> tuple[dict[str, Any], int, int]:
    """A trace where candidate ``far`` answers something unrelated to the original answer
    and candidate ``near`` changes one word of it."""
    rec = trace_fakes.record("diff", n=30, seed=12)
    trace = rec["trace"]
    scored = [k for k, t in enumerate(trace) if t["response"] is not None and t["edits"]
              and all(e["old"] and e["new"] for e in t["edits"])]
    far, near = scored[1], scored[2]
    trace[far]["response"] = UNRELATED
    words = rec["response"].split(" ")
    words[3] = "quietly"
    trace[near]["response"] = " ".join(words)
    return rec, far, near


def _open(b: browser.Browser, tmp_path: Path, rec: dict[str, Any]) -> None:
    path = write_html([rec], tmp_path / "report.html", title="explorer diff test")
    b.open(path.resolve().as_uri(), settle=0.2)
    b.wait_until("document.querySelector('#item-1 .explorer[data-ready]') !== null")


def _clean(b: browser.Browser) -> None:
    assert b.console_errors() == []
    assert all(u.startswith("file://") for u in b.requests()), b.requests()


DETAIL = "document.querySelector('#item-1 .ex-detail')"


@needs_browser
def test_deleted_and_inserted_prompt_text_look_different_with_a_gap(chrome, tmp_path):
    rec, far, _ = _record()
    _open(chrome, tmp_path, rec)
    chrome.click(f'#item-1 tr[data-i="{far}"] td.txt')
    pairs = chrome.evaluate(
        f"[...{DETAIL}.querySelectorAll('.cand-prompt del')].filter(d => d.nextSibling && d.nextSibling.nodeName === 'INS')"
        ".map(d => { const i = d.nextSibling, sd = getComputedStyle(d), si = getComputedStyle(i),"
        " rd = d.getBoundingClientRect(), ri = i.getClientRects()[0];"
        " return {del: sd.textDecorationLine, ins: si.textDecorationLine, cdel: sd.color, cins: si.color,"
        " bdel: sd.backgroundColor, bins: si.backgroundColor, sameLine: Math.abs(rd.top - ri.top) < 2,"
        " gap: ri.left - rd.right, old: d.textContent, new: i.textContent} })"
    )
    assert pairs, "no edit drawn as deleted text followed by inserted text"
    for p in pairs:
        assert "line-through" in p["del"] and "line-through" not in p["ins"], p  # struck out vs not
        assert "underline" in p["ins"], p
        assert p["cdel"] != p["cins"] and p["bdel"] != p["bins"], p  # and in other colours
        if p["sameLine"]:
            assert p["gap"] >= 4, p  # "okay legal", not "okaylegal"
    _clean(chrome)


@needs_browser
def test_unrelated_responses_are_shown_side_by_side_not_interleaved(chrome, tmp_path):
    rec, far, _ = _record()
    _open(chrome, tmp_path, rec)
    chrome.click(f'#item-1 tr[data-i="{far}"] td.txt')
    box = f"{DETAIL}.querySelector('.cand-response')"
    assert chrome.evaluate(f"{box}.classList.contains('side')") is True
    # each answer whole, in its own column: no word of one between words of the other
    assert chrome.evaluate(f"[...{box}.children].map(e => e.textContent)") == [rec["response"], UNRELATED]
    left, right = chrome.evaluate(f"[...{box}.children].map(e => {{ const r = e.getBoundingClientRect();"
                                  " return [r.left, r.right, r.top] })")
    assert right[0] >= left[1] and abs(right[2] - left[2]) < 2  # side by side
    assert "side by side" in chrome.evaluate(f"[...{DETAIL}.querySelectorAll('.label')].map(l => l.textContent).join('|')")
    _clean(chrome)


@needs_browser
def test_similar_responses_keep_the_word_diff(chrome, tmp_path):
    rec, _, near = _record()
    _open(chrome, tmp_path, rec)
    chrome.click(f'#item-1 tr[data-i="{near}"] td.txt')
    box = f"{DETAIL}.querySelector('.cand-response')"
    assert chrome.evaluate(f"{box}.classList.contains('side')") is False
    assert chrome.evaluate(f"[...{box}.querySelectorAll('ins')].map(e => e.textContent.trim())") == ["quietly"]
    assert chrome.evaluate(f"[...{box}.childNodes].filter(n => n.nodeName !== 'DEL').map(n => n.textContent).join('')") \
        == rec["trace"][near]["response"]
    _clean(chrome)


@needs_browser
def test_best_so_far_line_is_a_step(chrome, tmp_path):
    rec = trace_fakes.record("step", n=40, seed=5)
    _open(chrome, tmp_path, rec)
    raw = chrome.evaluate("document.querySelector('#item-1 svg.chart polyline.best').getAttribute('points')")
    pts = [tuple(float(v) for v in p.split(",")) for p in raw.split()]
    assert len(pts) >= 3
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        assert x0 == x1 or y0 == y1, (x0, y0, x1, y1)  # flat, or straight up: never a diagonal
        assert x1 >= x0 and y1 <= y0  # left to right, and the best only gets better (higher)
    # it starts at the first scored point and ends under the last one, at the best score
    scored = [t for t in rec["trace"] if t["score"] is not None]
    xs = chrome.evaluate("[...document.querySelectorAll('#item-1 svg.chart circle.pt.scored')]"
                         ".map(c => Number(c.getAttribute('cx')))")
    assert pts[0][0] == pytest.approx(min(xs), abs=0.1) and pts[-1][0] == pytest.approx(max(xs), abs=0.1)
    ys = chrome.evaluate("[...document.querySelectorAll('#item-1 svg.chart circle.pt.scored')]"
                         ".map(c => Number(c.getAttribute('cy')))")
    assert pts[-1][1] == pytest.approx(min(ys), abs=0.1) and len(xs) == len(scored)
    _clean(chrome)
