"""Hugging Face models shared by the hf target, infillers and scorers: option checks, device
and dtype, one loaded tokenizer and model per setting, batching, and the cache identity.

Nothing heavy is imported here at module import: ``torch`` and ``transformers`` load on the
first model load, and a missing package raises :class:`MissingDependency` naming the ``hf``
extra. Every ``model`` argument is a hub name (needs internet the first time) or a local folder.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, PromptfoilError
from .embedded import require
from .identity import folder_identity
from .threads import limit_torch

T = TypeVar("T")

KINDS = ("seq2seq", "causal", "masked", "classify")
DTYPES = ("auto", "float32", "float16", "bfloat16")
_HUGE = 1_000_000  # tokenizers without a limit report model_max_length = 1e30


def torch_mod(what: str) -> Any:
    torch = require("torch", what, "torch", "hf")
    limit_torch(torch)
    return torch


def transformers_mod(what: str) -> Any:
    """Import transformers quietly (no progress bars, no info logs)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    tf = require("transformers", what, "transformers", "hf")
    tf.utils.logging.set_verbosity_error()
    tf.utils.logging.disable_progress_bar()
    return tf


def pick_device(device: str | None = None) -> str:
    """``cuda`` when a GPU is visible, else ``mps`` on Apple silicon, else ``cpu``.

    An explicit ``device`` ("cpu", "cuda", "cuda:1", "mps") is checked, never silently replaced.
    """
    torch = torch_mod("Device selection")
    if device in (None, "", "auto"):
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    dev = str(device)
    kind = dev.split(":")[0]
    if kind not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown device '{dev}'; use auto, cpu, cuda, cuda:N or mps")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{dev}' asked for, but torch sees no CUDA GPU")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' asked for, but torch has no MPS backend here")
    return dev


def check_dtype(dtype: str) -> str:
    if dtype not in DTYPES:
        raise ConfigError(f"unknown dtype '{dtype}'; valid: {', '.join(DTYPES)}")
    return dtype


def _load_error(model: str, exc: BaseException) -> PromptfoilError:
    local = Path(model).expanduser().exists()
    where = "the local folder" if local else "the Hugging Face hub (needs internet the first time)"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return PromptfoilError(f"could not load model '{model}' from {where}: {first[:300]}")


@lru_cache(maxsize=16)
def load_tokenizer(model: str, padding_side: str | None = None) -> Any:
    """The model's tokenizer; one shared instance per (model, padding side)."""
    tf = transformers_mod(f"The Hugging Face model '{model}'")
    try:
        tok = tf.AutoTokenizer.from_pretrained(model)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise _load_error(model, exc) from None
    if padding_side:
        tok.padding_side = padding_side
    return tok


@lru_cache(maxsize=8)
def load_model(model: str, kind: str, device: str, dtype: str = "auto") -> Any:
    """A model in eval mode on ``device``; ``kind`` picks the Auto class (see :data:`KINDS`).

    ``dtype="auto"`` means float32 on CPU (half precision is slow there) and the checkpoint's
    own dtype on a GPU.
    """
    tf = transformers_mod(f"The Hugging Face model '{model}'")
    torch = torch_mod(f"The Hugging Face model '{model}'")
    classes = {
        "seq2seq": tf.AutoModelForSeq2SeqLM,
        "causal": tf.AutoModelForCausalLM,
        "masked": tf.AutoModelForMaskedLM,
        "classify": tf.AutoModelForSequenceClassification,
    }
    if kind not in classes:
        raise ValueError(f"unknown model kind {kind!r}")
    if dtype == "auto":
        torch_dtype: Any = torch.float32 if device == "cpu" else "auto"
    else:
        torch_dtype = getattr(torch, check_dtype(dtype))
    major = int(str(tf.__version__).split(".")[0])
    key = "dtype" if major >= 5 else "torch_dtype"  # renamed in transformers 5
    try:
        net = classes[kind].from_pretrained(model, **{key: torch_dtype})
    except (OSError, ValueError, KeyError, ImportError, RuntimeError) as exc:
        raise _load_error(model, exc) from None
    net.to(device)
    net.eval()
    return net


def config_of(model: str) -> Any:
    tf = transformers_mod(f"The Hugging Face model '{model}'")
    try:
        return tf.AutoConfig.from_pretrained(model)
    except (OSError, ValueError, KeyError) as exc:
        raise _load_error(model, exc) from None


def input_limit(tokenizer: Any, net: Any, fallback: int = 512) -> int:
    """Most input tokens the model takes: the tokenizer's limit, else the position table's."""
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < _HUGE:
        return limit
    cfg = getattr(net, "config", None)
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(cfg, attr, None)
        if isinstance(value, int) and 0 < value < _HUGE:
            # RoBERTa-style position tables reserve padding_idx + 1 slots.
            return value - 2 if getattr(cfg, "model_type", "") in ("roberta", "xlm-roberta") else value
    return fallback


def warn_truncated(what: str, model: str, count: int, limit: int) -> None:
    """Long inputs are cut, never a crash; the user hears about it once per call."""
    warnings.warn(
        f"{what} '{model}': {count} input(s) longer than {limit} tokens were truncated",
        stacklevel=3,
    )


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i : i + max(1, size)]


def check_positive(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1 (got {value!r})")
    return value


def model_identity(model: str) -> str:
    """Stable id for the response cache: the hub name, or a local folder's path and the hash
    of :func:`~promptfoil.backends.identity.folder_identity` (weights and chat template)."""
    path = Path(model).expanduser()
    return f"hf:{folder_identity(path)}" if path.is_dir() else f"hf:{model}"


class HFModel:
    """One model as a component uses it: options checked now, device, tokenizer and model on
    first use (shared with every component that loads the same model the same way)."""

    def __init__(
        self,
        model: str,
        kind: str,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        padding_side: str | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}")
        self.name = str(model)
        self.kind = kind
        self.device_option = device
        self.dtype = check_dtype(dtype)
        self.batch_size = check_positive("batch_size", batch_size)
        self.padding_side = padding_side
        self._device: str | None = None

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = pick_device(self.device_option)
        return self._device

    @property
    def tokenizer(self) -> Any:
        return load_tokenizer(self.name, self.padding_side)

    @property
    def net(self) -> Any:
        return load_model(self.name, self.kind, self.device, self.dtype)

    def limit(self, max_length: int | None = None, fallback: int = 512) -> int:
        """Input tokens per sequence: the model's own limit, capped by ``max_length``."""
        own = input_limit(self.tokenizer, self.net, fallback)
        return own if max_length is None else min(max_length, own)

    def batches(self, items: Sequence[T]) -> Iterator[Sequence[T]]:
        return chunks(items, self.batch_size)

    def inputs(self, texts: Sequence[str], pairs: Sequence[str] | None = None, max_length: int | None = None) -> dict[str, Any]:
        """Padded, truncated tensors of ``texts`` (and second segments ``pairs``) on the device."""
        args = (list(texts),) if pairs is None else (list(texts), list(pairs))
        enc = self.tokenizer(*args, return_tensors="pt", padding=True, truncation=True, max_length=max_length)
        return self.on_device(enc)

    def on_device(self, enc: Any) -> dict[str, Any]:
        return {key: val.to(self.device) for key, val in enc.items()}
