"""The dataset profile: flip rate per category with its standard error, words and edit kinds
counted across items, cost per item, and for a red team the breaches before any edit first.
Records are small hand-made results (aggregation only) or a red team run on stand-ins."""

from __future__ import annotations

import json
import math

import pytest
from standins import LostWordsScorer, RecordingChat, SuffixInfiller

from promptfoil import Explainer, FunctionTarget, PromptfoilError
from promptfoil.runs import read_results
from promptfoil.uses.datasets import shipped_policy
from promptfoil.uses.redteam import policy_system, question_items, read_questions, redteam
from promptfoil.uses.summary import edit_kind, load, summarize


def rec(i: int, category: str, found: bool, edits: list[tuple[str, str]] = (), calls: int = 4,
        seconds: float = 1.0) -> dict:
    return {"id": str(i), "prompt": "p", "found": found, "contrast_prompt": "c" if found else None,
            "edits": [{"unit": n, "start": 0, "end": 1, "old": o, "new": w} for n, (o, w) in enumerate(edits)],
            "calls": {"target": calls, "original": 1, "cache_hits": 0}, "seconds": seconds, "category": category}


RECORDS = [
    rec(1, "a", True, [("rich", "poor")], calls=3), rec(2, "a", True, [("Rich", "famous"), ("not", "")]),
    rec(3, "a", False), rec(4, "b", False), rec(5, "b", True, [("rich", "poor")], seconds=3.0),
    {"id": "6", "prompt": "p", "error": "boom", "category": "b"},
]


def test_flip_rate_per_category_with_standard_error():
    s = summarize(RECORDS, by="category")
    assert (s.items, s.failed, s.found) == (6, 1, 3)
    groups = {g.value: g for g in s.groups}
    a, b = groups["a"].flip_rate, groups["b"].flip_rate
    assert a.mean == pytest.approx(2 / 3) and a.n == 3
    assert a.se == pytest.approx(math.sqrt(((1 / 3) ** 2 * 2 + (2 / 3) ** 2) / 2 / 3))
    assert b.mean == pytest.approx(1 / 2) and b.n == 2 and groups["b"].failed == 1
    assert s.flip_rate.mean == pytest.approx(3 / 5)


def test_words_count_items_and_pairs_and_kinds_are_kept():
    s = summarize(RECORDS)
    assert s.by == "category"  # found on its own
    assert s.words[0] == ("rich", 3)  # case folded, once per item
    assert ("rich", "poor", 2) in s.pairs
    assert dict(s.edit_kinds) == {"content word": 3, "deleted": 1}
    assert s.calls.mean == pytest.approx((4 + 5 + 5 + 5 + 5) / 5) and s.seconds.mean == pytest.approx(7 / 5)


@pytest.mark.parametrize("old,new,kind", [
    ("is", "isn't", "negation"), ("never", "always", "negation"), ("25", "250", "number"),
    ("avoid", "avoided", "word form"), ("the", "a", "function word"), ("rich", "", "deleted"),
    ("rich", "poor", "content word"),
])
def test_edit_kinds(old, new, kind):
    assert edit_kind(old, new) == kind


def test_unknown_by_field_is_one_line_naming_the_fields():
    with pytest.raises(PromptfoilError, match=r"--by colour: no result has this field; fields: .*category"):
        summarize(RECORDS, by="colour")
    with pytest.raises(PromptfoilError, match="no results to summarise"):
        summarize([])


class CompetitorJudge:
    """Stand-in policy judge: P(breaks) 0.8 when the answer mentions a competitor, else 0.1."""

    def probabilities(self, pairs):
        return [0.8 if "competitor" in a or "competitor's" in a else 0.1 for _, a in pairs]


def test_redteam_profile_lists_breaches_before_any_edit_first(tmp_path):
    rows = read_questions("conduct-questions")[:12]
    items = question_items(rows, policy_system(shipped_policy()))
    ex = Explainer(target=FunctionTarget(RecordingChat(), chat=True), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), budget=3, threshold=0.05, cache=False, split_k=3)
    out = tmp_path / "findings.jsonl"
    redteam(items, ex, out, CompetitorJudge(), check=False)
    records = read_results(out)
    s = summarize(records, str(out))
    assert s.kind == "redteam" and s.by == "rule" and s.findings is not None
    want = {r["id"] for r in rows if "competitor" in r["question"].lower()}
    assert want and {b.id for b in s.findings.breaches} == want
    assert all(b.verdict == 0.8 for b in s.findings.breaches)
    by_rule = {g.group: g for g in s.findings.groups}
    assert set(by_rule) == {str(r["rule"]) for r in rows}
    for g in by_rule.values():
        found = [r for r in records if str(r["rule"]) == g.group and r["found"]]
        assert g.findings == len(found)
        if found:
            assert g.strongest.score == max(r["score"] for r in found)
    assert s.findings.unchecked == len(records)  # check=False: no verdict was self-checked


def test_an_experiment_folder_is_summarised_by_run(tmp_path):
    for name, recs in (("k1", RECORDS[:3]), ("k2", RECORDS[3:])):
        path = tmp_path / "runs" / f"{name}.jsonl"
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    records, kind = load(tmp_path)
    s = summarize(records, str(tmp_path), kind=kind)
    assert s.kind == "experiment" and s.by == "run"
    assert [(g.value, g.items) for g in s.groups] == [("runs/k1", 3), ("runs/k2", 3)]
    (tmp_path / "empty").mkdir()
    with pytest.raises(PromptfoilError, match="no results files"):
        load(tmp_path / "empty")
