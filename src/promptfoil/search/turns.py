"""The prompt space of a conversation: units only in the selected turns, edits that name them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..prompt.conversation import Conversation, Layout
from ..scorers.base import ScoreItem
from ..types import Candidate, Edit, Segment
from .space import PromptSpace


class ConversationSpace(PromptSpace):
    """A :class:`PromptSpace` over a conversation's text (see :mod:`promptfoil.conversation`).

    Segments come from the layout's text with everything but the selected contents
    protected, so units never leave a selected turn.
    """

    def __init__(self, layout: Layout, segments: list[Segment]) -> None:
        super().__init__(layout.text, segments)
        self.layout = layout

    def conversation(self, replacements: Mapping[int, str] | tuple[tuple[int, str], ...]) -> Conversation:
        """The messages ``replacements`` make: each selected turn with its units replaced."""
        reps = dict(replacements)
        conv = self.layout.conversation
        for turn in self.layout.turns:
            s, e = self.layout.spans[turn]
            pieces, pos = [], s
            for u in sorted(reps):
                seg = self.unit(u)
                if s <= seg.start and seg.end <= e:
                    pieces += [self.prompt[pos : seg.start], reps[u]]
                    pos = seg.end
            if len(pieces):
                conv = conv.with_content(turn, "".join(pieces) + self.prompt[pos:e])
        return conv

    def admits(self, candidate: Candidate) -> bool:
        """Only candidates whose text reads back as the messages their edits make (a fill
        that spells a turn label after a blank line would otherwise move a turn boundary)."""
        return self.layout.decode(candidate.text) == self.conversation(candidate.replacements)

    def checked_pieces(self, candidate: Candidate) -> list[tuple[str, str]]:
        """Each edited turn's content against that turn's original content: fluency and
        prompt similarity judge the words a person typed, not the role labels around them, and
        a broken word is not diluted by the rest of a long conversation."""
        conv = self.conversation(candidate.replacements)
        before = self.layout.conversation.messages
        return [(before[t].content, conv.messages[t].content) for t in self.layout.turns
                if conv.messages[t].content != before[t].content]

    def edits(self, candidate: Candidate) -> tuple[Edit, ...]:
        out = []
        for e in super().edits(candidate):
            turn = self.layout.turn_at(e.start)
            out.append(replace(e, turn=turn, turn_start=e.start - self.layout.spans[turn][0]))
        return tuple(out)

    def score_item(self, x0: str, y0: str, candidate: Candidate, response: str) -> ScoreItem:
        return ScoreItem(x0, y0, candidate.text, response, self.layout.conversation,
                         self.layout.decode(candidate.text))
