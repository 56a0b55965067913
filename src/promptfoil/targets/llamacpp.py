"""A local GGUF chat model through llama.cpp; the embedded default is SmolLM2-135M.

Greedy prompts of one batch decode together as parallel sequences of one llama.cpp context
(:mod:`promptfoil.backends.llamacpp_batch`), sharing the computed chat template, system
prompt and words before the first edit; the answers are those of one-by-one decoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..backends.llamacpp import LocalChat
from ..errors import ConfigError, whole
from ..types import Reply
from .base import Capabilities, targets
from .chat import ChatTarget
from ..settings.defaults import DEFAULT_MAX_TOKENS


#: Prompts per batch, chosen from prompts/second measured at batch 1-16 (benchmarks/batch_target.py).
DEFAULT_BATCH = 4


class LlamaCppTarget(ChatTarget):
    """Chat-templated generation with a GGUF file; greedy unless a temperature is given.

    ``batch_size`` prompts are handed over at once by the search; greedy ones decode
    together, sampled ones one at a time.
    """

    capabilities = Capabilities(in_process=True)

    def __init__(
        self,
        model_path: str | Path | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0,
        seed: int | None = 0,
        system: str | None = None,
        n_ctx: int = 2048,
        name: str = "llamacpp",
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        super().__init__(name, max_tokens, temperature, seed, system)
        self._batch = whole("batch_size", batch_size, 1, floats=True)
        self.llm = LocalChat(model_path, n_ctx, max_batch=self._batch)
        self.path = self.llm.path

    @property
    def batch_size(self) -> int:
        return self._batch

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

    def _generate_batch(self, prompts: list[str]) -> Sequence[Reply]:
        requests = [self.request(p) for p in prompts]
        if not self.llm.batchable(requests) or not self.llm.fits(requests):
            return super()._generate_batch(prompts)  # one by one, keeping partial answers
        return [self.reply(r) for r in self.llm.batch(requests)]


@targets.register("smollm2", "embedded SmolLM2-135M-Instruct GGUF via llama.cpp (offline default)",
                  traits=LlamaCppTarget.capabilities)
def _make_smollm2(
    model: str | None = None, max_tokens: int = DEFAULT_MAX_TOKENS, temperature: float = 0.0, seed: int | None = 0,
    system: str | None = None, n_ctx: int = 2048, batch_size: int = DEFAULT_BATCH,
) -> LlamaCppTarget:
    if model:
        raise ConfigError(
            f"target 'smollm2' is the embedded model and takes no --target-model (got {model!r}); "
            "for another GGUF file use --target gguf --target-model PATH.gguf"
        )
    return LlamaCppTarget(None, max_tokens, temperature, seed, system, n_ctx, name="smollm2", batch_size=batch_size)


@targets.register("gguf", "any local GGUF chat model via llama.cpp (--target-model PATH, or qwen-0.5b etc.: "
                  "see `promptfoil models`)", traits=LlamaCppTarget.capabilities)
def _make_gguf(
    model: str | None = None, max_tokens: int = DEFAULT_MAX_TOKENS, temperature: float = 0.0, seed: int | None = 0,
    system: str | None = None, n_ctx: int = 2048, batch_size: int = DEFAULT_BATCH,
) -> LlamaCppTarget:
    if not model:
        raise ConfigError("target 'gguf' needs a model file: --target-model PATH.gguf, or a name "
                          "of `promptfoil models list` (qwen-0.5b, ...)")
    return LlamaCppTarget(model, max_tokens, temperature, seed, system, n_ctx, name="gguf", batch_size=batch_size)
