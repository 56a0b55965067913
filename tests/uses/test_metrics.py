"""Metrics of a results file: means and standard errors against values computed by hand, the
``metrics`` command's JSON (strict, even when a sum overflows) and table, the later record of
an id winning, content preservation over only the edited turns of a conversation, and
MiniLM's ordering of paraphrase and unrelated text (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import requires_models
from standins import LostWordsScorer, RecordingChat, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import FunctionTarget
from promptfoil.cli import main
from promptfoil.runs import LocalEngine, read_items, read_results, run
from promptfoil.uses.metrics import Stat, compute
from results_helpers import PROMPT, cli, explainer, prompts_file

SYSTEM = {"role": "system", "content": "You are a helpful cooking assistant. Keep answers short."}
CHAT = [
    SYSTEM,
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


def rec(id_, prompt, contrast, found, ed, target, original, hits, secs):
    return {
        "id": id_, "found": found, "prompt": prompt, "response": "r", "contrast_prompt": contrast,
        "contrast_response": "c" if contrast else None, "edit_distance": ed, "seconds": secs,
        "calls": {"target": target, "original": original, "cache_hits": hits, "infiller": 2, "scorer": target},
    }


RECORDS = [
    # "a b c d" -> "a x c d": 1 substitution / 4 words = 0.25
    rec("1", "a b c d", "a x c d", True, 0.25, 4, 1, 0, 2.0),
    # 2 substitutions / 5 words = 0.4; edit distance left out so it is computed from the texts
    rec("2", "one two three four five", "one six three seven five", True, None, 6, 1, 1, 4.0),
    rec("3", "never found here", "never lost here", False, 0.333, 10, 0, 1, 6.0),
    # 1 insertion / 2 words = 0.5
    rec("4", "p q", "p q r", True, 0.5, 2, 1, 0, 0.0),
    {"id": "5", "prompt": "broken", "error": "target failed"},
]
VECTORS = {
    "a b c d": [1.0, 0.0], "a x c d": [1.0, 1.0],
    "one two three four five": [0.0, 1.0], "one six three seven five": [0.0, 2.0],
    "p q": [1.0, 0.0], "p q r": [-1.0, 0.0],
}


def table_embedder(texts: list[str]) -> np.ndarray:
    """A lookup table standing in for a sentence encoder (plumbing only)."""
    return np.array([VECTORS[t] for t in texts])


def explain(conv, fn=None, **kw):
    fn = fn or RecordingChat()
    kw.setdefault("budget", 6)
    return promptfoil.explain(conv, target=FunctionTarget(fn, chat=True), infiller=SuffixInfiller(),
                              scorer=LostWordsScorer(), cache=False, fills_per_mask=2, **kw), fn


def test_stat_mean_and_standard_error():
    s = Stat.of([1.0, 2.0, 3.0, 6.0])  # mean 3, sample var (4+1+0+9)/3 = 14/3
    assert s.mean == pytest.approx(3.0)
    assert s.se == pytest.approx((14 / 3 / 4) ** 0.5)
    assert Stat.of([5.0]).se is None and Stat.of([]).mean is None


def test_metrics_match_hand_computed_values():
    m = compute(RECORDS, table_embedder)
    assert (m.items, m.failed, m.found) == (5, 1, 3)
    # flip: [1, 1, 0, 1] -> 0.75; sample var 0.25; se = sqrt(0.25 / 4) = 0.25
    assert m.flip_rate.mean == pytest.approx(0.75) and m.flip_rate.se == pytest.approx(0.25)
    # edit distance over found: [0.25, 0.4, 0.5] -> 0.383333; sample var 0.0158333; se 0.0726483
    assert m.edit_distance.mean == pytest.approx(0.383333, abs=1e-6)
    assert m.edit_distance.se == pytest.approx(0.0726483, abs=1e-6)
    # cosines: 1/sqrt(2), 1, -1 -> mean 0.2357023; se 0.6236096
    assert m.content_preservation.mean == pytest.approx(0.2357023, abs=1e-6)
    assert m.content_preservation.se == pytest.approx(0.6236096, abs=1e-6)
    # target calls [4, 6, 10, 2] -> 5.5; LLM calls [5, 8, 11, 3] -> 6.75
    assert m.calls["target"].mean == pytest.approx(5.5)
    assert m.llm_calls.mean == pytest.approx(6.75)
    assert m.seconds.mean == pytest.approx(3.0) and m.seconds.n == 4


def test_metrics_cli_json_and_table(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    assert main(["metrics", str(path), "--json", "--no-content"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["flip_rate"]["mean"] == pytest.approx(0.75) and d["failed"] == 1
    assert d["content_preservation"] is None
    assert main(["metrics", str(path), "--no-content"]) == 0
    out = capsys.readouterr().out
    assert "flip rate" in out and "0.750 ± 0.250" in out


def test_metrics_json_is_strict_json(tmp_path, capsys):
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    recs = [json.loads(x) for x in res.read_text(encoding="utf-8").splitlines()]
    for r in recs:
        r["seconds"] = 1e308  # finite each, but their sum would overflow: refused when read
    res.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    code, out, err = cli(capsys, "metrics", str(res), "--json", "--no-content")
    assert code == 2 and "line 1" in err and "'seconds'" in err and "Traceback" not in err
    for r in recs:
        r["seconds"] = 1.5
    res.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    code, out, _ = cli(capsys, "metrics", str(res), "--json", "--no-content")
    assert code == 0
    m = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert m["seconds"]["mean"] == 1.5


def test_later_record_of_an_id_wins(tmp_path):
    path = tmp_path / "r.jsonl"
    rows = [{"id": "x", "prompt": "p", "error": "e"}, rec("x", "a b", "a c", True, 0.5, 1, 1, 0, 1.0)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    recs = read_results(path)
    assert len(recs) == 1 and compute(recs).flip_rate.mean == 1.0


def test_content_preservation_compares_only_the_edited_turns():
    from promptfoil.uses.metrics import edited_texts

    ex, _ = explain(CHAT, edit=["user:*"], threshold=0.05)
    rec = json.loads(json.dumps(ex.to_dict()))
    a, b = edited_texts(rec)
    assert a == CHAT[1]["content"] + "\n" + CHAT[3]["content"]
    assert SYSTEM["content"] not in a and SYSTEM["content"] not in b and a != b
    assert edited_texts({"prompt": "x y", "contrast_prompt": "x z"}) == ("x y", "x z")


@requires_models
@pytest.mark.slow
def test_content_preservation_with_minilm_orders_paraphrase_above_unrelated():
    from promptfoil.uses.metrics import minilm_embedder

    embed = minilm_embedder()
    rows = [rec("1", "Is it wrong to lie to my friend?", "Is it wrong to lie to my friend?", True, 0.0, 1, 1, 0, 1.0),
            rec("2", "Is it wrong to lie to my friend?", "Is it wrong to lie to my sister?", True, 0.14, 1, 1, 0, 1.0),
            rec("3", "Is it wrong to lie to my friend?", "Volcanic soil grows grapes well.", True, 1.0, 1, 1, 0, 1.0)]
    same, close, far = (compute([r], embed).content_preservation.mean for r in rows)
    assert same == pytest.approx(1.0, abs=1e-5)
    assert far < close < same
