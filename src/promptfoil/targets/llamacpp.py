"""A local GGUF chat model through llama.cpp; the embedded default is SmolLM2-135M."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..backends.llamacpp import LocalChat
from ..errors import ConfigError
from ..types import Reply
from .base import targets
from .chat import ChatTarget


class LlamaCppTarget(ChatTarget):
    """Chat-templated generation with a GGUF file; greedy unless a temperature is given."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        max_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = 0,
        system: str | None = None,
        n_ctx: int = 2048,
        name: str = "llamacpp",
    ) -> None:
        super().__init__(name, max_tokens, temperature, seed, system)
        self.llm = LocalChat(model_path, n_ctx)
        self.path = self.llm.path

    @property
    def identity(self) -> str | None:
        return self.llm.identity

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed if self.temperature > 0 else None,
            "system": self.system,
        }

    def _generate_one(self, prompt: str) -> Reply:
        return self.reply(self.llm.one(self.request(prompt), need_room=True))


@targets.register("smollm2", "embedded SmolLM2-135M-Instruct GGUF via llama.cpp (offline default)")
def _make_smollm2(
    model: str | None = None, max_tokens: int = 64, temperature: float = 0.0, seed: int | None = 0,
    system: str | None = None, n_ctx: int = 2048,
) -> LlamaCppTarget:
    if model:
        raise ConfigError(
            f"target 'smollm2' is the embedded model and takes no --target-model (got {model!r}); "
            "for another GGUF file use --target gguf --target-model PATH.gguf"
        )
    return LlamaCppTarget(None, max_tokens, temperature, seed, system, n_ctx, name="smollm2")


@targets.register("gguf", "any local GGUF chat model via llama.cpp (--target-model PATH)")
def _make_gguf(
    model: str | None = None, max_tokens: int = 64, temperature: float = 0.0, seed: int | None = 0,
    system: str | None = None, n_ctx: int = 2048,
) -> LlamaCppTarget:
    if not model:
        raise ConfigError("target 'gguf' needs a model file: --target-model PATH.gguf")
    return LlamaCppTarget(model, max_tokens, temperature, seed, system, n_ctx, name="gguf")
