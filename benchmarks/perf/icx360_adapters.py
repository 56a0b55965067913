"""Shared components for the promptfoil-vs-ICX360 benchmark, and ICX360's view of them.

Both tools get the *same* target, infiller and scorer objects: promptfoil through its own
protocols, ICX360 through the small interfaces its ``CELL`` / ``mCELL`` search calls
(``model.generate``, ``infiller.mask_string/encode/generate/decode``,
``scalarizer.scalarize_output``). Every target call goes through :class:`CountingTarget`,
whichever tool makes it, so calls, repeated prompts and seconds are measured in one place.

Nothing here imports ICX360: :func:`make_icx` takes its class and fills in the attributes
its search methods read, instead of running its constructor (which loads hub models).

Both searches and the benchmark's verdict score a response the same way: a response cut
off at ``max_tokens`` is compared on its complete sentences (promptfoil's own rule, see
``promptfoil.sentences``); :class:`CountingTarget` remembers which responses were cut off so
that :class:`IcxScalarizer` and the verdict can apply it to ICX360's answers too.

ICX360 cannot protect part of a prompt. For the ``news`` set, whose instruction promptfoil
never edits, ICX360 is given the document alone and every wrapper puts the instruction
(``prefix``) back in front: the target, the infiller and the scorer see the same full
prompts as with promptfoil, and ICX360 edits only the document.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from promptfoil.infill.base import Infiller, InfillRequest
from promptfoil.scorers.base import Scorer, ScoreItem
from promptfoil.scorers.sentences import scored_text
from promptfoil.targets.base import Target

MASK = "<mask>"


class SearchStalled(RuntimeError):
    """ICX360's search kept scoring without asking the target anything new (an endless loop)."""


class CountingTarget:
    """Wraps a target; counts every prompt sent, the repeats, and the seconds spent.

    ``identity`` is None so no disk cache can ever answer for it: each call is a real one.
    """

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.name = inner.name
        self.reset()

    @property
    def identity(self) -> str | None:
        return None

    @property
    def batch_size(self) -> int:
        return int(getattr(self.inner, "batch_size", 1))

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.inner.settings)

    @property
    def cacheable(self) -> bool:
        return self.inner.cacheable

    def reset(self) -> None:
        """Start counting a new explanation."""
        self.calls = 0
        self.repeats = 0
        self.seconds = 0.0
        self.prompts: list[str] = []
        self._seen: set[str] = set()
        self.cut_off: set[str] = set()  # responses that stopped at max_tokens

    def scored(self, response: str) -> str:
        """What a scorer compares of ``response``: its complete sentences when it was cut off."""
        return scored_text(response, response in self.cut_off)

    def generate(self, prompts: Sequence[str]) -> list[str]:
        for p in prompts:
            self.calls += 1
            self.repeats += p in self._seen
            self._seen.add(p)
            self.prompts.append(p)
        t = time.perf_counter()
        try:
            replies = self.inner.generate(list(prompts))
        finally:
            self.seconds += time.perf_counter() - t
        self.cut_off.update(r.text for r in replies if getattr(r, "truncated", False))
        return replies


class TimedInfiller:
    """Wraps an infiller; counts masks filled and seconds spent."""

    def __init__(self, inner: Infiller) -> None:
        self.inner = inner
        self.name = inner.name
        self.reset()

    def reset(self) -> None:
        self.masks = 0
        self.seconds = 0.0

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        self.masks += len(requests)
        t = time.perf_counter()
        try:
            return self.inner.infill(requests)
        finally:
            self.seconds += time.perf_counter() - t

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        """promptfoil's fluency check reads the inner (``lm``) infiller's model, as it would
        without this wrapper (not counted as infilling)."""
        return self.inner.mean_logprob(texts, reference)  # type: ignore[attr-defined]


class TimedScorer:
    """Wraps a scorer; counts items scored and seconds spent.

    :meth:`reset` also empties the inner scorer's embedding memo (its own or its shared
    embedder's), so the tool that runs second on a prompt does not get the first one's
    embeddings for free.
    """

    def __init__(self, inner: Scorer) -> None:
        self.inner = inner
        self.name = inner.name
        self.direction = inner.direction
        self.bounds = inner.bounds
        self.default_threshold = inner.default_threshold
        self.reset()

    def reset(self) -> None:
        self.items = 0
        self.seconds = 0.0
        for owner in (self.inner, getattr(self.inner, "embedder", None)):  # the scorer's or its embedder's
            memo = getattr(owner, "_memo", None)
            if isinstance(memo, dict):
                memo.clear()

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        self.items += len(items)
        t = time.perf_counter()
        try:
            return self.inner.score(items)
        finally:
            self.seconds += time.perf_counter() - t


