"""Score stage: how contrastive a (prompt, response) pair is against the original (x0, y0).
Owns the Scorer protocol, its registry and every scorer (semantic, bleu, NLI, preference, judges)."""

from .base import ScoreItem, Scorer, scorers

__all__ = ["ScoreItem", "Scorer", "scorers"]
