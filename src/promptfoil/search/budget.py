"""Exact accounting of target queries: the budget pays for misses only, never for query B+1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import PromptfoilError
from ..targets.base import Target
from ..targets.cache import ResponseCache
from ..types import PaidBy


@dataclass(frozen=True)
class QueryResult:
    """``response`` is None when the budget ran out before this prompt could be asked."""

    response: str | None
    paid_by: PaidBy


class Querier:
    """Serves responses from memory, then the disk cache, then the target within the budget.

    ``budget`` counts target queries of perturbed prompts; the original prompt's query is
    counted apart (:meth:`original`). Cache hits are free.
    """

    def __init__(self, target: Target, cache: ResponseCache | None, budget: int | None) -> None:
        self.target = target
        self.budget = budget
        self.cache = cache if (cache is not None and target.identity and target.cacheable) else None
        self._memo: dict[str, str] = {}
        self.paid = 0
        self.original_paid = 0
        self.cache_hits = 0

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.paid

    @property
    def exhausted(self) -> bool:
        """Call budget spent, or the target says its own budget (e.g. tokens) is spent."""
        over = self.budget is not None and self.paid >= self.budget
        return over or bool(getattr(self.target, "exhausted", False))

    def _keep(self, answered: dict[str, str]) -> None:
        """Keep answers a failing batch did receive, so they are never asked again."""
        if answered:
            self._memo.update(answered)
            if self.cache is not None:
                self.cache.put_many(self.target.identity or "", self.target.settings, list(answered.items()))

    def _lookup(self, prompts: Sequence[str]) -> list[str | None]:
        found: list[str | None] = [self._memo.get(p) for p in prompts]
        if self.cache is not None:
            todo = [p for p, f in zip(prompts, found) if f is None]
            if todo:
                disk = dict(zip(todo, self.cache.get_many(self.target.identity or "", self.target.settings, todo)))
                found = [f if f is not None else disk.get(p) for p, f in zip(prompts, found)]
        return found

    def _ask(self, prompts: list[str]) -> list[str]:
        try:
            answers = self.target.generate(prompts)
        except PromptfoilError as exc:
            self._keep({p: a for p, a in getattr(exc, "answered", {}).items() if p in prompts})
            raise
        except Exception as exc:  # a user's function or a backend failing: say which
            raise PromptfoilError(f"target '{self.target.name}' failed: {type(exc).__name__}: {exc}") from exc
        if len(answers) != len(prompts):
            raise PromptfoilError(
                f"target '{self.target.name}' returned {len(answers)} responses for {len(prompts)} prompts"
            )
        self._memo.update(zip(prompts, answers))
        if self.cache is not None:
            self.cache.put_many(self.target.identity or "", self.target.settings, list(zip(prompts, answers)))
        return answers

    def original(self, prompt: str) -> str:
        """``LLM(x0)``: outside the budget; a cache hit costs nothing."""
        hit = self._lookup([prompt])[0]
        if hit is not None:
            self.cache_hits += 1
            return hit
        self.original_paid += 1
        return self._ask([prompt])[0]

    def query(self, prompts: Sequence[str]) -> list[QueryResult]:
        """Answer in order; misses are paid while budget remains, the rest get no response."""
        found = self._lookup(prompts)
        results: list[QueryResult | None] = [None] * len(prompts)
        to_ask: list[int] = []
        for i, hit in enumerate(found):
            if hit is not None:
                self.cache_hits += 1
                results[i] = QueryResult(hit, "cache")
            elif self.remaining is None or len(to_ask) < self.remaining:
                to_ask.append(i)
            else:
                results[i] = QueryResult(None, "none")
        if to_ask and getattr(self.target, "exhausted", False):
            for i in to_ask:
                results[i] = QueryResult(None, "none")
            to_ask = []
        if to_ask:
            try:
                answers = self._ask([prompts[i] for i in to_ask])
            except PromptfoilError as exc:
                if not getattr(exc, "out_of_budget", False):
                    raise
                # The target's own budget ran out mid-batch: keep what was answered and
                # stop as at the end of the call budget.
                got = getattr(exc, "answered", {})
                answers = [got.get(prompts[i]) for i in to_ask]  # type: ignore[misc]
            self.paid += sum(a is not None for a in answers)
            for i, a in zip(to_ask, answers):
                results[i] = QueryResult(a, "budget" if a is not None else "none")
        return [r for r in results if r is not None]
