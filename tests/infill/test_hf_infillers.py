"""T5, BART and masked-LM infillers on tiny random-weight models built offline.

Model tests are marked slow (building and running the models takes about 20 s here).

Plumbing only: the models have random weights, so these tests check mask formats, parsing,
batching, truncation and that no special token reaches a prompt -- never fill quality.
The pure parsing functions are checked on hand-written model outputs.
"""

from __future__ import annotations

import os
import re

import pytest

pytest.importorskip("transformers")

import hf_tiny  # noqa: E402

from promptfoil.errors import ConfigError  # noqa: E402
from promptfoil.infill.bart import BartInfiller, extract_fill  # noqa: E402
from promptfoil.infill.base import InfillRequest, infillers  # noqa: E402
from promptfoil.infill.mlm import MLMInfiller  # noqa: E402
from promptfoil.infill.t5 import T5Infiller, parse_sentinels  # noqa: E402

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
TEXT = "Is it wrong to lie to my friend about her boyfriend?"
REQS = [InfillRequest(TEXT, 6, 11, 4), InfillRequest(TEXT, 15, 18, 4), InfillRequest(TEXT, 0, 2, 3),
        InfillRequest(TEXT, 22, 31, 4)]
SPECIAL = re.compile(r"<extra_id_\d+>|</?s>|<pad>|<unk>|<mask>|\[(MASK|PAD|CLS|SEP|UNK)\]")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-infill")
    return {
        "t5": str(hf_tiny.build_t5(root / "t5")),
        "bart": str(hf_tiny.build_bart(root / "bart")),
        "bert": str(hf_tiny.build_bert_mlm(root / "bert")),
        "roberta": str(hf_tiny.build_roberta_mlm(root / "roberta")),
    }


# -- pure parsing ---------------------------------------------------------------------------
def test_t5_parser_reads_each_sentinel():
    out = "<pad><extra_id_0> a cat<extra_id_1> on the mat<extra_id_2></s><pad><pad>"
    assert parse_sentinels(out, 2) == ["a cat", "on the mat"]
    assert parse_sentinels(out, 1) == ["a cat"]
    assert parse_sentinels("<pad><extra_id_0> only one</s>", 1) == ["only one"]


def test_t5_parser_rejects_missing_or_disordered_sentinels():
    assert parse_sentinels("<pad><extra_id_0> one</s>", 2) is None
    assert parse_sentinels("<pad><extra_id_1> x<extra_id_0> y</s>", 1) is None
    assert parse_sentinels("<pad><extra_id_0> x<extra_id_0> y</s>", 2) is None
    assert parse_sentinels("<pad> no sentinel at all</s>", 1) is None
    # text after </s> never counts
    assert parse_sentinels("<pad><extra_id_0> a</s><extra_id_1> b", 2) is None


def test_bart_extraction_may_add_or_drop_words():
    left, right = "Is it ", " to lie?"
    assert extract_fill(left, right, "Is it very wrong to lie?") == "very wrong"
    assert extract_fill(left, right, "Is it OK to lie?") == "OK"
    assert extract_fill(left, right, "Is it to lie?") == ""  # deletion: empty, dropped later
    assert extract_fill(left, right, "Is  it\nbad   to lie?") == "bad"  # whitespace runs differ


def test_bart_extraction_rejects_changed_context_or_glued_words():
    left, right = "Is it ", " to lie?"
    assert extract_fill(left, right, "Was it wrong to lie?") is None
    assert extract_fill(left, right, "Is it wrong to cheat?") is None
    assert extract_fill(left, right, "Is itself wrong to lie?") is None  # glued to "it"
    assert extract_fill("", "?", "Really?") == "Really"


# -- tiny models ------------------------------------------------------------------------------
def _check_fills(reqs, fills):
    assert len(fills) == len(reqs)
    for req, row in zip(reqs, fills):
        assert len(row) <= req.n
        assert len({f.lower() for f in row}) == len(row)
        for f in row:
            assert f == f.strip() and f
            assert not SPECIAL.search(f), f
            assert f.lower() != req.old.lower()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["t5", "bart", "bert", "roberta"])
