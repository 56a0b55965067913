"""French, Russian and Chinese prompts end to end on the embedded models (SmolLM2 target and
lm infiller, MiniLM scorer): units are words of the prompt's script and the infiller proposes
words in that script. No claim on quality: SmolLM2-135M writes these languages poorly."""

from __future__ import annotations

import unicodedata

import pytest
from conftest import requires_models

import promptfoil
from promptfoil.prompt.segment import segment, words

pytestmark = [pytest.mark.slow, requires_models]

CASES = {
    "fr": ("Est-ce que je dois prêter de l'argent à mon ami?", "LATIN"),
    "ru": ("Почему богатые люди избегают разорения?", "CYRILLIC"),
    "zh": ("为什么富人能在股市崩盘时避免破产？", "CJK"),
}


@pytest.fixture(scope="module")
def explainer():
    return promptfoil.Explainer(algorithm="cell", budget=4, max_tokens=24, cache=False, minimize=False)


def _script(text: str) -> set[str]:
    return {unicodedata.name(c, "?").split()[0] for c in text if c.isalpha()}


@pytest.mark.parametrize("lang", list(CASES))
def test_prompt_in_another_script_end_to_end(explainer, lang):
    prompt, script = CASES[lang]
    units = [s.text for s in segment(prompt) if s.editable]
    assert units == words(prompt) and len(units) >= 5
    result = explainer.explain(prompt)
    fills = [e.new for t in result.trace for e in t.edits]
    assert fills, result.stop_reason
    assert result.calls.target <= 4
    for t in result.trace:
        out, pos = [], 0
        for e in sorted(t.edits, key=lambda e: e.start):
            out += [prompt[pos : e.start], e.new]
            pos = e.end
        assert "".join(out) + prompt[pos:] == t.prompt  # lossless: only the edited words changed
    assert any(script in _script(f) for f in fills), fills  # words of the prompt's script are proposed
