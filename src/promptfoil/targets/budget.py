"""Every limit of one explanation in one object: target calls, target tokens, seconds.

``calls`` counts target queries of perturbed prompts (the original prompt's query is
counted apart and cache hits are free); ``tokens`` counts every token the target reports
(prompt and completion, the original query included); ``seconds`` is wall time from the
start of the explanation. The call budget is exact: query ``calls + 1`` is never made. The
token and time budgets are checked before each batch, so a batch already sent may pass them
by at most its own cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError, whole


def _positive(name: str, value: object, whole_number: bool) -> None:
    if value is None:
        return
    if whole_number:
        try:
            whole(name, value, 1)
        except ConfigError:
            raise ConfigError(f"{name} must be a whole number of at least 1 or None (got {value!r})") from None
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds or None (got {value!r})")


@dataclass(frozen=True)
class Budget:
    """Limits; ``None`` means no limit of that kind."""

    calls: int | None = 40
    tokens: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        _positive("budget", self.calls, whole_number=True)
        _positive("token budget", self.tokens, whole_number=True)
        _positive("time budget", self.seconds, whole_number=False)

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