def test_batched_equals_one_by_one(models, kind):
    name = {"bert": "mlm", "roberta": "mlm"}.get(kind, kind)
    small = {"num_beams": 3, "extra_tokens": 2} if kind == "bart" else {}  # random BART never stops early
    reqs = REQS[:3] if kind == "bart" else REQS
    inf = infillers.create(name, model=models[kind], batch_size=2, **small)
    batched = inf.infill(reqs)
    _check_fills(reqs, batched)
    assert batched == [inf.infill([r])[0] for r in reqs]


@pytest.mark.slow
def test_t5_fills_are_clean_and_sampling_is_seeded(models):
    beam = T5Infiller(models["t5"]).infill(REQS)
    assert any(beam), "the tiny T5 proposed nothing at all"
    s1 = T5Infiller(models["t5"], decoding="sample", seed=3).infill(REQS)
    s2 = T5Infiller(models["t5"], decoding="sample", seed=3).infill(REQS)
    _check_fills(REQS, s1)
    assert s1 == s2


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bart", "bert", "roberta"])
def test_sampled_fills_are_seeded(models, kind):
    name = {"bert": "mlm", "roberta": "mlm"}.get(kind, kind)
    small = {"extra_tokens": 2, "num_samples": 3} if kind == "bart" else {}
    reqs = REQS[:2] if kind == "bart" else REQS
    a = infillers.create(name, model=models[kind], decoding="sample", seed=7, **small).infill(reqs)
    b = infillers.create(name, model=models[kind], decoding="sample", seed=7, **small).infill(reqs)
    _check_fills(reqs, a)
    assert a == b


@pytest.mark.slow
def test_t5_drops_fills_with_special_tokens(models):
    inf = T5Infiller(models["t5"])
    assert inf._tidy("a <unk> b") is None
    assert inf._tidy("x <extra_id_3>") is None
    assert inf._tidy("  two\n words ") == "two words"


@pytest.mark.slow
def test_t5_fills_several_spans_of_one_prompt(models):
    inf = T5Infiller(models["t5"], decoding="sample", num_samples=16)
    rows = inf.fill_spans(TEXT, [(15, 18), (6, 11)], n=5)
    assert len(rows) <= 5
    for row in rows:
        assert len(row) == 2 and all(f and not SPECIAL.search(f) for f in row)
    with pytest.raises(ConfigError, match="overlap"):
        inf.fill_spans(TEXT, [(0, 5), (3, 8)])


@pytest.mark.slow
def test_mlm_fills_whole_words_one_per_masked_word(models):
    for kind in ("bert", "roberta"):
        inf = MLMInfiller(models[kind])
        fills = inf.infill(REQS)
        assert all(fills), kind
        for req, row in zip(REQS, fills):
            for f in row:
                parts = f.split()
                assert len(parts) == len(req.old.split())
                assert all(re.fullmatch(r"[A-Za-z][A-Za-z'\-]*", p) for p in parts), f
                assert f[0].isupper() == req.old[0].isupper()


@pytest.mark.slow
def test_long_prompt_is_windowed_not_a_crash(models):
    long = " ".join(["my sister left her job and I am worried about money."] * 300)
    start = long.index("worried", len(long) // 2)
    req = InfillRequest(long, start, start + len("worried"), 3)
    for kind, cls in (("t5", T5Infiller), ("bart", BartInfiller), ("bert", MLMInfiller)):
        inf = cls(models[kind], max_length=48, num_beams=3)
        left, right = inf._window(req, 4)
        assert long[:start].endswith(left) and long[req.end :].startswith(right)
        assert left.endswith("am ") and right.startswith(" about")
        n_tokens = len(inf.tokenizer(left + right, add_special_tokens=False)["input_ids"])
        assert n_tokens <= 48
        _check_fills([req], inf.infill([req]))


@pytest.mark.slow
def test_bad_options_and_models_are_clear_errors(models, tmp_path):
    with pytest.raises(ConfigError, match="decoding"):
        T5Infiller(models["t5"], decoding="greedy")
    with pytest.raises(ConfigError, match="batch_size"):
        MLMInfiller(models["bert"], batch_size=0)
    with pytest.raises(ConfigError, match="sentinel"):
        T5Infiller(models["bart"]).infill(REQS[:1])
    from promptfoil.errors import PromptfoilError

    with pytest.raises(PromptfoilError, match="could not load model"):
        T5Infiller(str(tmp_path / "missing")).infill(REQS[:1])
