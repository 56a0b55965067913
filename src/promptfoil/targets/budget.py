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

from ..errors import ConfigError


def _positive(name: str, value: object, whole: bool) -> None:
    if value is None:
        return
    ok = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not math.isfinite(float(value)) or value <= 0:  # type: ignore[arg-type]
        kind = "a whole number of at least 1" if whole else "a positive number of seconds"
        raise ConfigError(f"{name} must be {kind} or None (got {value!r})")


@dataclass(frozen=True)
class Budget:
    """Limits; ``None`` means no limit of that kind."""

    calls: int | None = 40
    tokens: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        _positive("budget", self.calls, whole=True)
        _positive("token budget", self.tokens, whole=True)
        _positive("time budget", self.seconds, whole=False)

    def start(self, clock: Callable[[], float] = time.monotonic) -> Meter:
        return Meter(self, clock)


class Meter:
    """What one explanation has spent of a :class:`Budget`."""

    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self.calls = 0
        self.tokens = 0
        self._clock = clock
        self._t0 = clock()

    @property
    def seconds(self) -> float:
        return self._clock() - self._t0

    @property
    def remaining_calls(self) -> int | None:
        return None if self.budget.calls is None else max(0, self.budget.calls - self.calls)

    def spent(self) -> str | None:
        """Which limit is spent, in words; ``None`` while every limit holds."""
        b = self.budget
        if b.calls is not None and self.calls >= b.calls:
            return f"call budget of {b.calls} spent"
        if b.tokens is not None and self.tokens >= b.tokens:
            return f"token budget of {b.tokens} spent ({self.tokens} tokens used)"
        if b.seconds is not None and self.seconds >= b.seconds:
            return f"time budget of {b.seconds:g} s spent"
        return None

    @property
    def exhausted(self) -> bool:
        return self.spent() is not None