class IcxModel:
    """ICX360's model-wrapper interface (``generate(inputs, text_only=True)``) over a target."""

    def __init__(self, target: CountingTarget, prefix: str = "") -> None:
        self.target = target
        self.prefix = prefix

    def generate(self, inputs: str | Sequence[str], text_only: bool = True, **_: Any) -> list[str]:
        if not text_only:
            raise NotImplementedError("the benchmark model wrapper returns text only")
        prompts = [self.prefix + p for p in ([inputs] if isinstance(inputs, str) else list(inputs))]
        return [getattr(r, "text", r) for r in self.target.generate(prompts)]  # Reply -> its text


class IcxInfiller:
    """ICX360's infiller interface over a promptfoil infiller.

    ICX360 joins its words with one ``mask_string`` in place of the masked words, "encodes"
    that text, asks ``generate`` for the filled text and the fill, and "decodes" the result.
    Here the encoding is the text itself. Like ICX360's BART infiller asked for one
    sequence, the best fill is used; with no fill at all, the masked words are put back.
    """

    mask_string = MASK

    def __init__(self, infiller: Infiller, prefix: str = "") -> None:
        self.infiller = infiller
        self.prefix = prefix

    def encode(self, text: str, add_special_tokens: bool = False) -> str:
        return text

    def decode(self, tokens: str, skip_special_tokens: bool = True) -> str:
        return tokens

    def generate(
        self,
        tokens: str,
        num_return_sequences: int = 1,
        masked_word: str = "",
        return_mask_filled: bool = False,
    ) -> str | tuple[str, str]:
        pos = tokens.index(MASK)
        left, right = tokens[:pos], tokens[pos + len(MASK) :]
        at = len(self.prefix) + pos
        request = InfillRequest(self.prefix + left + masked_word + right, at, at + len(masked_word), max(1, num_return_sequences))
        fills = self.infiller.infill([request])[0]
        fill = fills[0] if fills else masked_word
        filled = left + fill + right
        return (filled, fill) if return_mask_filled else filled


class IcxScalarizer:
    """ICX360's scalarizer interface over a promptfoil scorer, scoring against ``(x0, y0)``.

    ICX360 calls ``scalarize_output(x0, y0, xc, yc, input_label=...)`` one item at a time and
    takes the absolute value of the score. Cut-off responses are scored on their complete
    sentences, as promptfoil scores them. ``stall_limit`` scorer calls in a row without a
    new target call raise :class:`SearchStalled`, so a search that loops without querying
    ends as a recorded failure instead of hanging the benchmark.
    """

    def __init__(self, scorer: Scorer, target: CountingTarget, stall_limit: int = 5000, prefix: str = "") -> None:
        self.scorer = scorer
        self.target = target
        self.prefix = prefix
        self.stall_limit = stall_limit
        self._last_calls = -1
        self._idle = 0

    def scalarize_output(
        self,
        inputs: str,
        outputs: str,
        ref_input: str = "",
        ref_output: str = "",
        input_label: int = 0,
        info: bool = False,
        **_: Any,
    ) -> tuple[float, int]:
        if self.target.calls != self._last_calls:
            self._last_calls, self._idle = self.target.calls, 0
        self._idle += 1
        if self._idle > self.stall_limit:
            raise SearchStalled(f"{self.stall_limit} scorer calls in a row without a new target call")
        item = ScoreItem(self.prefix + inputs, self.target.scored(outputs), self.prefix + ref_input,
                         self.target.scored(ref_output))
        score = self.scorer.score([item])[0]
        return float(score), input_label


def make_icx(
    cls: type, target: CountingTarget, infiller: Infiller, scorer: Scorer, scorer_name: str, prefix: str = ""
) -> Any:
    """An ICX360 ``CELL``/``mCELL`` instance whose search uses our components.

    Its constructor would download BART/T5 and a scorer from the model hub, so it is not
    run; the attributes its ``explain_instance`` and ``sample`` read are set instead. Its
    search code is used unchanged.
    """
    obj = cls.__new__(cls)
    obj._model = IcxModel(target, prefix)
    obj._device = "cpu"
    obj._num_return_sequences = 1
    obj._infiller = IcxInfiller(infiller, prefix)
    obj._scalarizer_name = scorer_name
    obj._scalarizer_type = "distance"
    obj._scalarizer_func = IcxScalarizer(scorer, target, prefix=prefix)
    obj._generation = True
    return obj
