"""Reading the prompts of a dataset run: JSONL ids and carried fields, CSV, and every
malformed input named by its line (bad JSON, no prompt column, an id twice, a CSV quote that
is never closed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptfoil import PromptfoilError
from promptfoil.cli import main
from promptfoil.runs import read_csv_items, read_items
from results_helpers import STANDINS, cli


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reads_jsonl_ids_and_carried_fields(tmp_path):
    p = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "prompt": "one two three", "topic": "x"},
        {"prompt": "four five six"},
    ])
    items = read_items(p)
    assert [i.id for i in items] == ["a", "2"]
    assert items[0].fields == {"topic": "x"}


def test_reads_csv(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text('id,prompt,group\nq1,"Is it fine, really?",g\nq2,Why not?,h\n', encoding="utf-8")
    items = read_csv_items(p)
    assert [(i.id, i.prompt, i.fields["group"]) for i in items] == [
        ("q1", "Is it fine, really?", "g"), ("q2", "Why not?", "h")]


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"prompt": "fine words here"}\n\n{"prompt": broken\n[1, 2]\n{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(PromptfoilError) as exc:
        read_items(p)
    msg = str(exc.value)
    assert "line 3" in msg and "line 4" in msg and "line 5" in msg and "line 1:" not in msg


def test_csv_without_prompt_column_is_a_clear_error(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("question\nwhy?\n", encoding="utf-8")
    with pytest.raises(PromptfoilError, match="'prompt' column"):
        read_items(p)


def test_duplicate_ids_are_rejected(tmp_path):
    p = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "prompt": "x y"}, {"id": "a", "prompt": "y z"}])
    with pytest.raises(PromptfoilError, match="appears twice"):
        read_items(p)


def test_csv_with_an_unterminated_quote_names_its_line(tmp_path, capsys):
    p = tmp_path / "p.csv"
    p.write_text('id,prompt\n1,"Is it, fine"\n2,"Should I go?\n3,yes\n', encoding="utf-8")
    code, _, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "r.jsonl"), *STANDINS)
    assert code == 2 and "line 3" in err and "never closed" in err
    assert not (tmp_path / "r.jsonl").exists()
