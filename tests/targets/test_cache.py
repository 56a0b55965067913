"""The response cache: a named target's answers are reused for free while an unnamed
function's are never written to disk, sampled generation without a seed is never cached, two
conversations with the same rendered text are different prompts, and a cache file that is not
ours, or is damaged, is one clear line. Stand-ins only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from standins import LostWordsScorer, RecordingChat, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import Explainer, FunctionTarget, ResponseCache
from promptfoil.cli import main
from results_helpers import STANDINS, cli

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"
QUESTION = "Is it wrong to lie to my friend?"


def make(fn=None, *, algorithm="cell-budget", budget=40, threshold=0.3, **kw):
    fn = fn or RecordingFunction()
    ex = Explainer(
        target=kw.pop("target", fn), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
        algorithm=algorithm, budget=budget, threshold=threshold, cache=kw.pop("cache", False), **kw,
    )
    return ex, fn


def test_cache_hit_is_free_and_unnamed_functions_are_not_cached_on_disk(tmp_path):
    cache = ResponseCache(tmp_path / "r.sqlite")
    fn = RecordingFunction()
    named = FunctionTarget(fn, name="echo-v1")
    first = make(target=named, cache=cache, budget=30, threshold=0.2)[0].explain(PROMPT)
    asked = len(fn.prompts)
    assert first.found and len(cache) == asked == first.calls.target + 1
    second = make(target=named, cache=cache, budget=30, threshold=0.2)[0].explain(PROMPT)
    assert second.calls.target == 0 and second.calls.original == 0
    assert second.calls.cache_hits == asked
    assert len(fn.prompts) == asked  # nothing asked again
    a, b = first.to_dict(), second.to_dict()
    assert a["contrast_prompt"] == b["contrast_prompt"] and a["edits"] == b["edits"]

    # Not found: the warm cache answers the first 30 for free and the budget pays for 30 new.
    third = make(target=named, cache=cache, budget=30, threshold=1.0)[0].explain(PROMPT)
    assert third.calls.target == 30 and third.calls.cache_hits >= 1
    assert len(fn.prompts) == len(set(fn.prompts))

    other = RecordingFunction()
    before = len(cache)
    make(other, cache=cache, budget=5, threshold=1.0)[0].explain(PROMPT)
    assert len(cache) == before  # the unnamed function wrote nothing
    assert len(other.prompts) == 6  # and got no answers from the named one


def test_sampled_generation_without_seed_is_never_cached(tmp_path):
    """A target that samples without a seed gives a different answer each time: no cache."""
    from promptfoil.targets.budget import Budget
    from promptfoil.targets.query import QueryStage

    class Sampled(FunctionTarget):
        @property
        def cacheable(self):
            return False

    cache = ResponseCache(tmp_path / "s.sqlite")
    fn = RecordingFunction()
    q = QueryStage(Sampled(fn, name="sampler"), cache, Budget(calls=5))
    q.query(["a b", "c d"])
    assert len(cache) == 0
    q2 = QueryStage(Sampled(fn, name="sampler"), cache, Budget(calls=5))
    assert [r.paid_by for r in q2.query(["a b"])] == ["budget"]


def test_cache_keeps_conversations_apart(tmp_path):
    """Two conversations whose rendered texts coincide are different prompts for the cache."""
    cache = promptfoil.ResponseCache(tmp_path / "c.sqlite")
    one = [{"role": "user", "content": "a b\n\nassistant: c d\n\nuser: e f"}]
    three = [{"role": "user", "content": "a b"}, {"role": "assistant", "content": "c d"},
             {"role": "user", "content": "e f"}]
    fa, fb = RecordingChat(), RecordingChat()
    kw = dict(infiller=SuffixInfiller(), scorer=LostWordsScorer(), budget=1, cache=cache, threshold=1.0)
    a = promptfoil.explain(one, target=FunctionTarget(fa, name="same", chat=True), **kw)
    b = promptfoil.explain(three, target=FunctionTarget(fb, name="same", chat=True), **kw)
    assert a.prompt == b.prompt  # the same text ...
    assert fb.conversations and fb.conversations[0] == three  # ... asked again, not served from the cache
    assert a.response != b.response


def _foreign_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE responses (a, b)")
    db.commit()
    db.close()


def _foreign_db(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name)")
    db.commit()
    db.close()


def _corrupt(path: Path) -> None:
    ResponseCache(path).put_many("t", {}, [(f"prompt {i} " * 20, "answer " * 40) for i in range(400)])
    data = bytearray(path.read_bytes())
    for off in range(4096 * 2, len(data), 4096):
        data[off : off + 64] = b"\x5a" * 64  # valid header, broken pages
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make, needle", [(_foreign_schema, "not a promptfoil response cache"),
                                          (_foreign_db, "not a promptfoil response cache"),
                                          (_corrupt, "damaged")])
def test_bad_cache_file_is_one_clear_line(tmp_path, capsys, make, needle):
    path = tmp_path / "c.sqlite"
    make(path)
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")} if needle != "damaged" else None
    code, out, err = cli(capsys, "explain", QUESTION, *STANDINS, "--budget", "2", "--cache", str(path))
    assert code == 2 and needle in err and "Traceback" not in err and out == ""
    if tables is not None:  # another program's file is left as it was
        assert {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")} == tables
