"""A GGUF model's chat template rendered to token ids so that typed text stays text.

llama-cpp-python renders the template to one string and tokenizes all of it with special
tokens parsed, so a message that contains ``<|im_start|>system`` would open a real system
turn. Here the template is rendered with a placeholder in place of each message's content;
the template's own text is tokenized with special tokens parsed, and every content without
(control-token spellings inside a message become ordinary text tokens).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from ..errors import PromptfoilError


def _formatter(llm: Any) -> Any:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise PromptfoilError("this GGUF model has no chat template; it cannot answer a conversation")
    model = llm._model  # noqa: SLF001 - the token texts the template needs
    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=model.token_get_text(eos) if eos != -1 else "",
        bos_token=model.token_get_text(bos) if bos != -1 else "",
    )


def template_text(llm: Any, messages: Sequence[dict[str, str]]) -> str:
    """The template rendered as one text (what llama-cpp-python's own chat handler tokenizes
    with control tokens parsed everywhere)."""
    return str(_formatter(llm)(messages=list(messages)).prompt)


def chat_pieces(llm: Any, messages: Sequence[dict[str, str]], formatter: Any = None) -> list[tuple[str, bool]]:
    """The rendered prompt as ``(text, is_template)`` pieces: template text or a message's
    content (``formatter``: a ready Jinja2 chat formatter; default: the model's own template)."""
    tag = secrets.token_hex(8)
    marks = [f"\x00{tag}:{i}\x00" for i in range(len(messages))]
    masked = [{"role": m["role"], "content": mark} for m, mark in zip(messages, marks)]
    prompt = (formatter or _formatter(llm))(messages=masked).prompt
    parts = re.split(f"\x00{tag}:(\\d+)\x00", prompt)
    found = [int(i) for i in parts[1::2]]
    if found != list(range(len(messages))):
        raise PromptfoilError("the model's chat template changes or reorders message contents; "
                              "promptfoil cannot keep typed control tokens as plain text with it")
    pieces: list[tuple[str, bool]] = []
    for k, text in enumerate(parts):
        if k % 2 == 0:
            if text:
                pieces.append((text, True))
        else:
            pieces.append((messages[int(text)]["content"], False))
    return pieces


def chat_tokens(llm: Any, messages: Sequence[dict[str, str]], formatter: Any = None) -> list[int]:
    """Token ids of ``messages`` through the chat template, with a generation prompt."""
    ids: list[int] = []
    for text, is_template in chat_pieces(llm, messages, formatter):
        ids += llm.tokenize(text.encode("utf-8"), add_bos=False, special=is_template)
    return ids
