"""The result record exists as a dataclass, a JSON schema and the runs' reserved keys: they
must agree, so a field added in one place fails here until it is added everywhere."""

from __future__ import annotations

import json
from dataclasses import fields
from importlib import resources

import pytest
from quality_standins import mixed_result

from promptfoil import runs
from promptfoil.types import DIRECTIONS, PAID_BY, STATUSES, Calls, Contrast, Edit, Explanation, TraceEntry


def _schema() -> dict:
    return json.loads(resources.files("promptfoil").joinpath("schema/explanation.json").read_text())


def _names(cls) -> set[str]:
    return {f.name for f in fields(cls)}


def test_schema_and_dataclasses_name_the_same_fields():
    s = _schema()
    assert set(s["properties"]) == _names(Explanation)
    assert set(s["required"]) == _names(Explanation)
    assert set(s["properties"]["calls"]["properties"]) == _names(Calls)
    assert set(s["$defs"]["edit"]["properties"]) == _names(Edit)
    assert set(s["$defs"]["contrast"]["properties"]) == _names(Contrast) == set(s["$defs"]["contrast"]["required"])
    trace = s["properties"]["trace"]["items"]
    assert set(trace["properties"]) == _names(TraceEntry) == set(trace["required"])


def test_schema_enums_are_the_code_literals():
    s = _schema()
    trace = s["properties"]["trace"]["items"]["properties"]
    assert tuple(trace["status"]["enum"]) == STATUSES
    assert tuple(trace["paid_by"]["enum"]) == PAID_BY
    assert tuple(s["properties"]["direction"]["enum"]) == DIRECTIONS


def test_reserved_keys_cover_every_field():
    assert runs.RESERVED == {"id", "error", "settings"} | _names(Explanation)


def test_from_dict_round_trips():
    e = Explanation(
        found=True, prompt="a b", response="r", contrast_prompt="a c", contrast_response="s", score=0.7,
        threshold=0.6, direction="increase", edits=(Edit(1, 2, 3, "b", "c"),), edit_distance=0.5,
        calls=Calls(target=3, original=1), budget=10, algorithm="cell", split_k=1, seed=0, seconds=0.1,
        trace=(
            TraceEntry(1, "s", "a c", (Edit(1, 2, 3, "b", "c"),), "scored", "budget", "s", 0.7, None),
            TraceEntry(1, "s", "a c", (Edit(1, 2, 3, "b", "c"),), "skipped", "none", None, None, 0, "duplicate"),
        ),
        target="t", infiller="i", scorer="x", stop_reason="threshold reached",
        contrasts=(Contrast("a c", "s", 0.7, (Edit(1, 2, 3, "b", "c"),), 0.5, 0.8),),
        minimized_from=Contrast("d c", "s", 0.9, (Edit(0, 0, 1, "a", "d"), Edit(1, 2, 3, "b", "c")), 1.0),
        stability=0.8, noise_band=0.2, notes=("minimize: 2 -> 1 edits",),
    )
    d = json.loads(json.dumps(e.to_dict()))
    assert Explanation.from_dict(d) == e
    assert Explanation.from_dict({**d, "id": "7", "input_x": 1}) == e


def test_new_records_validate_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    e = Explanation(
        found=False, prompt="a", response="r", contrast_prompt=None, contrast_response=None, score=None,
        threshold=0.5, direction="increase", edits=(), edit_distance=None, calls=Calls(minimize=2, confirm=5),
        budget=None, algorithm="cell", split_k=1, seed=0, seconds=0.0, trace=(),
        minimized_from=Contrast("b", None, None, (), None), noise_band=-0.1,
    )
    jsonschema.validate(json.loads(json.dumps(e.to_dict())), _schema())


def test_result_with_every_candidate_status_matches_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = _schema()
    ex = mixed_result()
    assert {"scored", "skipped", "unscored"} <= {t.status for t in ex.trace}
    jsonschema.validate(json.loads(json.dumps(ex.to_dict())), schema)
