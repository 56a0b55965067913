"""Any Hugging Face causal or seq2seq model as the target, generating in padded batches.

Prompts go through the tokenizer's chat template when it has one (special tokens written in
the prompt text stay plain text: a prompt cannot forge a turn), else as plain text. A
conversation goes through the chat template as its messages; a model without a chat
template (or ``chat=false``) cannot take one, which is a clear error. Causal
models are padded on the left so every row's answer starts at the same position. Greedy by
default; ``temperature > 0`` samples, seeded per batch. Responses share the SQLite cache
(identity: the hub name, or a local folder's path and weights hash).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends import hf
from ..backends.hf_chat import encode_chat, encode_plain
from ..conversation import Conversation
from ..errors import ConfigError, PromptfoilError
from ..types import Reply
from .base import BaseTarget, targets


class HFTarget(BaseTarget):
    """``transformers`` generation for the model named by ``model`` (hub name or folder)."""

    batch_size = 8  # prompts per generate call (a plain attribute: no thread pool here)
    accepts_conversations = True  # through the chat template (checked when the model loads)

    def __init__(
        self,
        model: str | None = None,
        max_tokens: int = 64,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = 0,
        system: str | None = None,
        chat: bool | None = None,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        name: str = "hf",
    ) -> None:
        if not model:
            raise ConfigError("target 'hf' needs a model: --target-model NAME|PATH")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1 (got {max_tokens!r})")
        if not isinstance(temperature, (int, float)) or temperature < 0:
            raise ConfigError(f"temperature must be 0 (greedy) or more (got {temperature!r})")
        if not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
            raise ConfigError(f"top_p must lie in (0, 1] (got {top_p!r})")
        self.model = str(model)
        self.max_tokens = max_tokens
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.seed = seed
        self.system = system
        self.chat_option = chat
        self.hf = hf.HFModel(self.model, "causal", device, dtype, batch_size)
        self.batch_size = self.hf.batch_size
        self.name = name
        self._kind: str | None = None
        self._identity: str | None = None

    # -- identity and settings: the cache key -------------------------------------------
    @property
    def identity(self) -> str | None:
        if self._identity is None:
            self._identity = hf.model_identity(self.model)
        return self._identity

    @property
    def settings(self) -> dict[str, Any]:
        sampled = self.temperature > 0
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p if sampled else None,
            "seed": self.seed if sampled else None,
            "system": self.system,
            "chat": self.chat_option,
            "dtype": self.hf.dtype,
        }

    @property
    def cacheable(self) -> bool:
        return self.temperature == 0 or self.seed is not None

    # -- loading ------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``seq2seq`` for encoder-decoder models, else ``causal``."""
        if self._kind is None:
            cfg = hf.config_of(self.model)
            self._kind = "seq2seq" if getattr(cfg, "is_encoder_decoder", False) else "causal"
            self.hf.kind = self._kind
            self.hf.padding_side = "left" if self._kind == "causal" else "right"
        return self._kind

    def _load(self) -> tuple[Any, Any]:
        _ = self.kind
        tok, net = self.hf.tokenizer, self.hf.net
        if tok.pad_token_id is None:
            if tok.eos_token is None:
                raise PromptfoilError(f"model '{self.model}' has neither a pad nor an eos token to pad batches with")
            tok.pad_token = tok.eos_token
        return tok, net

    def uses_chat_template(self, tok: Any) -> bool:
        has = bool(getattr(tok, "chat_template", None))
        if self.chat_option and not has:
            raise ConfigError(f"chat=true, but the tokenizer of '{self.model}' has no chat template")
        return has if self.chat_option is None else bool(self.chat_option)

    def encode(self, prompt: str | Conversation) -> list[int]:
        """Token ids of one prompt (or conversation) as the model will see it."""
        tok, _ = self._load()
        if isinstance(prompt, Conversation):
            if not self.uses_chat_template(tok):
                raise ConfigError(
                    f"target 'hf' model '{self.model}' has no chat template (or chat=false), so it cannot "
                    "take a conversation; use a chat model, or explain one prompt text"
                )
            msgs = prompt.to_list()
            if self.system and prompt.system is None:
                msgs.insert(0, {"role": "system", "content": self.system})
            return encode_chat(tok, msgs)
        if self.uses_chat_template(tok):
            messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
                {"role": "user", "content": prompt}
            ]
            return encode_chat(tok, messages)
        return encode_plain(tok, f"{self.system}\n\n{prompt}" if self.system else prompt)

    # -- generation ---------------------------------------------------------------------
    def _unfit(self, ids: list[list[int]], limit: int) -> dict[int, str]:
        """Why each prompt that does not fit the context cannot be asked (by position)."""
        out = {}
        for i, p_ids in enumerate(ids):
            need = len(p_ids) + (self.max_tokens if self.kind == "causal" else 0)
            if need > limit:
                out[i] = (f"prompt of {len(p_ids)} tokens does not fit the context of '{self.model}' "
                          f"({limit} tokens) with max_tokens={self.max_tokens}")
        return out

    def _replies(self, tok: Any, net: Any, ids: list[list[int]], out: Any) -> list[Reply]:
        """Texts, tokens used (prompt + answer) and whether each answer hit ``max_tokens``."""
        stops = net.generation_config.eos_token_id
        stops = set(stops if isinstance(stops, list) else [stops if stops is not None else tok.eos_token_id])
        replies = []
        for p_ids, row in zip(ids, out.tolist()):
            ended = next((i for i, t in enumerate(row) if t in stops), None)
            used = len(row) if ended is None else ended + 1
            text = tok.decode(row[:used], skip_special_tokens=True).strip()
            replies.append(Reply(text, len(p_ids) + used, ended is None and len(row) >= self.max_tokens))
        return replies

    def _batch(self, prompts: Sequence[str | Conversation]) -> list[Reply]:
        """Replies in order; a prompt that does not fit the context gets a skipped reply."""
        tok, net = self._load()
        ids = [self.encode(p) for p in prompts]
        unfit = self._unfit(ids, hf.input_limit(tok, net, fallback=1 << 20))
        fit = [p_ids for i, p_ids in enumerate(ids) if i not in unfit]
        answers = iter(self._generate_ids(tok, net, fit) if fit else [])
        return [Reply("", skipped=unfit[i]) if i in unfit else next(answers) for i in range(len(ids))]

    def _generate_ids(self, tok: Any, net: Any, ids: list[list[int]]) -> list[Reply]:
        torch = hf.torch_mod("The hf target")
        enc = self.hf.on_device(tok.pad({"input_ids": ids}, padding=True, return_tensors="pt"))
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_tokens, "pad_token_id": tok.pad_token_id}
        if self.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.temperature, top_p=self.top_p)
            if self.seed is not None:
                torch.manual_seed(self.seed)
        else:
            kwargs.update(do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None)
        with torch.no_grad():
            out = net.generate(**enc, **kwargs)
        # causal: the answer follows the (left-padded) prompt; seq2seq: the decoder start token
        out = out[:, enc["input_ids"].shape[1] :] if self.kind == "causal" else out[:, 1:]
        return self._replies(tok, net, ids, out)

    def _generate_batch(self, prompts: list[str | Conversation]) -> list[Reply]:
        out: list[Reply] = []
        for part in self.hf.batches(prompts):
            out.extend(self._batch(part))
        return out


targets.register("hf", "any Hugging Face causal or seq2seq model (--target-model NAME|PATH), batched")(HFTarget)
