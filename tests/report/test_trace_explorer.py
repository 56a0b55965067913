"""The HTML report's trace explorer: its data, its CSP, and the page in headless Chromium.

The explanations are synthetic (``trace_fakes``): full traces, no model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import trace_fakes

import browser
from promptfoil.report.explorer import item_data, json_for_script, prompt_text
from promptfoil.report.html import render_html, write_explanation_html, write_html

SCRIPT = "</script><script>window.__pwned = 1; alert(1)</script>"
IMG = "<img src=x onerror=\"window.__pwned = 2; alert(2)\">"
HOSTILE = f"{SCRIPT} {IMG} <!-- line\u2028sep\u2029para &amp;"

needs_browser = pytest.mark.skipif(
    not browser.available() and not os.environ.get("CI"),
    reason="chromium or websocket-client missing (make browser)",
)


def _data_blocks(html: str) -> list[Any]:
    return [json.loads(m) for m in re.findall(r'<script type="application/json" id="trace-\d+">(.*?)</script>', html,
                                              flags=re.S)]


# -- data ------------------------------------------------------------------------------


def test_json_for_script_escapes_what_could_end_the_script():
    value = {"s": [HOSTILE, "a > b && c < d"], "n": [1, None, 0.5]}
    text = json_for_script(value)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert json.loads(text) == value


def test_item_data_keeps_every_candidate_and_stores_strings_once():
    rec = trace_fakes.record("x", n=24, seed=3)
    data = item_data(rec)
    assert data is not None
    s, rows = data["s"], data["c"]
    assert len(rows) == len(rec["trace"]) == 24
    assert len(s) == len(set(s))  # each distinct string once
    assert s[data["p"]] == rec["prompt"] and s[data["r"]] == rec["response"]
    for row, t in zip(rows, rec["trace"]):
        assert [row[0], s[row[1]], s[row[2]], s[row[4]], s[row[5]]] == [t["step"], t["stage"], t["prompt"],
                                                                         t["status"], t["paid_by"]]
        assert (row[6] == -1) == (t["response"] is None) and row[7] == t["score"]
        assert row[8] == (-1 if t["parent"] is None else t["parent"])
        spans = row[3]
        assert len(spans) == 4 * len(t["edits"])
        for k, e in zip(range(0, len(spans), 4), sorted(t["edits"], key=lambda e: e["start"])):
            assert rec["prompt"][spans[k]:spans[k + 1]] == e["old"]
            assert t["prompt"][spans[k + 2]:spans[k + 3]] == e["new"]
    assert s[rows[data["win"]][2]] == rec["contrast_prompt"]


def test_item_data_drops_edits_that_do_not_fit_and_skips_records_without_trace():
    rec = trace_fakes.record("x", n=6, seed=1)
    rec["trace"][0]["edits"][0]["start"] += 1  # offsets no longer match the prompt
    data = item_data(rec)
    assert data is not None and data["c"][0][3] == [] and data["c"][1][3] != []
    assert item_data({**rec, "trace": []}) is None
    assert item_data({"id": "f", "prompt": "p", "error": "boom"}) is None


def test_prompt_text_flattens_chat_turns():
    turns = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]
    assert prompt_text(turns) == "system: Be brief.\n\nuser: Hi?"
    assert prompt_text("plain") == "plain"


def test_csp_allows_only_the_page_script_by_hash_and_no_fetch():
    html = render_html([trace_fakes.record("a", n=8)])
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1).replace("&#39;", "'")
    rules = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert rules["script-src"] == [f"'sha256-{digest}'"]
    assert rules["default-src"] == ["'none'"]
    for d in ("img-src", "connect-src", "font-src", "object-src", "base-uri", "form-action"):
        assert rules[d] == ["'none'"], d
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "innerHTML" not in scripts[0] and "insertAdjacentHTML" not in scripts[0] and "eval(" not in scripts[0]


def test_hostile_strings_never_reach_the_markup_raw():
    html = render_html([trace_fakes.record("h", n=12, hostile=HOSTILE)])
    blocks = _data_blocks(html)
    assert len(blocks) == 1 and HOSTILE in blocks[0]["s"]  # the data round-trips
    assert html.count("<script") == 2 and html.count("</script>") == 2  # data block + the page script
    assert "<img" not in html and "<!-- line" not in html
    raw = re.search(r'<script type="application/json" id="trace-1">(.*?)</script>', html, flags=re.S).group(1)
    assert not set(raw) & set("<>&\u2028\u2029")


def test_write_explanation_html_is_one_call(tmp_path):
    ex = trace_fakes.explanation(n=10, seed=2)
    path = write_explanation_html(ex, tmp_path / "sub" / "one.html", title="one explanation")
    html = path.read_text(encoding="utf-8")
    assert "<title>one explanation</title>" in html
    (block,) = _data_blocks(html)
    assert len(block["c"]) == 10


# -- the page in headless Chromium -----------------------------------------------------


@pytest.fixture(scope="module")
def chrome():
    if not browser.available():
        pytest.skip("chromium or websocket-client missing (make browser)")
    with browser.Browser() as b:
        yield b


def _open(b: browser.Browser, tmp_path: Path, records: list[dict[str, Any]]) -> None:
    path = write_html(records, tmp_path / "report.html", title="explorer test")
    b.open(path.resolve().as_uri(), settle=0.2)
    b.wait_until("document.querySelector('#item-1 .explorer[data-ready]') !== null")


def _clean(b: browser.Browser) -> None:
    assert b.console_errors() == []  # CSP violations and uncaught errors included
    assert b.dialogs() == []
    assert all(u.startswith("file://") for u in b.requests()), b.requests()


@needs_browser
def test_chart_has_one_point_per_candidate_and_marks_threshold_winner_and_cache(chrome, tmp_path):
    rec = trace_fakes.record("a", n=40, seed=5)
    _open(chrome, tmp_path, [rec])
    trace = rec["trace"]
    q = "document.querySelectorAll('#item-1 svg.chart {}').length"
    assert chrome.evaluate(q.format(".pt.scored")) == sum(t["score"] is not None for t in trace)
    assert chrome.evaluate(q.format(".pt.scored.cache")) == sum(t["paid_by"] == "cache" for t in trace)
    assert chrome.evaluate(q.format(".pt.nos")) == sum(t["score"] is None for t in trace)
    assert chrome.evaluate(q.format(".pt.nos.over-budget")) == sum(t["status"] == "over-budget" for t in trace)
    assert chrome.evaluate(q.format("line.thr")) == 1 and chrome.evaluate(q.format(".win-ring")) == 1
    # cache hits look different from paid points: hollow, not filled
    fills = chrome.evaluate(
        "[...new Set([...document.querySelectorAll('#item-1 .pt.scored:not(.hit)')]"
        ".map(p => p.classList.contains('cache') + getComputedStyle(p).fill))]"
    )
    assert len(fills) == 2, fills
    # the winner's ring sits on the winner's point and the threshold line at δ's height
    assert chrome.evaluate(
        "(() => { const r = document.querySelector('#item-1 .win-ring'); const w = document.querySelector("
        "'#item-1 circle.pt[data-i=\"' + document.querySelector('#item-1 tr .tag').closest('tr').dataset.i + '\"]');"
        " return r.getAttribute('cx') === w.getAttribute('cx') && r.getAttribute('cy') === w.getAttribute('cy') })()"
    ) is True
    assert chrome.evaluate("document.querySelectorAll('#item-1 .ex-table tbody tr').length") == len(trace)
    _clean(chrome)


@needs_browser
def test_clicking_a_row_shows_that_candidate_its_diff_and_its_parents(chrome, tmp_path):
    rec = trace_fakes.record("a", n=30, seed=7)
    _open(chrome, tmp_path, [rec])
    trace = rec["trace"]
    i = max(k for k, t in enumerate(trace) if t["parent"] is not None and trace[t["parent"]]["parent"] is not None
            and t["response"] is not None and t["response"] != rec["response"])
    chrome.click(f'#item-1 tr[data-i="{i}"] td.txt')
    detail = "document.querySelector('#item-1 .ex-detail')"
    assert chrome.evaluate(f"{detail}.querySelector('h3').textContent").startswith(f"candidate #{i + 1}")
    assert chrome.evaluate("document.querySelector('#item-1 tr.sel').dataset.i") == str(i)
    chain, k = [], i
    while k is not None:
        chain.insert(0, k)
        k = trace[k]["parent"]
    assert chrome.evaluate(f"[...{detail}.querySelectorAll('.path li')].map(li => li.textContent)") == \
        ["original"] + [f"#{k + 1}" for k in chain]
    # the prompt diff: the original with each edit's old text deleted and new text inserted
    news = chrome.evaluate(f"[...{detail}.querySelectorAll('.cand-prompt ins')].map(e => e.textContent)")
    olds = chrome.evaluate(f"[...{detail}.querySelectorAll('.cand-prompt del')].map(e => e.textContent)")
    edits = sorted(trace[i]["edits"], key=lambda e: e["start"])
    assert news == [e["new"] for e in edits] and olds == [e["old"] for e in edits]
    plain = chrome.evaluate(f"[...{detail}.querySelector('.cand-prompt').childNodes]"
                            ".filter(n => n.nodeName !== 'DEL').map(n => n.textContent).join('')")
    assert plain == trace[i]["prompt"]
    # the response diff: the candidate's response with the differing words marked
    resp = chrome.evaluate(f"[...{detail}.querySelector('.cand-response').childNodes]"
                           ".filter(n => n.nodeName !== 'DEL').map(n => n.textContent).join('')")
    assert resp == trace[i]["response"]
    assert chrome.evaluate(f"{detail}.querySelectorAll('.cand-response ins').length") > 0
    # a parent in the path is a button that selects it
    chrome.click(f'#item-1 .ex-detail .path button[data-i="{chain[0]}"]')
    assert chrome.evaluate(f"{detail}.querySelector('h3').textContent").startswith(f"candidate #{chain[0] + 1}")
    _clean(chrome)


@needs_browser
def test_clicking_a_point_selects_its_candidate(chrome, tmp_path):
    rec = trace_fakes.record("a", n=40, seed=8)
    _open(chrome, tmp_path, [rec])
    i = next(k for k, t in enumerate(rec["trace"]) if t["score"] is not None and k > 3)
    chrome.click(f'#item-1 circle.pt[data-i="{i}"]')
    assert chrome.evaluate("document.querySelector('#item-1 .ex-detail h3').textContent").startswith(f"candidate #{i + 1}")
    assert chrome.evaluate("document.querySelector('#item-1 tr.sel').dataset.i") == str(i)
    _clean(chrome)


@needs_browser
def test_status_filter_hides_the_other_rows(chrome, tmp_path):
    rec = trace_fakes.record("a", n=40, seed=9)
    _open(chrome, tmp_path, [rec])
    skipped = sum(t["status"] == "skipped" for t in rec["trace"])
    assert skipped > 0
    visible = "[...document.querySelectorAll('#item-1 tbody tr')].filter(r => r.offsetParent !== null)"
    assert chrome.evaluate(f"{visible}.length") == 40
    chrome.evaluate("(() => { const s = document.querySelector('#item-1 .ex-filter'); s.value = 'skipped';"
                    " s.dispatchEvent(new Event('change')) })()")
    assert chrome.evaluate(f"{visible}.map(r => r.dataset.status)") == ["skipped"] * skipped
    assert chrome.evaluate("document.querySelector('#item-1 .ex-count').textContent") == f"{skipped} of 40 candidates"
    _clean(chrome)


@needs_browser
def test_sorting_by_score_and_back_by_step(chrome, tmp_path):
    rec = trace_fakes.record("a", n=40, seed=10)
    _open(chrome, tmp_path, [rec])
    trace = rec["trace"]
    order = "[...document.querySelectorAll('#item-1 tbody tr')].map(r => Number(r.dataset.i))"
    assert chrome.evaluate(order) == list(range(40))
    chrome.click('#item-1 th[data-key="score"] button')
    got = chrome.evaluate(order)
    scores = [trace[k]["score"] for k in got]
    scored = [s for s in scores if s is not None]
    assert scored == sorted(scored, reverse=True) and scores[len(scored):] == [None] * (40 - len(scored))
    assert chrome.evaluate("document.querySelector('#item-1 th[data-key=\"score\"]').getAttribute('aria-sort')") \
        == "descending"
    chrome.click('#item-1 th[data-key="score"] button')
    scored_up = [trace[k]["score"] for k in chrome.evaluate(order) if trace[k]["score"] is not None]
    assert scored_up == sorted(scored)
    chrome.click('#item-1 th[data-key="step"] button')
    steps = [trace[k]["step"] for k in chrome.evaluate(order)]
    assert steps == sorted(steps)
    _clean(chrome)


@needs_browser
def test_hostile_trace_strings_stay_text_and_nothing_runs(chrome, tmp_path):
    rec = trace_fakes.record("<b>h</b>", n=24, seed=11, hostile=HOSTILE)
    _open(chrome, tmp_path, [rec])
    trace = rec["trace"]
    assert chrome.evaluate("window.__pwned === undefined") is True
    assert chrome.evaluate("document.querySelectorAll('script').length") == 2
    assert chrome.evaluate("document.querySelectorAll('img, b, iframe, object').length") == 0
    i = next(k for k, t in enumerate(trace) if any(e["new"] == HOSTILE for e in t["edits"])
             and t["response"] is not None and t["response"].startswith(HOSTILE))
    chrome.click(f'#item-1 tr[data-i="{i}"] td.txt')
    ins = chrome.evaluate("[...document.querySelectorAll('#item-1 .cand-prompt ins')].map(e => e.textContent)")
    assert HOSTILE in ins  # U+2028/2029 included, as text
    assert HOSTILE in chrome.evaluate("[...document.querySelector('#item-1 .cand-response').childNodes]"
                                      ".filter(n => n.nodeName !== 'DEL').map(n => n.textContent).join('')")
    assert HOSTILE in chrome.evaluate("document.querySelector('#item-1 tr[data-i=\"2\"]').textContent")  # stage
    assert chrome.evaluate("window.__pwned === undefined") is True
    assert chrome.evaluate("document.querySelectorAll('img, b, iframe, object').length") == 0
    _clean(chrome)


@needs_browser
def test_explorers_are_drawn_when_scrolled_to(chrome, tmp_path):
    records = [trace_fakes.record(f"i{k}", n=20, seed=k) for k in range(30)]
    _open(chrome, tmp_path, records)
    drawn = "document.querySelectorAll('.explorer[data-ready]').length"
    assert 1 <= chrome.evaluate(drawn) < 30  # only what is near the viewport
    assert chrome.evaluate("document.querySelector('#item-30 .explorer').dataset.ready") is None
    chrome.evaluate("document.querySelector('#item-30 .explorer').scrollIntoView()")
    chrome.wait_until("document.querySelector('#item-30 .explorer[data-ready]') !== null")
    assert chrome.evaluate("document.querySelectorAll('#item-30 svg.chart .pt').length") == 20
    _clean(chrome)


@needs_browser
def test_screenshot_of_the_explorer(chrome, tmp_path):
    """What a reader sees of the first item (PROMPTFOIL_SCREENSHOT=/tmp/explorer.png keeps it): the chart is drawn."""
    _open(chrome, tmp_path, [trace_fakes.record("should-i-tell", n=40, seed=4),
                             trace_fakes.record("second", n=40, seed=6)])
    chrome.evaluate("window.scrollTo(0, document.querySelector('#item-1').offsetTop - 10)")
    box = chrome.evaluate("(() => { const r = document.querySelector('#item-1 svg.chart').getBoundingClientRect();"
                          " return [r.left, r.top, r.right, r.bottom] })()")
    shot = chrome.screenshot(Path(os.environ.get("PROMPTFOIL_SCREENSHOT", tmp_path / "explorer.png")), full_page=False)
    from matplotlib.image import imread

    img = imread(str(shot))[..., :3]
    assert img.shape[0] > 1000 and img.shape[1] > 1000
    x0, y0, x1, y1 = (round(v) for v in box)
    chart = img[y0:y1, x0:x1]
    assert chart.shape[0] > 150 and chart.shape[1] > 300
    blue = (abs(chart[..., 0] - 0x2F / 255) < 0.08) & (abs(chart[..., 1] - 0x6F / 255) < 0.08) \
        & (abs(chart[..., 2] - 0xD6 / 255) < 0.08)
    red = (chart[..., 0] > 0.6) & (chart[..., 1] < 0.3) & (chart[..., 2] < 0.3)
    assert blue.sum() > 300 and red.sum() > 100  # the scored points and the threshold line are drawn
    _clean(chrome)
