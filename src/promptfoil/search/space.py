"""The space the search walks: the original prompt's units and prompts built from them."""

from __future__ import annotations

from collections.abc import Mapping

from ..scorers.base import ScoreItem
from ..types import Candidate, Edit, Segment


class PromptSpace:
    """Renders candidates from unit replacements; everything else stays byte-for-byte."""

    def __init__(self, prompt: str, segments: list[Segment]) -> None:
        self.prompt = prompt
        self.segments = segments
        self.unit_segments = [i for i, s in enumerate(segments) if s.editable]

    @property
    def n_units(self) -> int:
        return len(self.unit_segments)

    def unit(self, u: int) -> Segment:
        return self.segments[self.unit_segments[u]]

    def candidate(self, replacements: Mapping[int, str]) -> Candidate:
        reps = tuple(sorted(replacements.items()))
        return Candidate(reps, self.render(replacements))

    def render(self, replacements: Mapping[int, str]) -> str:
        by_segment = {self.unit_segments[u]: new for u, new in replacements.items()}
        return "".join(by_segment.get(i, s.text) for i, s in enumerate(self.segments))

    def span(self, replacements: Mapping[int, str], u: int) -> tuple[int, int]:
        """Where unit ``u`` lies in the rendered text of ``replacements``."""
        target = self.unit_segments[u]
        pos = 0
        by_segment = {self.unit_segments[k]: v for k, v in replacements.items()}
        for i, s in enumerate(self.segments):
            text = by_segment.get(i, s.text)
            if i == target:
                return pos, pos + len(text)
            pos += len(text)
        raise IndexError(u)

    def edits(self, candidate: Candidate) -> tuple[Edit, ...]:
        out = []
        for u, new in candidate.replacements:
            seg = self.unit(u)
            out.append(Edit(u, seg.start, seg.end, seg.text, new))
        return tuple(out)

    def admits(self, candidate: Candidate) -> bool:
        """May ``candidate`` be asked? (A plain prompt: always; see ``search/turns.py``.)"""
        return True

    def checked_pieces(self, candidate: Candidate) -> list[tuple[str, str]]:
        """What the constraints (fluency, prompt similarity) compare: ``(original, candidate)``
        text pairs; for a plain prompt the whole prompt."""
        return [(self.prompt, candidate.text)]

    def score_item(self, x0: str, y0: str, candidate: Candidate, response: str) -> ScoreItem:
        """What the scorer gets for ``candidate`` and its response."""
        return ScoreItem(x0, y0, candidate.text, response)
