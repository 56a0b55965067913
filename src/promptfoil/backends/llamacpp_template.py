"""The model's own chat template (GGUF metadata), rendered to token ids for the batched
generation of ``llamacpp_batch``: the same ids as one-by-one answers (:mod:`.chat_template`),
so text typed inside a message stays text in a batch too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .chat_template import chat_tokens
from .embedded import require


@dataclass(frozen=True)
class ChatPrompt:
    """A rendered chat prompt: its tokens and the stop string of the chat format."""

    tokens: list[int]
    stop: bytes


def _token_text(llama: Any, token: int) -> str:
    return llama._model.token_get_text(token) if token != -1 else ""


class ChatTemplate:
    """The model's own chat template (GGUF metadata), rendered as llama-cpp-python does.

    Only models whose chat format is their Jinja template qualify (:meth:`of` returns None
    otherwise, and the caller answers one prompt at a time through ``create_chat_completion``).
    """

    def __init__(self, llama: Any, template: str) -> None:
        fmt = require("llama_cpp", "llama.cpp chat", "llama-cpp-python", "local").llama_chat_format
        eos = _token_text(llama, llama.token_eos())
        self._formatter = fmt.Jinja2ChatFormatter(template, eos, _token_text(llama, llama.token_bos()))
        self._llama = llama

    @classmethod
    def of(cls, llama: Any) -> ChatTemplate | None:
        """The template ``llama`` chats with, or None when it uses another chat handler."""
        name = getattr(llama, "chat_format", None) or ""
        if getattr(llama, "chat_handler", None) is not None or not name.startswith("chat_template."):
            return None
        key = "tokenizer.chat_template" + ("" if name == "chat_template.default" else "." + name[14:])
        template = llama.metadata.get(key)
        return cls(llama, template) if template else None

    def render(self, messages: list[dict[str, str]]) -> ChatPrompt:
        """The prompt tokens for ``messages`` (with the assistant turn opened) and the stop string."""
        out = self._formatter(messages=messages)
        tokens = chat_tokens(self._llama, messages, self._formatter)
        stop = out.stop[0] if isinstance(out.stop, list) else out.stop
        return ChatPrompt(tokens, (stop or "").encode("utf-8"))
