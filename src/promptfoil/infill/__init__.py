"""Infill stage: proposes replacement words for a masked unit of a prompt, a batch of masks at a time.
Owns the Infiller protocol, its registry and the infillers (lm, llm, t5, bart, mlm)."""

from .base import Infiller, InfillRequest, clean_fills, infillers

__all__ = ["Infiller", "InfillRequest", "clean_fills", "infillers"]
