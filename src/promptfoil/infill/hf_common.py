"""What the Hugging Face infillers share: options, lazy loading, context windows, batching.

Each infiller turns a batch of :class:`InfillRequest` into model inputs with its own mask
format, runs them in chunks of ``batch_size`` (one forward pass or ``generate`` call per
chunk), and cleans the raw fills with :func:`clean_fills`. Requests are grouped by how many
candidates they need, so a request gets the same fills whether it is sent alone or batched.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Any


from ..backends import hf
from ..backends.hf_chat import control_tokens
from ..errors import ConfigError
from ..prompt.segment import count_words
from .base import InfillRequest, clean_fills

DECODINGS = ("beam", "sample")
_SPACES = re.compile(r"\s+")


class HFInfillerBase:
    """Options and plumbing; subclasses set ``name``, ``kind``, ``default_model`` and
    implement :meth:`_fill_chunk` (raw fills, best first, for requests needing ``k`` each)."""

    name = "hf"
    kind = "seq2seq"
    default_model = ""
    padding_side: str | None = None

    def __init__(
        self,
        model: str | None = None,
        decoding: str = "beam",
        num_beams: int = 8,
        num_samples: int = 8,
        temperature: float = 1.0,
        top_p: float = 0.95,
        seed: int = 0,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        max_length: int = 256,
    ) -> None:
        if decoding not in DECODINGS:
            raise ConfigError(f"unknown decoding '{decoding}'; valid: {', '.join(DECODINGS)}")
        if not (isinstance(temperature, (int, float)) and temperature > 0):
            raise ConfigError(f"temperature must be above 0 (got {temperature!r})")
        if not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
            raise ConfigError(f"top_p must lie in (0, 1] (got {top_p!r})")
        self.model = str(model or self.default_model)
        self.hf = hf.HFModel(self.model, self.kind, device, dtype, batch_size, self.padding_side)
        self.decoding = decoding
        self.num_beams = hf.check_positive("num_beams", num_beams)
        self.num_samples = hf.check_positive("num_samples", num_samples)
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.seed = int(seed)
        self.batch_size = self.hf.batch_size
        self.max_length = hf.check_positive("max_length", max_length)
        if self.max_length < 16:
            raise ConfigError(f"max_length must be at least 16 tokens (got {max_length})")
        self._special: tuple[str, ...] | None = None

    # -- lazy loading -------------------------------------------------------------------
    @property
    def device(self) -> str:
        return self.hf.device

    @property
    def tokenizer(self) -> Any:
        return self.hf.tokenizer

    @property
    def net(self) -> Any:
        return self.hf.net

    @property
    def torch(self) -> Any:
        return hf.torch_mod(f"The {self.name} infiller")

    @property
    def limit(self) -> int:
        """Input tokens per masked prompt: ``max_length`` capped by the model's own limit."""
        return self.hf.limit(self.max_length)

    # -- text handling ------------------------------------------------------------------
    def _window(self, req: InfillRequest, reserve: int) -> tuple[str, str]:
        """Left and right context of the mask, cut (at token boundaries) to fit the limit.

        Long prompts keep up to three quarters of the room for the left context; the words
        next to the mask always stay.
        """
        tok = self.tokenizer
        left, right = req.text[: req.start], req.text[req.end :]
        room = max(8, self.limit - reserve)
        lo = tok(left, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        ro = tok(right, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        if len(lo) + len(ro) <= room:
            return left, right
        keep_r = min(len(ro), max(room // 4, room - len(lo)))
        keep_l = min(len(lo), room - keep_r)
        if keep_l < len(lo):
            left = left[lo[len(lo) - keep_l][0] :] if keep_l > 0 else ""
        if keep_r < len(ro):
            right = right[: ro[keep_r - 1][1]] if keep_r > 0 else ""
        return left, right

    @property
    def special_strings(self) -> tuple[str, ...]:
        """Every special token's text: a fill containing one is dropped, never inserted."""
        if self._special is None:
            self._special = control_tokens(self.tokenizer)
        return self._special

    def _tidy(self, fill: str) -> str | None:
        fill = _SPACES.sub(" ", fill).strip()
        if not fill or any(s in fill for s in self.special_strings):
            return None
        return fill

    def _candidates(self, n: int) -> int:
        """How many raw fills to ask for: enough for ``n`` after cleaning."""
        if self.decoding == "beam":
            return max(self.num_beams, n)
        return max(self.num_samples, n)

    # -- batching -----------------------------------------------------------------------
    def _fill_chunk(self, requests: Sequence[InfillRequest], k: int) -> list[list[str]]:
        raise NotImplementedError

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in requests]
        # Same candidates and same masked length in one chunk: every generation setting of a
        # chunk is then what the request would get alone.
        groups: dict[tuple[int, int], list[int]] = {}
        for i, req in enumerate(requests):
            if not 0 <= req.start <= req.end <= len(req.text):
                raise ConfigError(f"infill span {req.start}:{req.end} lies outside the text")
            groups.setdefault((self._candidates(req.n), count_words(req.old)), []).append(i)
        for (k, _words), idx in sorted(groups.items()):
            for part in self.hf.batches(idx):
                raw = self._fill_chunk([requests[i] for i in part], k)
                for i, fills in zip(part, raw):
                    tidy = [t for t in (self._tidy(f) for f in fills) if t]
                    out[i] = clean_fills(requests[i].old, tidy, requests[i].n)
        return out

    def _seed(self) -> None:
        if self.decoding == "sample":
            self.torch.manual_seed(self.seed)

    def _generate_kwargs(self, k: int) -> dict[str, Any]:
        if self.decoding == "beam":
            return {"num_beams": k, "num_return_sequences": k, "do_sample": False}
        return {
            "do_sample": True,
            "num_beams": 1,
            "num_return_sequences": k,
            "temperature": self.temperature,
            "top_p": self.top_p,
        }


#: Every option an hf infiller takes from the base class (declared when it registers).
OPTIONS = tuple(list(inspect.signature(HFInfillerBase.__init__).parameters)[2:])
