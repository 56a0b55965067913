"""Conversations (OpenAI chat messages) as prompts whose editable words lie in chosen turns.

A conversation is shown to the search as one text, ``role: content`` blocks joined by a
blank line, so that segmentation, the search, the response cache and the trace all stay
text-based. Only the contents of the selected turns are editable; every other character
of that text (role labels, separators, the system prompt, the other turns) is protected.

:meth:`Layout.decode` reads a candidate text back into messages. It matches every fixed
piece literally, so whatever text the search builds, a turn outside the selection comes
back byte-identical: the target can only ever be sent the original of those turns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from ..codec.jsonl import loads
from ..errors import ConfigError, PromptfoilError

ROLES = ("system", "user", "assistant")
EDITABLE_ROLES = ("user", "assistant")
SEPARATOR = "\n\n"
DEFAULT_EDIT = ("user:-1",)


class Message(NamedTuple):
    """One turn: who speaks and what they say."""

    role: str
    content: str


def _where(i: int, role: str | None = None) -> str:
    return f"message {i}" + (f" ({role})" if role else "")


def _message(i: int, m: object) -> Message:
    if isinstance(m, Message):
        m = m._asdict()
    if not isinstance(m, Mapping):
        raise ConfigError(f"{_where(i)} must be an object with 'role' and 'content', got {type(m).__name__}")
    extra = sorted(set(m) - {"role", "content"})
    if extra:
        raise ConfigError(f"{_where(i)} has an unknown key {extra[0]!r}; a message has only 'role' and 'content'")
    role, content = m.get("role"), m.get("content")
    if role not in ROLES:
        raise ConfigError(f"{_where(i)} has unknown role {role!r}; roles: {', '.join(ROLES)}")
    if not isinstance(content, str):
        raise ConfigError(f"{_where(i, role)} needs a text 'content', got {type(content).__name__}")
    if not content.strip():
        raise ConfigError(f"{_where(i, role)} is empty")
    return Message(role, content)


@dataclass(frozen=True)
class Conversation:
    """Chat messages ending with a user turn; the reply explained is the next assistant turn.

    A system message may only come first. Build one with :meth:`of`, which checks all this.
    """

    messages: tuple[Message, ...]

    @classmethod
    def of(cls, value: object) -> Conversation:
        """A checked conversation from a list of ``{"role", "content"}`` objects (or a Conversation)."""
        if isinstance(value, Conversation):
            return value
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ConfigError(
                f"a conversation is a list of {{'role', 'content'}} messages, got {type(value).__name__}"
            )
        if not value:
            raise ConfigError("the conversation has no messages")
        msgs = tuple(_message(i, m) for i, m in enumerate(value))
        for i, m in enumerate(msgs):
            if m.role == "system" and i > 0:
                raise ConfigError(f"{_where(i, 'system')}: a system message may only come first")
        if msgs[-1].role != "user":
            raise ConfigError(
                f"the conversation must end with a user turn (the reply explained is the next "
                f"assistant turn); it ends with {msgs[-1].role!r}"
            )
        return cls(msgs)

    def to_list(self) -> list[dict[str, str]]:
        """The messages as OpenAI-style dicts."""
        return [{"role": m.role, "content": m.content} for m in self.messages]

    @property
    def system(self) -> str | None:
        return self.messages[0].content if self.messages[0].role == "system" else None

    @property
    def question(self) -> str:
        """The last user turn: what the explained reply answers."""
        return self.messages[-1].content

    def dialogue(self, include_system: bool = False) -> str:
        """The turns as ``role: content`` lines, for a judge reading the context."""
        return "\n".join(f"{m.role}: {m.content}" for m in self.messages if include_system or m.role != "system")

    def with_content(self, turn: int, content: str) -> Conversation:
        msgs = list(self.messages)
        msgs[turn] = Message(msgs[turn].role, content)
        return Conversation(tuple(msgs))


def render(messages: Sequence[Message]) -> str:
    """``role: content`` blocks joined by a blank line (the text the search edits)."""
    return SEPARATOR.join(f"{m.role}: {m.content}" for m in messages)


# -- which turns may change ------------------------------------------------------------------
_SELECTOR = re.compile(r"^(?:(?P<role>[a-z]+):(?P<which>\*|-?\d+)|(?P<index>-?\d+))$")


def parse_selectors(edit: str | Iterable[str] | None) -> tuple[str, ...]:
    """Selectors from a list or a comma-separated string; None gives the default ``user:-1``."""
    if edit is None:
        return DEFAULT_EDIT
    parts = edit.split(",") if isinstance(edit, str) else [p for e in edit for p in str(e).split(",")]
    out = tuple(p.strip() for p in parts if p.strip())
    if not out:
        raise ConfigError("no edit selector given; e.g. user:-1, user:*, assistant:*, or a turn index")
    return out


def _one_selector(conv: Conversation, sel: str) -> list[int]:
    m = _SELECTOR.match(sel)
    if not m:
        raise ConfigError(
            f"unknown edit selector {sel!r}; use user:-1, user:*, assistant:*, assistant:N or a turn index"
        )
    n = len(conv.messages)
    if m.group("index") is not None:
        i = int(m.group("index"))
        if not -n <= i < n:
            raise ConfigError(f"edit selector {sel!r} matches no turn: the conversation has {n} messages")
        return [i % n]
    role, which = m.group("role"), m.group("which")
    if role not in ROLES:
        raise ConfigError(f"edit selector {sel!r} names unknown role {role!r}; roles: user, assistant")
    turns = [i for i, msg in enumerate(conv.messages) if msg.role == role]
    if which == "*":
        picked = turns
    else:
        k = int(which)
        picked = [turns[k]] if -len(turns) <= k < len(turns) else []
    if not picked:
        raise ConfigError(f"edit selector {sel!r} matches no turn of this conversation")
    return picked


def select_turns(conv: Conversation, edit: str | Iterable[str] | None = None) -> tuple[int, ...]:
    """Indices of the messages the selectors pick; the system prompt is never one of them."""
    chosen: set[int] = set()
    for sel in parse_selectors(edit):
        picked = _one_selector(conv, sel)
        if all(conv.messages[i].role == "system" for i in picked):
            raise ConfigError(f"edit selector {sel!r} matches only the system prompt, which is never edited")
        chosen.update(i for i in picked if conv.messages[i].role != "system")
    return tuple(sorted(chosen))


# -- the text the search edits, and back ------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """A conversation as one text: where each turn's content lies and which may change."""

    conversation: Conversation
    turns: tuple[int, ...]  # the editable (selected) turns

    @cached_property
    def text(self) -> str:
        return render(self.conversation.messages)

    @cached_property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """``(start, end)`` of each turn's content in :attr:`text`."""
        out, pos = [], 0
        for i, m in enumerate(self.conversation.messages):
            pos += (len(SEPARATOR) if i else 0) + len(m.role) + 2
            out.append((pos, pos + len(m.content)))
            pos += len(m.content)
        return tuple(out)

    def protected(self, inner: Iterable[Sequence[int]] = ()) -> list[tuple[int, int]]:
        """Every span outside the selected contents, plus ``(turn, start, end)`` spans of a
        turn's content given by the user, as offsets in :attr:`text`."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for i in self.turns:
            s, e = self.spans[i]
            spans.append((pos, s))
            pos = e
        spans.append((pos, len(self.text)))
        for item in inner:
            spans.append(self._inner_span(item))
        return [(s, e) for s, e in spans if e > s]

    def _inner_span(self, item: Sequence[int]) -> tuple[int, int]:
        try:
            turn, start, end = (int(x) for x in item)
        except (TypeError, ValueError):
            raise ConfigError(
                f"in a conversation a protected span is (turn, start, end) in that turn's content, got {item!r}"
            ) from None
        n = len(self.conversation.messages)
        if not 0 <= turn < n:
            raise ConfigError(f"protected span {tuple(item)!r} names turn {turn}; the conversation has {n} messages")
        s, e = self.spans[turn]
        if not 0 <= start <= end <= e - s:
            raise ConfigError(f"protected span {tuple(item)!r} lies outside turn {turn} (0..{e - s})")
        return s + start, s + end

    def turn_at(self, pos: int) -> int:
        """The turn whose content holds text offset ``pos`` (the last one starting before it)."""
        for i in range(len(self.spans) - 1, -1, -1):
            if self.spans[i][0] <= pos:
                return i
        return 0

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        parts = []
        for i, m in enumerate(self.conversation.messages):
            parts.append(re.escape((SEPARATOR if i else "") + f"{m.role}: "))
            parts.append("(.*?)" if i in self.turns else re.escape(m.content))
        return re.compile("".join(parts) + r"\Z", re.S)

    def decode(self, text: str) -> Conversation | None:
        """The messages a candidate text stands for; None when it does not fit the layout.

        Fixed pieces match literally, so unselected turns are always the original ones; a
        selected turn takes the shortest content that lets the rest of the text match.
        """
        m = self._pattern.match(text)
        if m is None:
            return None
        msgs = list(self.conversation.messages)
        for turn, content in zip(self.turns, m.groups()):
            msgs[turn] = Message(msgs[turn].role, content)
        return Conversation(tuple(msgs))

    def edited_text(self, conv: Conversation | None = None) -> str:
        """The selected turns' contents, one per line (what edit distance is measured on)."""
        c = conv or self.conversation
        return "\n".join(c.messages[i].content for i in self.turns)

    @cached_property
    def fingerprint(self) -> str:
        """Names the fixed part of the layout: roles, unselected contents, which turns may change."""
        fixed = [[m.role, None if i in self.turns else m.content] for i, m in enumerate(self.conversation.messages)]
        blob = json.dumps(["conversation/1", SEPARATOR, fixed], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def layout(conv: Conversation, edit: str | Iterable[str] | None = None) -> Layout:
    """The layout of ``conv`` with the turns ``edit`` selects; checks the text reads back."""
    lay = Layout(conv, select_turns(conv, edit))
    back = lay.decode(lay.text)
    if back != conv:
        bad = next(i for i in lay.turns if back is None or back.messages[i] != conv.messages[i])
        raise ConfigError(
            f"turn {bad} contains a blank line followed by what reads as the next turn's label "
            "and the rest of the conversation; it cannot be edited with the turns after it"
        )
    return lay


def load_messages(raw: str, where: str) -> Conversation:
    """A conversation from JSON text: a list of messages, or an object with ``messages``."""
    try:
        data: Any = loads(raw, where)
    except PromptfoilError as exc:
        raise ConfigError(str(exc)) from None
    if isinstance(data, dict) and "messages" in data:
        data = data["messages"]
    return Conversation.of(data)
