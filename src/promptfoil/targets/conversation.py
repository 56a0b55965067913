"""A target that takes conversations, seen by the query stage as one that takes texts.

The search and the cache work on the rendered text of a conversation. This adapter reads
each text back into messages (:meth:`Layout.decode`) and hands the target a
:class:`~promptfoil.conversation.Conversation`, which each backend sends in its own way
(a chat template, an API's messages). Its cache identity names the conversation's fixed
part, so a text is only ever matched with the messages it decodes to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..prompt.conversation import Conversation, Layout
from ..errors import ConfigError, PromptfoilError
from .base import Target, TargetError, as_reply
from ..types import Reply


def takes_conversations(target: object) -> bool:
    """Does ``target`` accept :class:`Conversation` prompts in ``generate``?"""
    return bool(getattr(target, "accepts_conversations", False))


class ConversationTarget:
    """Presents ``inner`` (a target that accepts conversations) to the query stage."""

    def __init__(self, inner: Target, layout: Layout) -> None:
        name = getattr(inner, "name", type(inner).__name__)
        if not takes_conversations(inner):
            raise ConfigError(
                f"target '{name}' takes text prompts only, not conversations"
                + (getattr(inner, "conversation_hint", "") or "")
            )
        self.inner = inner
        self.layout = layout
        self.name = name

    @property
    def batch_size(self) -> int:
        return max(1, int(getattr(self.inner, "batch_size", 1) or 1))

    @property
    def identity(self) -> str | None:
        ident = self.inner.identity
        return None if ident is None else f"{ident}#conversation:{self.layout.fingerprint}"

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.inner.settings)

    @property
    def cacheable(self) -> bool:
        return self.inner.cacheable

    def _decode(self, text: str) -> Conversation:
        conv = self.layout.decode(text)
        if conv is None:  # the search only builds texts of the layout
            raise PromptfoilError("internal error: a candidate text does not fit the conversation's layout")
        return conv

    def generate(self, prompts: Sequence[str]) -> list[Reply]:
        texts = list(prompts)
        convs = [self._decode(t) for t in texts]
        text_of = dict(zip(convs, texts))
        try:
            raw = self.inner.generate(convs)  # type: ignore[arg-type]
        except TargetError as exc:
            exc.answered = {text_of.get(k, k): r for k, r in exc.answered.items()}  # type: ignore[call-overload]
            raise
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or len(raw) != len(texts):
            raise PromptfoilError(f"target '{self.name}' must return one response per conversation")
        return [as_reply(r, self.name) for r in raw]
