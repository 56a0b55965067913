"""Infill stage: propose replacements for a masked span of a prompt."""

from .base import Infiller, InfillRequest, clean_fills, infillers

__all__ = ["Infiller", "InfillRequest", "clean_fills", "infillers"]
