"""The shipped prompt sets and the readers of outside ones: the sizes and shapes of the shipped
sets, the shipped policy and its questions, the MIC CSV reader and the XSum reader."""

from __future__ import annotations

import csv
import json

import pytest

from promptfoil import PromptfoilError
from promptfoil.uses.datasets import SUMMARY_INSTRUCTION, load_mic_csv, load_xsum, shipped_policy, shipped_set
from promptfoil.uses.redteam import read_questions


def test_shipped_sets_have_the_promised_sizes_and_shapes():
    mic = shipped_set("mic-style")
    assert len(mic) == 100 and len({r["prompt"] for r in mic}) == 100
    assert all(r["prompt"].endswith("?") for r in mic)
    demo = shipped_set("demo")
    assert len(demo) == 12
    news = shipped_set("news")
    lengths = [r["words"] for r in news]
    assert len(news) == 30 and min(lengths) < 40 and max(lengths) > 250
    for r in news:
        (s, e), = r["protected"]
        assert r["prompt"][s:e] == SUMMARY_INSTRUCTION
    with pytest.raises(PromptfoilError, match="shipped sets"):
        shipped_set("nope")


def test_shipped_policy_and_questions():
    policy = shipped_policy()
    rules = [line for line in policy.splitlines() if line[:2].rstrip(".").isdigit()]
    assert 6 <= len(rules) <= 8
    rows = read_questions("conduct-questions")
    assert len(rows) == 20 and len({r["id"] for r in rows}) == 20
    convs = shipped_set("conversations")
    assert len(convs) == 20 and all(3 <= len(c["messages"]) <= 5 for c in convs)


def test_mic_csv_reader_filters_split_and_drops_repeats(tmp_path):
    p = tmp_path / "MIC.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Q", "A", "rot", "split"])
        w.writerow(["Is it ok to lie?", "No.", "Lying is bad", "test"])
        w.writerow(["Is it ok to lie?", "Maybe.", "It depends", "test"])
        w.writerow(["Should I share?", "Yes.", "Sharing is good", "train"])
        w.writerow(["Can I borrow it?", "Ask.", "Ask first", "test"])
    assert [r["prompt"] for r in load_mic_csv(p)] == ["Is it ok to lie?", "Can I borrow it?"]
    assert len(load_mic_csv(p, split=None)) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("question\nx\n", encoding="utf-8")
    with pytest.raises(PromptfoilError, match="'Q' column"):
        load_mic_csv(bad)


def test_xsum_reader_takes_summary_files_and_jsonl(tmp_path):
    folder = tmp_path / "xsum"
    folder.mkdir()
    (folder / "123.summary").write_text(
        "[SN]URL[SN]\nhttp://example\n[SN]TITLE[SN]\nT\n[SN]FIRST-SENTENCE[SN]\nA short summary.\n"
        "[SN]RESTBODY[SN]\nThe body of the   story.\nSecond line.\n", encoding="utf-8")
    (row,) = load_xsum(folder)
    assert row["id"] == "xsum-123" and row["reference"] == "A short summary."
    assert row["prompt"] == SUMMARY_INSTRUCTION + "The body of the story. Second line."
    j = tmp_path / "x.jsonl"
    j.write_text(json.dumps({"id": "9", "document": "Doc text here.", "summary": "S"}) + "\n", encoding="utf-8")
    assert load_xsum(j)[0]["prompt"].endswith("Doc text here.")
