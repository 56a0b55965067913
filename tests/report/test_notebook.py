"""Notebook views: ``Explanation._repr_html_`` and a loaded results set draw the HTML report
(trace explorer, heat strip, profile) in a sandboxed iframe; checked in headless Chromium the
way a notebook page holds a cell's output, with hostile text kept as text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import trace_fakes
from standins import planted_explanation

import browser
import promptfoil

HOSTILE = "</script><script>window.parent.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"

needs_browser = pytest.mark.skipif(
    not browser.available() and not os.environ.get("CI"),
    reason="chromium or websocket-client missing (make browser)",
)


def test_views_are_found_through_the_registry_and_sandboxed():
    from promptfoil.registry import views

    assert {"explanation", "results"} <= set(views.names())
    html = planted_explanation("rich")._repr_html_()
    assert html.startswith('<iframe class="promptfoil-report" sandbox="allow-scripts"')
    assert "<script" not in html  # the page is an attribute value, escaped, never live markup here


def _host(tmp_path: Path, cell: str) -> Path:
    page = tmp_path / "notebook.html"
    page.write_text(f"<!doctype html><html><body><h1>notebook</h1><div class='output'>{cell}</div></body></html>",
                    encoding="utf-8")
    return page


def _open_repr(b: browser.Browser, tmp_path: Path, cell: str) -> None:
    """Open a notebook-like page holding ``cell``, check it, then open the report the iframe
    holds (its ``srcdoc`` as the browser decoded it) as a page of its own: a sandboxed frame
    runs in another process, out of reach of the DevTools page session."""
    b.open(_host(tmp_path, cell).resolve().as_uri(), settle=0.3)
    assert b.evaluate("document.querySelector('iframe.promptfoil-report').getAttribute('sandbox')") == "allow-scripts"
    assert b.evaluate("window.__pwned === undefined") is True
    assert b.console_errors() == [] and b.dialogs() == []
    page = tmp_path / "frame.html"
    page.write_text(b.evaluate("document.querySelector('iframe.promptfoil-report').srcdoc"), encoding="utf-8")
    b.open(page.resolve().as_uri(), settle=0.3)


@pytest.fixture(scope="module")
def chrome():
    if not browser.available():
        pytest.skip("chromium or websocket-client missing (make browser)")
    with browser.Browser() as b:
        yield b


@needs_browser
def test_explanation_repr_draws_explorer_and_heat_strip_in_chromium(chrome, tmp_path):
    ex = planted_explanation("rich")
    _open_repr(chrome, tmp_path, ex._repr_html_())
    chrome.wait_until("document.querySelector('#item-1 .explorer[data-ready]') !== null")
    assert chrome.evaluate("document.querySelectorAll('svg.chart .pt.scored').length") == sum(
        t.score is not None for t in ex.trace)
    assert chrome.evaluate("document.querySelector('.heat .hp4').textContent") == "rich"
    assert chrome.console_errors() == [] and chrome.dialogs() == []
    assert all(u.startswith("file://") or u.startswith("about:") for u in chrome.requests()), chrome.requests()


@needs_browser
def test_results_repr_shows_profile_and_keeps_hostile_text_as_text(chrome, tmp_path):
    recs = [trace_fakes.record("a", n=12, seed=1), trace_fakes.record("b", n=12, seed=2)]
    recs[0]["prompt"] = HOSTILE + " " + recs[0]["prompt"]
    recs[0]["category"], recs[1]["category"] = HOSTILE, "plain"
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    results = promptfoil.load_results(path)
    assert len(results) == 2 and results[0]["id"] == "a"
    _open_repr(chrome, tmp_path, results._repr_html_())
    assert chrome.evaluate("document.querySelectorAll('.profile .flipbar').length") == 3  # all, two categories
    assert chrome.evaluate("[...document.querySelectorAll('.profile text')].some(t => t.textContent.includes('</script>'))")
    assert chrome.evaluate("window.__pwned === undefined") is True
    assert chrome.console_errors() == [] and chrome.dialogs() == []
