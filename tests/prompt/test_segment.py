"""Segmentation of a prompt into units: lossless (the units join back to the prompt, offsets
hold), protected spans never inside a unit, k words a unit within one sentence or line, and
words of any script (contractions, Devanagari vowel signs, Chinese and Japanese, characters
outside the basic plane)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promptfoil.prompt.segment import count_words, segment, words


@settings(max_examples=400, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=4))
def test_joining_segments_gives_back_the_prompt(prompt, k):
    segs = segment(prompt, k)
    assert "".join(s.text for s in segs) == prompt
    pos = 0
    for s in segs:
        assert s.start == pos and prompt[s.start : s.end] == s.text
        pos = s.end
    assert pos == len(prompt)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1), st.integers(1, 3), st.data())
def test_protected_spans_are_never_inside_a_unit(prompt, k, data):
    a = data.draw(st.integers(0, len(prompt)))
    b = data.draw(st.integers(a, len(prompt)))
    segs = segment(prompt, k, protected=[(a, b)])
    assert "".join(s.text for s in segs) == prompt
    for s in segs:
        if s.editable:
            assert s.end <= a or s.start >= b or a == b
            assert 1 <= count_words(s.text) <= k


def test_units_group_k_words_and_keep_punctuation():
    prompt = "Why are rich people, really, able to avoid ruin?"
    segs = segment(prompt, 2)
    units = [s.text for s in segs if s.editable]
    assert units == ["Why are", "rich people", "really, able", "to avoid", "ruin"]
    assert [s.text for s in segment(prompt, 1) if s.editable] == words(prompt)


def test_contractions_and_hyphens_are_one_word():
    assert words("Don't be well-off") == ["Don't", "be", "well-off"]


def test_units_never_span_a_sentence_end_or_line_break():
    prompt = "We met. Rain fell on the hill\nnice\nuser asks why? Then it stopped"
    for k in (2, 3, 5):
        units = [s.text for s in segment(prompt, k) if s.editable]
        assert all("." not in u and "?" not in u and "\n" not in u for u in units), (k, units)
        assert "".join(s.text for s in segment(prompt, k)) == prompt
    assert [s.text for s in segment(prompt, 2) if s.editable][:4] == ["We met", "Rain fell", "on the", "hill"]


def test_devanagari_words_keep_their_vowel_signs():
    assert words("मैं हिंदी में लिखता हूँ।") == ["मैं", "हिंदी", "में", "लिखता", "हूँ"]


def test_chinese_and_japanese_clauses_split_into_words():
    zh = words("为什么富人能在股市崩盘时避免破产？")
    assert len(zh) >= 6 and "".join(zh) == "为什么富人能在股市崩盘时避免破产"
    assert "破产" in zh
    ja = words("私は日本語を話します。")
    assert len(ja) >= 4 and "日本語" in ja
    units = [s.text for s in segment("为什么富人能在股市崩盘时避免破产？", 1) if s.editable]
    assert units == zh


def test_french_and_russian_words():
    assert words("Je n'aime pas les pommes, aujourd'hui.") == ["Je", "n'aime", "pas", "les", "pommes", "aujourd'hui"]
    assert words("Почему богатые люди избегают разорения?") == ["Почему", "богатые", "люди", "избегают", "разорения"]


def test_offsets_hold_around_characters_outside_the_basic_plane():
    prompt = "😀 ab👍🏽c is fine. 𝒳 word"
    segs = segment(prompt, 2)
    assert "".join(s.text for s in segs) == prompt
    assert all(prompt[s.start : s.end] == s.text for s in segs)
    assert words(prompt)[-1] == "word"
