"""Which words matter: each unit's effect on the score, estimated from the trace at no extra call.

Every scored candidate edited some units and got a score. For each unit the search ever
edited, the estimate compares the mean goal-wise score of the candidates that edited it with
the mean of those that did not. It is a difference of means, not a causal fit: a unit that was
only ever edited together with a strong one shares its credit, so the counts behind each mean
are kept and an estimate with fewer than :data:`MIN_SUPPORT` candidates on a side is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..types import Direction, TraceEntry, UnitEffect
from .goal import Goal

#: Candidates needed on each side (edited / not edited) before an estimate is "supported".
MIN_SUPPORT = 2


def goalwise(score: float, direction: Direction) -> float:
    """The score turned so that larger always means closer to a contrast (the goal's objective)."""
    return Goal(direction, 0.0).objective(score)


def unit_effects(trace: Sequence[TraceEntry], direction: Direction) -> tuple[UnitEffect, ...]:
    """Per unit edited by a scored candidate, its effect (see :class:`~promptfoil.types.UnitEffect`),
    in prompt order. A prompt scored more than once (a re-sample) counts once, with its first score."""
    seen: set[str] = set()
    scored: list[tuple[frozenset[tuple[int | None, int]], float]] = []
    where: dict[tuple[int | None, int], tuple[int, int, str]] = {}
    for t in trace:
        if t.status != "scored" or t.score is None or not t.edits or t.prompt in seen:
            continue
        seen.add(t.prompt)
        keys = frozenset((e.turn, e.unit) for e in t.edits)
        for e in t.edits:
            where.setdefault((e.turn, e.unit), (e.start, e.end, e.old))
        scored.append((keys, goalwise(float(t.score), direction)))
    out = []
    for key, (start, end, old) in where.items():
        inside = [s for units, s in scored if key in units]
        other = [s for units, s in scored if key not in units]
        effect = sum(inside) / len(inside) - sum(other) / len(other) if inside and other else None
        out.append(UnitEffect(
            unit=key[1], start=start, end=end, old=old,
            effect=None if effect is None else round(effect, 6),
            n_edited=len(inside), n_other=len(other),
            supported=len(inside) >= MIN_SUPPORT and len(other) >= MIN_SUPPORT, turn=key[0],
        ))
    return tuple(sorted(out, key=lambda u: (u.start, u.unit)))
