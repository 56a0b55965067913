"""Old vs new over the gate's items, paired item by item, each figure with an interval.

The old side is the stored run: an item's contrast flipped the old model when its stored
score reached δ. The new side is the gate's samples: the share of samples in which the same
contrast still flips the new model. Per item the difference new − old is taken, and the mean
difference gets a seeded percentile bootstrap interval over items (items resampled, so the
pairing is kept). The share of items that hold is a plain proportion: Wilson's interval. The exit code never reads these figures: they say how large the change is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .intervals import BOOTSTRAP_RESAMPLES, Interval, bootstrap_mean, wilson


@dataclass(frozen=True)
class Paired:
    """Share of checked items that hold; over the items with a stored contrast, the old and
    new flip rate, their paired difference and the mean change of the contrast's score
    (towards "more contrastive" positive), each with a 95% interval where there are items."""

    items: int
    hold_share: Interval
    contrasts: int
    old_flip_rate: float | None
    new_flip_rate: float | None
    flip_rate_change: Interval | None
    score_change: Interval | None
    seed: int
    resamples: int = BOOTSTRAP_RESAMPLES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """The paired figures in one sentence."""
        parts = [f"{self.hold_share.fmt(percent=True)} of {self.items} items hold"]
        if self.flip_rate_change is not None and self.old_flip_rate is not None and self.new_flip_rate is not None:
            parts.append(f"flip rate of the {self.contrasts} stored contrasts {self.old_flip_rate:.0%} → "
                         f"{self.new_flip_rate:.0%} (change {self.flip_rate_change.fmt()})")
        if self.score_change is not None:
            parts.append(f"contrast score change {self.score_change.fmt(3)}")
        return "; ".join(parts) + f" (95% intervals: Wilson for the share, bootstrap over items with seed {self.seed} for the changes)"


def compare(holds: Sequence[bool | float], old_flips: Sequence[float], new_flips: Sequence[float],
            score_changes: Sequence[float], seed: int = 0) -> Paired:
    """The paired figures from per-item values (``old_flips`` and ``new_flips`` aligned)."""
    if len(old_flips) != len(new_flips):
        raise ValueError("old and new flips must be paired item by item")
    diffs = [n - o for o, n in zip(old_flips, new_flips)]
    return Paired(
        items=len(holds),
        hold_share=wilson(sum(1 for h in holds if h), len(holds)),
        contrasts=len(old_flips),
        old_flip_rate=sum(old_flips) / len(old_flips) if old_flips else None,
        new_flip_rate=sum(new_flips) / len(new_flips) if new_flips else None,
        flip_rate_change=bootstrap_mean(diffs, seed) if diffs else None,
        score_change=bootstrap_mean(score_changes, seed) if score_changes else None,
        seed=seed,
    )
