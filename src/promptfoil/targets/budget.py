"""Every limit of one explanation in one object: target calls, target tokens, seconds.

``calls`` counts target queries of perturbed prompts (the original prompt's query is
counted apart and cache hits are free); ``tokens`` counts every token the target reports
(prompt and completion, the original query included); ``seconds`` is wall time from the
start of the explanation. The call budget is exact: query ``calls + 1`` is never made. The
token and time budgets are checked before each batch, so a batch already sent may pass them
by at most its own cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..settings.declare import check_fields, setting
from ..settings.defaults import DEFAULT_BUDGET
from ..settings.rules import Number, Whole


@dataclass(frozen=True)
class Budget:
    """Limits; ``None`` means no limit of that kind. Each limit is a setting declared once
    (:mod:`promptfoil.settings`): its rule, CLI flag (``--budget``, ``--token-budget``,
    ``--time-budget``) and help; results record all three and a resume checks them."""

    calls: int | None = setting(
        DEFAULT_BUDGET, Whole(1, none=True, off=("none", "unlimited")),
        "most target queries of perturbed prompts; cache hits are free; 'none' = unlimited for cell "
        "(default: %(default)s)", flag="--budget", dest="budget")
    tokens: int | None = setting(
        None, Whole(1, none=True, off=()), "stop once the target has used this many tokens (as the backend reports them)",
        flag="--token-budget", dest="token_budget", metavar="TOKENS")
    seconds: float | None = setting(
        None, Number(0.0, above=True, none=True, off=()), "stop the search after this many seconds of wall time",
        flag="--time-budget", dest="time_budget", metavar="SECONDS")

    def __post_init__(self) -> None:
        check_fields(self)

    def start(self, clock: Callable[[], float] = time.monotonic) -> Meter:
        return Meter(self, clock)


class Meter:
    """What one explanation has spent of a :class:`Budget`."""

    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self.calls = 0
        self.tokens = 0
        self.held = 0  # calls kept back from the search (``--confirm``), see :meth:`hold`
        self._clock = clock
        self._t0 = clock()

    @property
    def seconds(self) -> float:
        return self._clock() - self._t0

    @property
    def remaining_calls(self) -> int | None:
        return None if self.budget.calls is None else max(0, self.budget.calls - self.held - self.calls)

    def hold(self, n: int) -> None:
        """Keep ``n`` calls out of reach until :meth:`release` (a search must not spend the
        calls a later pass needs); the total stays the budget's."""
        self.held = n

    def release(self) -> None:
        self.held = 0

    def spent(self) -> str | None:
        """Which limit is spent, in words; ``None`` while every limit holds."""
        b = self.budget
        if b.calls is not None and self.calls >= b.calls - self.held:
            kept = f" ({self.held} kept for --confirm)" if self.held else ""
            return f"call budget of {b.calls} spent{kept}"
        if b.tokens is not None and self.tokens >= b.tokens:
            return f"token budget of {b.tokens} spent ({self.tokens} tokens used)"
        if b.seconds is not None and self.seconds >= b.seconds:
            return f"time budget of {b.seconds:g} s spent"
        return None

    @property
    def exhausted(self) -> bool:
        return self.spent() is not None
