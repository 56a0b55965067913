"""How a verdict explanation reads in the reports: the verdict that flipped, or what it held
under (a robustness result), and the definition used; malformed fields never break a report."""

from __future__ import annotations

import pytest
from trace_fakes import record

from promptfoil.errors import PromptfoilError
from promptfoil.report.html import render_html
from promptfoil.report.lines import verdict_line

FLIP = {"original": {"label": "no", "probs": {"yes": 0.2, "no": 0.7, "depends": 0.1}},
        "contrast": {"label": "yes", "probs": {"yes": 0.8, "no": 0.1, "depends": 0.1}}, "held": False}
HELD = {"original": {"label": "no", "probs": {"no": 0.66}}, "contrast": None, "held": True, "edits_asked": 9,
        "closest": 0.31, "threshold": 0.5, "examples": ["friend → <b>child</b>", "small → large"]}


def test_a_flipped_verdict_reads_old_then_new():
    assert verdict_line(FLIP) == "no (0.70) → yes (0.80)"


def test_a_verdict_that_held_says_under_what():
    line = verdict_line(HELD)
    assert line.startswith("held: no (0.66) under 9 edit(s) asked; closest change 0.31 < 0.5")
    assert "friend → <b>child</b>; small → large" in line


@pytest.mark.parametrize("bad", [7, "x", None, {}, {"original": 7}, {"original": {"label": 3}, "held": True},
                                 {"original": {"label": "no", "probs": [1]}, "held": True, "closest": "x",
                                  "threshold": None, "examples": 5}])
def test_malformed_verdict_fields_show_as_unreadable_or_nothing(bad):
    assert isinstance(verdict_line(bad), str)


def test_the_html_report_shows_the_verdict_and_definition_escaped():
    rec = {**record("v1"), "scorer": "verdict", "scorer_reason": "verdict: a yes/no question (\"Is …?\")",
           "verdict": HELD}
    page = render_html([rec])
    assert "held: no (0.66) under 9 edit(s) asked" in page
    assert "friend → &lt;b&gt;child&lt;/b&gt;" in page and "<b>child</b>" not in page
    assert "definition: verdict: a yes/no question" in page


def test_a_record_whose_verdict_is_not_an_object_is_refused_naming_the_field():
    with pytest.raises(PromptfoilError, match="verdict"):
        render_html([{**record("v1"), "verdict": 7}])
