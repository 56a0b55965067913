"""``promptfoil summary`` on a ``run`` of stand-ins: a table, JSON that matches the results
file, an HTML page whose first screen is the profile, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from results_helpers import STANDINS, cli

from promptfoil.runs import read_results

ROWS = [("a", "Is it wrong to lie?"), ("a", "Should I lie?"), ("b", "Is it fine to skip a big family wedding "
        "when my cousin asked me twice?"), ("b", "Can I keep a wallet that I found on the street last night?")]


@pytest.fixture
def results(tmp_path, capsys) -> Path:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": str(i), "prompt": p, "category": c}) + "\n"
                               for i, (c, p) in enumerate(ROWS)), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    code, _, err = cli(capsys, "run", str(prompts), "--out", str(out), *STANDINS, "--budget", "4",
                       "--threshold", "0.4", "--no-cache")
    assert code == 0, err
    return out


def test_summary_json_matches_the_results_file(results, capsys):
    code, out, _ = cli(capsys, "summary", str(results), "--by", "category", "--json")
    assert code == 0
    s = json.loads(out)
    records = read_results(results)
    assert s["items"] == len(records) and s["found"] == sum(r["found"] for r in records)
    for g in s["groups"]:
        mine = [r for r in records if r["category"] == g["value"]]
        assert g["items"] == len(mine) and g["flip_rate"]["mean"] == pytest.approx(
            sum(r["found"] for r in mine) / len(mine))
    assert s["calls"]["n"] == len(records)


def test_summary_table_and_html_first_screen(results, tmp_path, capsys):
    page = tmp_path / "profile.html"
    code, out, _ = cli(capsys, "summary", str(results), "--html", str(page))
    assert code == 0 and "flip rate" in out and "by category" in out and "per item: LLM calls" in out
    html = page.read_text(encoding="utf-8")
    assert html.index('class="profile"') < html.index('class="metrics"')
    assert html.count('class="flipbar"') == 3  # all items, a, b
    assert 'class="item"' not in html  # the profile page has no cards


def test_report_opens_with_the_profile(results, tmp_path, capsys):
    page = tmp_path / "report.html"
    code, _, err = cli(capsys, "report", str(results), "--html", str(page), "--no-content")
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert html.index('class="profile"') < html.index('class="item"')


@pytest.mark.parametrize("make, args, needle", [
    (None, ["{missing}"], "results file not found"),
    ("results", ["{results}", "--by", "colour"], "--by colour: no result has this field"),
    ("empty", ["{empty}"], "no results files (*.jsonl) in this folder"),
    ("notresults", ["{notresults}"], "not a promptfoil results file"),
])
def test_bad_input_is_one_line_and_exit_2(make, args, needle, tmp_path, capsys, request):
    paths = {"missing": str(tmp_path / "nope.jsonl"), "empty": str(tmp_path / "empty"),
             "notresults": str(tmp_path / "rows.jsonl")}
    if make == "results":
        paths["results"] = str(request.getfixturevalue("results"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "rows.jsonl").write_text('{"prompt": "hi"}\n', encoding="utf-8")
    code, out, err = cli(capsys, "summary", *[a.format(**paths) for a in args])
    assert code == 2 and needle in err and len(err.splitlines()) <= 1, err
