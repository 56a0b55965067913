from hypothesis import given, settings
from hypothesis import strategies as st

from promptfoil.segment import count_words, segment, words


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
