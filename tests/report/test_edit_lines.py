"""The edits as the terminal lists them: old → new with each edit's own score, precise enough
to tell a score just under δ from one at δ, and the warning for edits that only work together."""

from __future__ import annotations

from dataclasses import replace

from standins import planted_explanation

from promptfoil.report.terminal import edit_list, together_only
from promptfoil.types import Edit

EDITS = (Edit(0, 0, 6, "Should", "Can"), Edit(4, 10, 16, "friend", "wife"))


def test_each_edit_is_listed_with_its_own_score_to_three_places():
    text = edit_list(EDITS, (0.598, None))
    assert text == "'Should' → 'Can' (alone 0.598); 'friend' → 'wife'"


def test_edits_that_only_work_together_are_flagged_and_a_strong_one_is_not():
    ex = replace(planted_explanation(), edits=EDITS, threshold=0.6, direction="increase")
    assert "none reaches the threshold alone" in together_only(replace(ex, edit_scores=(0.598, 0.3)))
    assert together_only(replace(ex, edit_scores=(0.6, 0.3))) == ""
    assert together_only(replace(ex, edit_scores=(0.598, None))) == ""  # one edit never asked alone
    low = replace(ex, direction="decrease", threshold=0.2)
    assert together_only(replace(low, edit_scores=(0.1, 0.5))) == ""  # 0.1 reaches a decrease goal alone
