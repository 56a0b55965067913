"""Score stage: how contrastive a (prompt, response) pair is against the original pair."""

from .base import ScoreItem, Scorer, scorers

__all__ = ["ScoreItem", "Scorer", "scorers"]
