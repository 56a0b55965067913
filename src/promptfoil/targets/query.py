"""The query stage: memo -> disk cache -> target, within the budget, answers never lost.

The search sees it only through :class:`promptfoil.search.protocols.Queries`: it asks for a
batch of prompts and gets one :class:`QueryResult` per prompt, in order; a prompt the
budget could not pay for gets no response. A batch that partly failed keeps (and caches)
the answers that did arrive, so they are never asked again.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence

from ..errors import PromptfoilError
from ..types import QueryResult, Reply
from .base import Target, TargetError, as_reply
from .budget import Budget, Meter
from .cache import ResponseCache


class QueryStage:
    """Serves responses from memory, then the disk cache, then the target within the budget.

    The original prompt's query (:meth:`original`) is outside the call budget; cache hits
    are free.
    """

    def __init__(self, target: Target, cache: ResponseCache | None, budget: Budget | None = None) -> None:
        self.target = target
        self.budget = budget or Budget(calls=None)
        self.meter: Meter = self.budget.start()
        self.cache = cache if (cache is not None and target.identity and target.cacheable) else None
        self._memo: dict[str, Reply] = {}
        self.original_paid = 0
        self.cache_hits = 0
        self.seconds = 0.0  # wall time spent waiting for the target

    # -- what the search reads ---------------------------------------------------------
    @property
    def batch_size(self) -> int:
        return max(1, int(getattr(self.target, "batch_size", 1) or 1))

    @property
    def call_budget(self) -> int | None:
        return self.budget.calls

    def hold(self, n: int) -> None:
        """Keep ``n`` budgeted calls back from everything asked until :meth:`release`."""
        self.meter.hold(n)

    def release(self) -> None:
        """Make the calls kept by :meth:`hold` available again."""
        self.meter.release()

    @property
    def paid(self) -> int:
        return self.meter.calls

    @property
    def exhausted(self) -> bool:
        return self.meter.exhausted

    @property
    def stop_reason(self) -> str:
        return self.meter.spent() or ""

    @property
    def stochastic(self) -> bool:
        """The target may answer one prompt differently when asked again: it says so
        (``deterministic = False``), samples (temperature > 0), or is not cacheable."""
        flag = getattr(self.target, "deterministic", None)
        if isinstance(flag, bool):
            return not flag
        temp = (self.target.settings or {}).get("temperature", getattr(self.target, "temperature", 0))
        return bool(isinstance(temp, (int, float)) and temp > 0) or not self.target.cacheable

    # -- plumbing ----------------------------------------------------------------------
    def _store(self, pairs: dict[str, Reply]) -> None:
        pairs = {p: r for p, r in pairs.items() if not r.skipped}  # unanswered: nothing to keep
        if not pairs:
            return
        self._memo.update(pairs)
        self.meter.tokens += sum(r.tokens for r in pairs.values())
        kept = [(p, r) for p, r in pairs.items() if not r.masked]  # see Reply.masked
        if self.cache is not None and kept:
            self.cache.put_many(self.target.identity or "", self.target.settings, kept)

    def _lookup(self, prompts: Sequence[str]) -> list[Reply | None]:
        found: list[Reply | None] = [self._memo.get(p) for p in prompts]
        if self.cache is not None:
            todo = [p for p, f in zip(prompts, found) if f is None]
            if todo:
                disk = dict(zip(todo, self.cache.get_many(self.target.identity or "", self.target.settings, todo)))
                found = [f if f is not None else disk.get(p) for p, f in zip(prompts, found)]
        return found

    def _ask(self, prompts: list[str]) -> list[Reply]:
        name = getattr(self.target, "name", "target")
        t0 = time.perf_counter()
        try:
            raw = self.target.generate(prompts)
        except TargetError as exc:
            exc.answered = {p: as_reply(r, name) for p, r in exc.answered.items() if p in prompts}
            self._store(exc.answered)
            raise
        except PromptfoilError:
            raise
        except Exception as exc:  # a user's function or a backend failing: say which
            raise PromptfoilError(f"target '{name}' failed: {type(exc).__name__}: {exc}") from exc
        finally:
            self.seconds += time.perf_counter() - t0
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise PromptfoilError(f"target '{name}' must return a list of texts, got {type(raw).__name__}")
        if len(raw) != len(prompts):
            raise PromptfoilError(f"target '{name}' returned {len(raw)} responses for {len(prompts)} prompts")
        replies = [as_reply(r, name) for r in raw]
        self._store(dict(zip(prompts, replies)))
        return replies

    # -- the two entry points ----------------------------------------------------------
    def original(self, prompt: str) -> Reply:
        """``LLM(x0)``: outside the call budget; a cache hit costs nothing."""
        hit = self._lookup([prompt])[0]
        if hit is not None:
            self.cache_hits += 1
            return hit
        self.original_paid += 1
        reply = self._ask([prompt])[0]
        if reply.skipped:
            raise PromptfoilError(f"the prompt to explain cannot be asked: {reply.skipped}")
        return reply

    def query(self, prompts: Sequence[str]) -> list[QueryResult]:
        """Answer in order; misses are paid while budget remains, the rest get no response."""
        found = self._lookup(prompts)
        results: list[QueryResult | None] = [None] * len(prompts)
        to_ask: list[int] = []
        room = None if self.exhausted else self.meter.remaining_calls
        for i, hit in enumerate(found):
            if hit is not None:
                self.cache_hits += 1
                results[i] = QueryResult(hit.text, "cache", hit.truncated)
            elif not self.exhausted and (room is None or len(to_ask) < room):
                to_ask.append(i)
            else:
                results[i] = QueryResult(None, "none")
        if to_ask:
            asked = [prompts[i] for i in to_ask]
            try:
                replies = self._ask(asked)
            except TargetError as exc:
                self.meter.calls += sum(1 for r in exc.answered.values() if not r.skipped)
                raise
            self.meter.calls += sum(1 for r in replies if not r.skipped)  # a skipped prompt cost nothing
            for i, r in zip(to_ask, replies):
                results[i] = (QueryResult(None, "none", skipped=r.skipped) if r.skipped
                              else QueryResult(r.text, "budget", r.truncated))
        return [r for r in results if r is not None]

    def resample(self, prompt: str, k: int) -> list[QueryResult]:
        """``k`` fresh answers to ``prompt``: memo and cache bypassed, each paid from the budget
        (fewer when it runs out) and never stored. A target with an integer ``seed`` is asked
        through copies seeded ``seed + 1 .. seed + k``, so a seeded sampler varies and the
        whole explanation stays reproducible."""
        n = k if self.meter.remaining_calls is None else min(k, self.meter.remaining_calls)
        if self.exhausted:
            n = 0
        seed = getattr(self.target, "seed", None)
        out: list[QueryResult] = []
        for i in range(1, n + 1):
            target = self.target
            if isinstance(seed, int) and not isinstance(seed, bool):
                target = copy.copy(self.target)
                target.seed = seed + i  # type: ignore[attr-defined]
            name = getattr(self.target, "name", "target")
            try:
                reply = as_reply(target.generate([prompt])[0], name)
            except PromptfoilError:
                raise
            except Exception as exc:  # a user's function or a backend failing: say which
                raise PromptfoilError(f"target '{name}' failed: {type(exc).__name__}: {exc}") from exc
            self.meter.calls += 1
            self.meter.tokens += reply.tokens
            out.append(QueryResult(reply.text, "budget", reply.truncated))
        return out + [QueryResult(None, "none")] * (k - n)
