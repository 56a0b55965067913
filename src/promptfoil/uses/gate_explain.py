"""Why an item regressed: the search run again, on the new target, for the items the gate
found broken, shown beside the stored contrast.

For each drifted or lost item (the worst first, up to a limit) the explainer searches the
original prompt on the new target with the run's own scorer, δ, direction and recorded search
settings (infiller, unit size, seed, fluency margin, ...) and a budget of its own. The result
is the new minimal edit that flips the new model, or "no contrast within budget", and how the
edit size moved from the stored one (the decision boundary closer to ``x0`` or further). The
explainer's query stage shares the gate's response cache, so the new answer to ``x0`` the gate
already has costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..config import DEFAULT_INFILLER, SEARCH_KEYS, Component, Config
from ..errors import ConfigError, PromptfoilError
from ..infill.base import infillers
from ..targets.budget import Budget
from ..types import Explanation
from .gate import Case, GateReport, Reexplanation, Skip

#: Search settings the gate sets itself: the goal comes from the record, and one minimal
#: contrast is wanted, without re-sampling. Every other recorded search setting is taken over.
OWN = frozenset({"threshold", "direction", "contrasts", "confirm", "minimize"})
EXPLAINABLE = ("drifted", "lost")


def recorded_infiller(case: Case) -> Component:
    """The infiller the run recorded (the default one when it recorded none). A results file
    names components, never code: an unregistered name is refused with the way out."""
    raw = (case.settings or {}).get("infiller")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        return Component(DEFAULT_INFILLER)
    if raw["name"] not in infillers:
        raise ConfigError(f"the run's infiller {raw['name']!r} is not a registered one; give one with --infiller")
    model = raw.get("model") if isinstance(raw.get("model"), str) else None
    options = raw.get("options") if isinstance(raw.get("options"), Mapping) else {}
    return Component(raw["name"], model, dict(options))


def search_config(case: Case, base: Config, budget: int, infiller: Component | None = None) -> Config:
    """The config that searches ``case`` again: ``base``'s target, scorer, cache and endpoint,
    the given (else the recorded) infiller, the recorded search settings and the record's goal."""
    chosen = infiller or recorded_infiller(case)
    s = case.settings or {}
    carried: dict[str, Any] = {k: tuple(s[k]) if isinstance(s[k], list) else s[k]
                               for k in SEARCH_KEYS if k in s and k not in OWN}
    if carried.get("order") not in (None, "none", "prompt-shift"):
        carried.pop("order")
    search = replace(base.search, **carried, threshold=case.goal.threshold, direction=case.goal.direction,
                     contrasts=1, confirm=0, minimize=True)
    return replace(base, infiller=chosen, search=search, budget=Budget(calls=budget))


def reexplain(case: Case, explainer_for: Callable[[Case], Any], budget: int) -> Reexplanation:
    """Search ``case``'s original prompt (its conversation's edited turns) with the explainer
    ``explainer_for`` gives. One that cannot be built or run leaves the reason in ``error``:
    the item keeps its verdict, and the reports say why there is no new contrast."""
    try:
        explainer = explainer_for(case)
        if case.conversation is None or case.edited_turns is None:
            ex: Explanation = explainer.explain(case.prompt)
        else:
            ex = explainer.explain(case.conversation, edit=[str(t) for t in case.edited_turns])
    except PromptfoilError as exc:  # a missing package too: the check itself is done
        return Reexplanation(False, budget, old_edit_distance=case.edit_distance, error=str(exc))
    return Reexplanation(
        ex.found, budget, response=ex.response, contrast_prompt=ex.contrast_prompt,
        contrast_response=ex.contrast_response, score=ex.score, edits=tuple((e.old, e.new) for e in ex.edits),
        edit_distance=ex.edit_distance, old_edit_distance=case.edit_distance, calls=ex.calls.target,
        cache_hits=ex.calls.cache_hits, seconds=ex.seconds,
    )


def explain_regressions(report: GateReport, cases: Sequence[Case | Skip], explainer_for: Callable[[Case], Any],
                        limit: int, budget: int) -> GateReport:
    """``report`` with a :class:`Reexplanation` on its ``limit`` worst drifted or lost items.

    ``explainer_for`` gives the explainer for a case (the CLI builds one per recorded setting
    and reuses it); ``cases`` are the ones the report was made from, in the same order.
    """
    for name, value in (("explain", limit), ("explain budget", budget)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "explain" else 1):
            raise ConfigError(f"{name} must be a whole number of at least {0 if name == 'explain' else 1} (got {value!r})")
    if len(cases) != len(report.items):
        raise ConfigError("the cases must be the ones the report was made from")
    position = {id(item): n for n, item in enumerate(report.items)}
    chosen = [position[id(it)] for it in report.regressions() if it.verdict in EXPLAINABLE][:limit]
    items = list(report.items)
    for n in chosen:
        case = cases[n]
        assert isinstance(case, Case)
        items[n] = replace(items[n], explanation=reexplain(case, explainer_for, budget))
    return replace(report, items=tuple(items))
