"""A GGUF model as the ``lm`` infiller and the fluency likelihood use it: loaded on first use
(shared with a target on the same file), with a branch decoder and the tokens a text follows."""

from __future__ import annotations

from typing import Any

from ..backends.llamacpp import load_llama
from ..backends.model_store import model_file
from .branches import BranchDecoder, text_header


class GGUFModel:
    """Lazy ``lm`` / ``dec`` / ``header`` over the GGUF file ``model_path`` (a path or a short
    name of ``promptfoil models``; default: the embedded SmolLM2-135M)."""

    def __init__(self, model_path: str | None = None, n_ctx: int = 2048) -> None:
        self.model_path = str(model_file(model_path))
        self.n_ctx = n_ctx
        self._lm: Any = None
        self._dec: BranchDecoder | None = None
        self._header: list[int] | None = None

    @property
    def lm(self) -> Any:
        """The model (shared with a target on the same file); used for its tokenizer."""
        if self._lm is None:
            self._lm = load_llama(self.model_path, 2048, False)
        return self._lm

    @property
    def dec(self) -> BranchDecoder:
        """The decoder that holds a shared prefix and decodes branches from it."""
        if self._dec is None:
            self._dec = BranchDecoder(self.lm, n_ctx=self.n_ctx)
        return self._dec

    @property
    def header(self) -> list[int]:
        """Tokens before the text: the user-turn opening for ChatML models, else BOS."""
        if self._header is None:
            self._header = text_header(self.lm)
        return self._header
