"""Hand-edited or foreign results files: one rule for every command that reads them.

A field of the wrong shape is a one-line error naming the file, line and field (exit 2)
for the terminal report, the HTML report and metrics alike (``check_record``), never a
traceback from deep inside the terminal renderer; a JSONL file that is not promptfoil
results at all is said to be so, and no HTML is written for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import trace_fakes

from promptfoil.cli import main


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, got.err


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _good() -> dict[str, Any]:
    rec = trace_fakes.record("a", n=8, seed=1)
    assert rec["edits"] and rec["found"] is not None
    return rec


def _edit_with_null_new(rec: dict[str, Any]) -> dict[str, Any]:
    return {"edits": [{**rec["edits"][0], "new": None}]}


BAD = {
    "contrasts-text": (lambda rec: {"contrasts": "x"}, "'contrasts'"),
    "edits-not-objects": (lambda rec: {"edits": ["x", 3]}, "'edits[0]'"),
    "edit-new-null": (_edit_with_null_new, "'edits[0]'"),
    "seconds-by-stage-text": (lambda rec: {"seconds_by_stage": "x"}, "'seconds_by_stage'"),
    "contrast-edit-null": (lambda rec: {"contrasts": [{"prompt": "p", "response": "r", "score": 0.5,
                                                       "edit_distance": 0.1, "edits": [None]}]},
                           "'contrasts[0].edits[0]'"),
    "stage-seconds-text": (lambda rec: {"seconds_by_stage": {"target": "slow"}}, "'seconds_by_stage.target'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_field_is_one_line_naming_line_and_field_in_every_command(tmp_path, capsys, case):
    patch, field = BAD[case]
    good = _good()
    path = _write(tmp_path / "r.jsonl", [{**good, "id": "ok"}, {**good, **patch(good)}])
    for args in (["report", str(path)], ["report", str(path), "--html", str(tmp_path / "o.html"), "--no-content"],
                 ["metrics", str(path), "--no-content"]):
        code, out, err = _cli(capsys, *args)
        flat = " ".join(err.split())
        assert code == 2, (args, out, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert f"{path} line 2" in flat and field in flat, flat
    assert not (tmp_path / "o.html").exists()


def test_a_good_file_still_reports(tmp_path, capsys):
    path = _write(tmp_path / "r.jsonl", [_good()])
    code, out, err = _cli(capsys, "report", str(path))
    assert code == 0 and "contrasts found" in out, err
    code, out, err = _cli(capsys, "report", str(path), "--html", str(tmp_path / "o.html"), "--no-content")
    assert code == 0 and (tmp_path / "o.html").exists(), err


def test_a_jsonl_file_that_is_not_results_is_refused(tmp_path, capsys):
    path = tmp_path / "random.jsonl"
    path.write_text('{"a": 1}\n{"b": [1, 2], "id": "x"}\n', encoding="utf-8")
    out_html = tmp_path / "out.html"
    for args in (["report", str(path), "--html", str(out_html), "--no-content"], ["report", str(path)],
                 ["metrics", str(path), "--no-content"]):
        code, out, err = _cli(capsys, *args)
        flat = " ".join(err.split())
        assert code == 2, (args, out, err)
        assert "not a promptfoil results file" in flat and f"{path} line 1" in flat, flat
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out_html.exists()


def test_a_record_the_terminal_cannot_show_is_one_line_not_a_traceback(tmp_path, capsys):
    rec = _good()
    del rec["direction"]  # passes the field checks, but is no complete explanation
    path = _write(tmp_path / "r.jsonl", [rec])
    code, out, err = _cli(capsys, "report", str(path))
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "'a'" in err and "not a complete promptfoil result" in " ".join(err.split())
