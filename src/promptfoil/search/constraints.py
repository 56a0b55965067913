"""Checks a candidate prompt must pass before it costs a target query.

The pipeline is segment -> infill -> constraints -> query: a candidate that fails a check is
recorded in the trace as skipped, with the check's reason, and never sent to the target.

* :class:`Fluency` (on by default): the candidate's mean token log-likelihood under a small
  LM may fall at most ``margin`` below the original prompt's. Broken fills ("Can it okay to
  ...") make the target ramble, and a rambling answer passes for a large change of meaning.
* :class:`PromptSimilarity` (off by default): the candidate's prompt must stay within a cosine
  similarity of the original's (sentence embeddings), for users who want the same question
  asked slightly differently rather than a different question.
* :class:`EditSimilarity` (off by default): every replaced run of words must stay within a
  cosine similarity of the words it replaced, so that the question's key word is not swapped
  for an unrelated one (ruin → aid) while a rewording (Should → Can) passes. A whole-prompt
  cosine barely moves when one word of a sentence changes; this looks at the word itself.
* :class:`ContentKept` (the verdict definition's, no model): a run of words holding a content
  word may not be replaced by function words only. "skip *voting*" → "skip *over*", "stay
  *home*" → "stay *out*" drop what the question asks about and leave broken English that the
  fluency check passed; blind raters called each such contrast a key-word swap.

Each check is given the original prompt and a batch of candidates and returns, per
candidate, ``None`` (passes) or the reason it fails. Nothing here loads a model: the
explainer hands each check the model function it needs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from ..prompt.words import FUNCTION_WORDS, QUANTIFIERS, STANCE_WORDS


@runtime_checkable
class LogLikelihood(Protocol):
    """Mean token log-likelihood of texts; ``reference`` (the original prompt) lets a model
    reuse the work shared by near-copies of it."""

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]: ...


@runtime_checkable
class Constraint(Protocol):
    """``check(x0, prompts)``: per prompt, None when it passes, else why it does not."""

    name: str

    def check(self, x0: str, prompts: Sequence[str]) -> list[str | None]: ...


class Fluency:
    """A candidate may read at most ``margin`` nats per token less fluently than ``x0``."""

    name = "fluency"

    def __init__(self, lm: LogLikelihood, margin: float) -> None:
        self.lm = lm
        self.margin = float(margin)

    def scores(self, x0: str, prompts: Sequence[str]) -> tuple[float, list[float]]:
        """``x0``'s mean token log-likelihood and each prompt's (batched against ``x0``)."""
        if not prompts:
            return 0.0, []
        return self.lm.mean_logprob([x0])[0], self.lm.mean_logprob(list(prompts), reference=x0)

    def check(self, x0: str, prompts: Sequence[str]) -> list[str | None]:
        ref, values = self.scores(x0, prompts)
        return [
            None if ref - v <= self.margin else
            f"not fluent: mean token log-likelihood {v:.2f} is {ref - v:.2f} below the original's "
            f"{ref:.2f} (allowed: {self.margin:g}; --min-fluency)"
            for v in values
        ]


def fluency_drops(lm: LogLikelihood, pairs: Sequence[tuple[str, str]]) -> list[float]:
    """Per (original, candidate) pair, how many nats per token the candidate reads below its
    original, batched per original as the search batches them (the quantity ``--min-fluency``
    bounds)."""
    fluency = Fluency(lm, 0.0)
    by_original: dict[str, list[int]] = {}
    for i, (original, _) in enumerate(pairs):
        by_original.setdefault(original, []).append(i)
    out = [0.0] * len(pairs)
    for original, idx in by_original.items():
        ref, values = fluency.scores(original, [pairs[i][1] for i in idx])
        for i, v in zip(idx, values):
            out[i] = ref - v
    return out


class PromptSimilarity:
    """A candidate's prompt must keep cosine similarity >= ``minimum`` with ``x0``."""

    name = "prompt-similarity"

    def __init__(self, cosine: Callable[[list[str], list[str]], list[float]], minimum: float) -> None:
        self.cosine = cosine
        self.minimum = float(minimum)

    def check(self, x0: str, prompts: Sequence[str]) -> list[str | None]:
        if not prompts:
            return []
        sims = self.cosine([x0] * len(prompts), list(prompts))
        return [
            None if c >= self.minimum else
            f"prompt meaning moved: cosine similarity {c:.2f} to the original is below "
            f"{self.minimum:g} (--min-prompt-similarity)"
            for c in sims
        ]


def replaced_runs(x0: str, xc: str) -> list[tuple[str, str]]:
    """The ``(old words, new words)`` runs where ``xc`` differs from ``x0``, word by word."""
    a, b = x0.split(), xc.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            out.append((" ".join(a[i1:i2]).strip(_PUNCT), " ".join(b[j1:j2]).strip(_PUNCT)))
    return out


_PUNCT = ".,;:!?\"'()[]{}"


class EditSimilarity:
    """Each replaced run of words stays within cosine ``minimum`` of what it replaced."""

    name = "edit-similarity"

    def __init__(self, cosine: Callable[[list[str], list[str]], list[float]], minimum: float) -> None:
        self.cosine = cosine
        self.minimum = float(minimum)

    def check(self, x0: str, prompts: Sequence[str]) -> list[str | None]:
        runs = [[(o, n) for o, n in replaced_runs(x0, p) if o and n] for p in prompts]
        flat = [pair for r in runs for pair in r]
        sims = iter(self.cosine([o for o, _ in flat], [n for _, n in flat]) if flat else [])
        out: list[str | None] = []
        for r in runs:
            worst = min(((next(sims), o, n) for o, n in r), default=None)
            out.append(None if worst is None or worst[0] >= self.minimum else
                       f"edit moved the word's meaning: {worst[1]!r} → {worst[2]!r} has cosine similarity "
                       f"{worst[0]:.2f}, below {self.minimum:g} (--min-edit-similarity)")
        return out


def _words(text: str) -> list[str]:
    return [w for w in (t.strip(_PUNCT).lower() for t in text.split()) if w]


class ContentKept:
    """No replaced run that holds a content word becomes function words only (deleting it,
    or replacing it by other content words, passes)."""

    name = "content-word"

    def check(self, x0: str, prompts: Sequence[str]) -> list[str | None]:
        grammar = FUNCTION_WORDS | STANCE_WORDS
        detail = grammar | QUANTIFIERS
        out: list[str | None] = []
        for p in prompts:
            why = None
            for old, new in replaced_runs(x0, p):
                o, n = _words(old), _words(new)
                content = [w for w in o if w not in detail and any(c.isalpha() for c in w)]
                if n and content and all(w in grammar for w in n):
                    why = (f"a content word became function words only: {old!r} → {new!r} drops what the "
                           "question asks about")
                    break
            out.append(why)
        return out


class Constraints:
    """Every check in order; a later check sees only the candidates the earlier ones passed."""

    def __init__(self, checks: Sequence[Constraint]) -> None:
        self.checks = list(checks)

    def __bool__(self) -> bool:
        return bool(self.checks)

    def check(self, x0: str, prompts: Sequence[str]) -> list[tuple[str, str] | None]:
        """Per prompt: None when every check passes, else (check name, reason) of the first
        check that fails."""
        verdict: list[tuple[str, str] | None] = [None] * len(prompts)
        for c in self.checks:
            alive = [i for i, v in enumerate(verdict) if v is None]
            if not alive:
                break
            for i, why in zip(alive, c.check(x0, [prompts[i] for i in alive])):
                if why is not None:
                    verdict[i] = (c.name, why)
        return verdict
