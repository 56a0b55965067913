"""Any Hugging Face causal or seq2seq model as the target, generating in padded batches.

Prompts go through the tokenizer's chat template when it has one (special tokens written in
the prompt text stay plain text: a prompt cannot forge a turn), else as plain text. A
conversation goes through the chat template as its messages; a model without a chat
template (or ``chat=false``) cannot take one, which is a clear error. Causal
models are padded on the left so every row's answer starts at the same position. Greedy by
default; ``temperature > 0`` samples, seeded per batch. Responses share the SQLite cache
(identity: the hub name, or a local folder's path and weights hash).

Shared-prefix reuse (causal models, ``prefix_reuse=True``): the token prefix every prompt of a
batch shares (chat template, system prompt, the words before the first edit) runs through the
model once; its key/value cache is copied to every row, and the rest of each prompt follows it
padded in the middle (prefix + pads + suffix, pads masked), so positions are those of the
unpadded prompt. The last prefix's cache is kept: a later batch reuses the part it shares.
Answers are those of plain generation (up to float rounding, as with any change of batch
shape); models with sliding-window or recurrent caches, and transformers versions whose
models return no ``DynamicCache``, take the plain path.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Sequence
from typing import Any

from ..backends import hf
from ..backends.hf_chat import encode_chat, encode_plain
from ..prompt.conversation import Conversation
from ..errors import ConfigError, PromptfoilError
from ..types import Reply
from .base import BaseTarget, Capabilities, targets
from ..settings.defaults import DEFAULT_MAX_TOKENS


class HFTarget(BaseTarget):
    """``transformers`` generation for the model named by ``model`` (hub name or folder)."""

    batch_size = 8  # prompts per generate call (a plain attribute: no thread pool here)
    capabilities = Capabilities(in_process=True)
    accepts_conversations = True  # through the chat template (checked when the model loads)
    min_prefix = 16  # shared prompt tokens worth a separate prefix pass (causal models only)

    def __init__(
        self,
        model: str | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = 0,
        system: str | None = None,
        chat: bool | None = None,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        prefix_reuse: bool = True,
        name: str = "hf",
    ) -> None:
        if not model:
            raise ConfigError("target 'hf' needs a model: --target-model NAME|PATH")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1 (got {max_tokens!r})")
        if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or temperature < 0:
            raise ConfigError(f"temperature must be 0 (greedy) or more (got {temperature!r})")
        if not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
            raise ConfigError(f"top_p must lie in (0, 1] (got {top_p!r})")
        if not isinstance(prefix_reuse, bool):
            raise ConfigError(f"prefix_reuse must be true or false (got {prefix_reuse!r})")
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
        self.prefix_reuse = prefix_reuse  # never changes answers, so not in the settings
        self._prefix: tuple[tuple[int, ...], Any] | None = None  # last shared prefix, its cache (batch 1)
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
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_tokens, "pad_token_id": tok.pad_token_id}
        prefix = self._shared_prefix(ids) if self.prefix_reuse and self.kind == "causal" else []
        cache = self._prefix_cache(net, prefix) if prefix else None
        if cache is None:
            enc = self.hf.on_device(tok.pad({"input_ids": ids}, padding=True, return_tensors="pt"))
        else:
            enc = self._after_prefix(tok, ids, len(prefix))
            cache = copy.deepcopy(cache)  # generate extends the cache it gets: never the kept one
            cache.batch_repeat_interleave(len(ids))
            kwargs[_cache_arg(net)] = cache
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

    # -- shared-prefix reuse ------------------------------------------------------------
    def _shared_prefix(self, ids: list[list[int]]) -> list[int]:
        """The tokens every prompt starts with (each keeps at least one of its own), when
        there are at least :attr:`min_prefix` of them; else none."""
        most = min(len(p) for p in ids) - 1
        first = ids[0]
        n = next((i for i in range(most) if any(p[i] != first[i] for p in ids)), max(most, 0))
        return first[:n] if n >= self.min_prefix else []

    def _prefix_cache(self, net: Any, prefix: list[int]) -> Any | None:
        """The batch-1 cache of ``prefix``, built on the kept one where they share at least
        :attr:`min_prefix` tokens (cropped, then extended); kept for the next batch. ``None``
        when the model's cache is not a plain full-attention ``DynamicCache``."""
        torch = hf.torch_mod("The hf target")
        key, have, cache = tuple(prefix), 0, None
        if self._prefix is not None:
            old, kept = self._prefix
            if old == key:
                return kept
            have = next((i for i, (a, b) in enumerate(zip(old, key)) if a != b), min(len(old), len(key)))
            if have >= self.min_prefix:
                cache = copy.deepcopy(kept)
                if have < len(old):
                    cache.crop(have - len(old))  # negative: drop that many tokens from the end
            else:
                have = 0
        if have < len(key):
            if cache is None and not _full_attention(net):
                self.prefix_reuse = False
                return None
            arg = _cache_arg(net)
            extra: dict[str, Any] = {arg: cache} if cache is not None else {}
            if "logits_to_keep" in inspect.signature(net.forward).parameters:
                extra["logits_to_keep"] = 1  # only the cache is wanted
            with torch.no_grad():
                out = net(input_ids=torch.tensor([prefix[have:]], device=self.hf.device), use_cache=True, **extra)
            cache = out.get(arg)
            if not _plain_cache(cache):
                self.prefix_reuse = False  # this model (or transformers version) cannot: stop trying
                return None
        self._prefix = (key, cache)
        return cache

    def _after_prefix(self, tok: Any, ids: list[list[int]], n: int) -> dict[str, Any]:
        """Inputs for generation after an ``n``-token cached prefix: prefix + pads + suffix,
        the pads masked, so each suffix takes the positions it has in its own prompt."""
        torch = hf.torch_mod("The hf target")
        rest = tok.pad({"input_ids": [p[n:] for p in ids]}, padding=True, return_tensors="pt")  # left pads
        head = torch.tensor([ids[0][:n]] * len(ids), dtype=rest["input_ids"].dtype)
        return self.hf.on_device({
            "input_ids": torch.cat([head, rest["input_ids"]], dim=1),
            "attention_mask": torch.cat([torch.ones_like(head), rest["attention_mask"]], dim=1),
        })

    def _generate_batch(self, prompts: list[str | Conversation]) -> list[Reply]:
        out: list[Reply] = []
        for part in self.hf.batches(prompts):
            out.extend(self._batch(part))
        return out


def _cache_arg(net: Any) -> str:
    """The forward's name for the key/value cache (``cache`` since transformers 5)."""
    return "cache" if "cache" in inspect.signature(net.forward).parameters else "past_key_values"


def _plain_cache(cache: Any) -> bool:
    """A ``DynamicCache`` of full-attention layers only (no sliding window, no recurrent state)."""
    kind = hf.transformers_mod("The hf target").DynamicCache
    flags = [*(getattr(cache, "is_sliding", None) or ()), *(getattr(cache, "is_linear", None) or ())]
    return type(cache) is kind and not any(flags)


def _full_attention(net: Any) -> bool:
    """No sliding window in the config: the kept cache then depends on the tokens alone, and
    pads between prefix and suffix cannot push prefix tokens out of a window."""
    cfg = net.config.get_text_config() if hasattr(net.config, "get_text_config") else net.config
    return not (getattr(cfg, "sliding_window", None) and getattr(cfg, "use_sliding_window", True))


targets.register("hf", "any Hugging Face causal or seq2seq model (--target-model NAME|PATH), batched")(HFTarget)
