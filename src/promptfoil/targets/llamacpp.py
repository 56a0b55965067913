"""A local GGUF chat model through llama-cpp-python; the embedded default is SmolLM2-135M."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..errors import PromptfoilError
from ..models import load_llama, smollm2_gguf
from .base import BaseTarget, targets


def _file_id(path: Path) -> str:
    """Name, size and a hash of the first MiB: cheap, and changes when the weights do."""
    with path.open("rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()[:16]
    return f"{path.name}:{path.stat().st_size}:{head}"


class LlamaCppTarget(BaseTarget):
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
        self.path = Path(model_path) if model_path else smollm2_gguf()
        if not self.path.is_file():
            raise PromptfoilError(f"GGUF model file not found: {self.path}")
        if max_tokens < 1:
            raise PromptfoilError(f"max_tokens must be at least 1 (got {max_tokens})")
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.system = system
        self.n_ctx = n_ctx
        self.name = name
        self._id = f"llamacpp:{_file_id(self.path)}"

    @property
    def identity(self) -> str | None:
        return self._id

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed if self.temperature > 0 else None,
            "system": self.system,
        }

    @property
    def cacheable(self) -> bool:
        return self.temperature == 0 or self.seed is not None

    def _generate_one(self, prompt: str) -> str:
        llm = load_llama(str(self.path), self.n_ctx, False)
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": prompt}
        ]
        n_prompt = len(llm.tokenize(prompt.encode("utf-8"), add_bos=False))
        if n_prompt + self.max_tokens + 32 > self.n_ctx:
            raise PromptfoilError(
                f"prompt of {n_prompt} tokens does not fit the model context of {self.n_ctx} "
                f"with max_tokens={self.max_tokens}"
            )
        kwargs: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": self.temperature}
        if self.temperature == 0:
            kwargs["top_k"] = 1
        if self.seed is not None:
            kwargs["seed"] = self.seed
        out = llm.create_chat_completion(messages=messages, **kwargs)
        return str(out["choices"][0]["message"]["content"] or "").strip()


@targets.register("smollm2", "embedded SmolLM2-135M-Instruct GGUF via llama.cpp (offline default)")
def _make_smollm2(max_tokens: int = 64, **kwargs: Any) -> LlamaCppTarget:
    kwargs.pop("model", None)
    return LlamaCppTarget(None, max_tokens=max_tokens, name="smollm2", **kwargs)


@targets.register("gguf", "any local GGUF chat model via llama.cpp (--target-model PATH)")
def _make_gguf(model: str | None = None, max_tokens: int = 64, **kwargs: Any) -> LlamaCppTarget:
    if not model:
        raise PromptfoilError("target 'gguf' needs a model file: --target-model PATH.gguf")
    return LlamaCppTarget(model, max_tokens=max_tokens, name="gguf", **kwargs)
