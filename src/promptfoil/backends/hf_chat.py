"""Prompts as a Hugging Face chat model sees them, with control tokens typed in a prompt kept
as plain text (a prompt cannot forge a turn), whatever the transformers version.

Each control token inside a message is swapped for a private marker before the chat template
is rendered as text. The rendered text is tokenized as usual, so the template's own control
tokens become their special ids, and each marker becomes the ids of its token's *text*, read
with special tokens split. A prompt without control tokens gets exactly the ids of
``apply_chat_template(..., tokenize=True)``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from ..errors import PromptfoilError


def control_tokens(tok: Any, template: str = "") -> tuple[str, ...]:
    """Texts that act as control tokens: the tokenizer's special tokens, and added tokens
    that the chat ``template`` writes (longest first, so a regex tries them first)."""
    found = set(getattr(tok, "all_special_tokens", []) or [])
    for added in (getattr(tok, "added_tokens_decoder", {}) or {}).values():
        text = str(getattr(added, "content", added))
        if getattr(added, "special", False) or (template and text in template and not text.isspace()):
            found.add(text)
    return tuple(sorted((t for t in found if t), key=len, reverse=True))


def text_ids(tok: Any, text: str, controls: Sequence[str] = ()) -> list[int]:
    """Ids of ``text`` read as plain text: no control token is matched inside it."""
    ids = list(tok(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])
    forbidden = {tok.convert_tokens_to_ids(c) for c in controls}
    if forbidden.intersection(ids):  # a tokenizer that ignores split_special_tokens
        ids = [i for ch in text for i in tok(ch, add_special_tokens=False)["input_ids"]]
    return ids


def encode_chat(tok: Any, messages: Sequence[dict[str, str]]) -> list[int]:
    """Token ids of ``messages`` through the tokenizer's chat template, generation prompt
    added, control tokens typed in the messages encoded as text."""
    template = str(tok.chat_template if isinstance(tok.chat_template, str) else "")
    controls = control_tokens(tok, template)
    nonce = "pf" + uuid.uuid4().hex[:8]  # letters always: a template that changes case is caught
    typed: list[str] = []

    def mark(m: re.Match[str]) -> str:
        typed.append(m.group(0))
        return f"\ue000{nonce}:{len(typed) - 1}\ue001"

    pattern = re.compile("|".join(map(re.escape, controls))) if controls else None
    marked = [{**m, "content": pattern.sub(mark, m["content"]) if pattern else m["content"]} for m in messages]
    text = tok.apply_chat_template(marked, add_generation_prompt=True, tokenize=False)
    ids: list[int] = []
    pos = seen = 0
    for m in re.finditer(f"\ue000{nonce}:(\\d+)\ue001", text):
        ids += tok(text[pos : m.start()], add_special_tokens=False)["input_ids"]
        ids += text_ids(tok, typed[int(m.group(1))], controls)
        pos, seen = m.end(), seen + 1
    ids += tok(text[pos:], add_special_tokens=False)["input_ids"]
    if seen != len(typed):
        raise PromptfoilError(
            "the chat template rewrites message text, so special tokens typed in the prompt "
            "cannot be kept as text; remove them from the prompt or use chat=false"
        )
    return ids


def encode_plain(tok: Any, text: str) -> list[int]:
    """Token ids of ``text`` with the tokenizer's own special tokens, typed ones kept as text."""
    return list(tok(text, split_special_tokens=True)["input_ids"])
