"""What the search needs from the stages around it, declared here so that no module under
``search/`` imports a target, cache or model module (the explainer wires the real ones)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..types import QueryResult


@runtime_checkable
class Queries(Protocol):
    """The query stage as the search sees it (``promptfoil.targets.query.QueryStage``)."""

    @property
    def call_budget(self) -> int | None:
        """``B``: the most budgeted target calls of this explanation (None: unlimited)."""

    @property
    def batch_size(self) -> int:
        """How many prompts to hand over at once."""

    @property
    def paid(self) -> int:
        """Budgeted target calls made so far."""

    @property
    def exhausted(self) -> bool:
        """True once any limit of the budget is spent."""

    @property
    def stop_reason(self) -> str:
        """Which limit is spent, in words ("" while none is)."""

    @property
    def stochastic(self) -> bool:
        """True when the target may answer the same prompt differently when asked again."""

    def query(self, prompts: Sequence[str]) -> list[QueryResult]:
        """One result per prompt, in order; no response where the budget could not pay."""

    def resample(self, prompt: str, k: int) -> list[QueryResult]:
        """``k`` fresh answers to ``prompt`` (no memo, no cache), paid from the budget."""
