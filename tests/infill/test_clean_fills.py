"""Cleaning an infiller's fills: normalisation keeps vowel signs, so two words that share
their consonants are different fills, not duplicates, and punctuation and case are ignored."""

from __future__ import annotations

from promptfoil.infill.base import clean_fills, normalise


def test_fill_normalisation_keeps_vowel_signs():
    """Two Hindi words with the same consonants are different fills, not duplicates."""
    assert normalise("कि") != normalise("का")  # same consonant, different vowel sign
    assert clean_fills("में", ["कि", "का", "कि!"], 5) == ["कि", "का"]
    assert normalise("Don't, STOP_now") == "don t stop now"
