"""The paper's baseline contrast (§5.1) and the preference comparison of Tables 1 and 3.

The baseline asks the target itself for a less preferable answer, with the template the
paper reports (kept verbatim because the experiment is defined by it). ``compare`` then scores
original vs contrast responses and baseline vs contrast responses with any scorer: with the
preference scorer, positive numbers mean the first response is preferred to CELL's contrast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..prompt.conversation import Conversation
from ..errors import ConfigError, PromptfoilError
from .metrics import Stat
from ..scorers.base import ScoreItem, Scorer
from ..targets.base import Target
from ..targets.budget import Budget
from ..targets.cache import ResponseCache
from ..targets.query import QueryStage

#: {response} and {prompt} are the target's first response and the input prompt (paper §5.1).
# Our own wording of the paper's baseline request (one sentence, under 20 words, an answer
# less preferable than the model's own); pass ``template=`` to use another.
BASELINE_TEMPLATE = (
    "In one short sentence of fewer than 20 words, reply with an answer that is worse than "
    "this one: {response}\nThe question it answered: {prompt}"
)


def baseline_prompt(prompt: str, response: str, template: str = BASELINE_TEMPLATE) -> str:
    """The prompt that asks for a less preferable response (only the template is parsed)."""
    try:
        return template.format(response=response, prompt=prompt)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"baseline template must use only {{response}} and {{prompt}} ({exc})") from None


def baseline_responses(
    target: Target,
    prompts: Sequence[str],
    responses: Sequence[str],
    cache: ResponseCache | None = None,
    template: str = BASELINE_TEMPLATE,
) -> list[str]:
    """The target's less preferable answer for each (prompt, its response); cached like any query."""
    asks = [baseline_prompt(p, r, template) for p, r in zip(prompts, responses)]
    queries = QueryStage(target, cache, Budget(calls=None))
    out: list[str] = []
    chunk = queries.batch_size
    for i in range(0, len(asks), chunk):
        out += [q.response or "" for q in queries.query(asks[i : i + chunk])]
    return out


@dataclass(frozen=True)
class Comparison:
    """Mean scores of the original and the baseline response against CELL's contrast response."""

    scorer: str
    original_vs_contrast: Stat
    baseline_vs_contrast: Stat | None
    items: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ComparedItem:
    id: str
    original_vs_contrast: float | None  # None: the scorer could not score the pair (a judge failure)
    baseline_vs_contrast: float | None
    baseline_response: str | None


def _item(rec: dict[str, Any], first: str) -> ScoreItem:
    """``(x0, first, xc, yc)`` of a record; a conversation record brings its messages along."""
    c0 = Conversation.of(rec["conversation"]) if rec.get("conversation") else None
    cc = Conversation.of(rec["contrast_conversation"]) if rec.get("contrast_conversation") else None
    return ScoreItem(rec["prompt"], first, rec["contrast_prompt"], rec["contrast_response"], c0, cc)


def _num(value: float | None) -> float | None:
    return None if value is None else float(value)


def compare(
    records: Sequence[dict[str, Any]],
    scorer: Scorer,
    target: Target | None = None,
    cache: ResponseCache | None = None,
) -> tuple[Comparison, list[ComparedItem]]:
    """Score ``(x0, y0)`` vs ``(xc, yc)`` and, given a target, ``(x0, baseline)`` vs ``(xc, yc)``.

    Only found contrasts are compared: a best candidate below the threshold is no explanation.
    """
    rows = [r for r in records if "error" not in r and r.get("found") and r.get("contrast_response") is not None]
    if not rows:
        raise PromptfoilError("no found contrasts to compare in these results")
    first = scorer.score([_item(r, r["response"]) for r in rows])
    base: list[str] | None = None
    second: list[float | None] | None = None
    if target is not None:
        base = baseline_responses(target, [r["prompt"] for r in rows], [r["response"] for r in rows], cache)
        second = scorer.score(
            [_item(r, b) for r, b in zip(rows, base)]
        )
    items = [
        ComparedItem(
            str(r.get("id", i)), _num(first[i]),
            None if second is None else _num(second[i]),
            None if base is None else base[i],
        )
        for i, r in enumerate(rows)
    ]
    summary = Comparison(
        getattr(scorer, "name", "scorer"), Stat.of([v for v in first if v is not None]),
        None if second is None else Stat.of([v for v in second if v is not None]), len(rows)
    )
    return summary, items
