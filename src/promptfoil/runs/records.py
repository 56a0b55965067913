"""The records a run writes (one line per item) and the settings that make a results file
one experiment. What a record must hold when read back is checked by the codec
(:func:`promptfoil.codec.fields.check_record`).
"""

from __future__ import annotations

from typing import Any

from ..codec.fields import check_record  # noqa: F401 - the one record check, re-exported
from ..config import PLUMBING_OPTIONS, Config
from ..backends.masking import public_url
from ..settings.declare import recorded
from ..errors import MissingDependency, PromptfoilError
from ..types import EXPLANATION_FIELDS, Explanation
from .items import ExplainerLike, RunItem


#: Keys of ``Explanation.to_dict()`` (and ``id``/``error``); carried fields that clash get ``input_``.
#: Keys a results line may not take from the input row (the input's own are renamed input_*).
RESERVED = frozenset({"id", "error", "settings", *EXPLANATION_FIELDS})
MAX_BAD_LINES_SHOWN = 5


def result_record(item: RunItem, ex: Explanation | None, error: str | None = None, trace: bool = True) -> dict[str, Any]:
    """The results line of one item: explanation (or error), its id and carried fields."""
    rec: dict[str, Any] = {"id": item.id}
    if ex is not None:
        d = ex.to_dict()
        if not trace:
            d.pop("trace", None)
        rec.update(d)
    else:
        rec.update({"prompt": item.prompt, "error": error})
        if item.conversation is not None:
            rec["conversation"] = item.conversation.to_list()
    for k, v in item.fields.items():
        rec[f"input_{k}" if k in RESERVED else k] = v
    return rec


def explain_item(
    explainer: ExplainerLike, item: RunItem, trace: bool = True, stop_on: tuple[type[Exception], ...] = (),
) -> dict[str, Any]:
    """The results line of one item, whatever happens to it.

    A failing item gives a record with its ``error``; a missing package is raised (every
    item would fail the same way), as are interrupts and errors of a type in ``stop_on``.
    """
    try:
        if item.conversation is None:
            ex = explainer.explain(item.prompt, protected=item.protected)
        else:
            ex = explainer.explain(item.conversation, protected=item.protected, edit=item.edit)
        return result_record(item, ex, trace=trace)
    except MissingDependency:
        raise
    except stop_on:
        raise
    except PromptfoilError as exc:
        return result_record(item, None, str(exc))
    except Exception as exc:  # a user's target or model failing on one item
        return result_record(item, None, f"{type(exc).__name__}: {exc}")


def _plain(value: Any) -> Any:
    """A JSON-safe form of a setting (a component object by its name)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(getattr(value, "name", None) or type(value).__name__)


def settings_of(config: Config, job: str = "run", **extra: Any) -> dict[str, Any]:
    """What makes a results file one experiment: the job and every setting that changes an
    answer or a verdict. Written into each record; a resume with other settings is refused.

    Generated from the declarations (:mod:`promptfoil.settings`): each search and endpoint
    setting (and the budget and ``max_tokens``) as it is declared to be recorded, each
    component's options but the plumbing ones (:data:`~promptfoil.config.PLUMBING_OPTIONS`),
    and the ``max_tokens`` the target is
    actually built with (a ``--target-option max_tokens=N`` wins over ``--max-tokens``).
    """

    def component(c: Any) -> dict[str, Any]:
        options = {k: v for k, v in dict(c.options).items() if k not in PLUMBING_OPTIONS}
        return {"name": _plain(c.name), "model": c.model, "options": _plain(options)}

    out = {
        "job": job,
        "target": component(config.target),
        "infiller": component(config.infiller),
        "scorer": component(config.scorer),
        **recorded(config, _plain),  # max_tokens (the cache is plumbing)
        "budget": recorded(config.budget, _plain),
        **recorded(config.search, _plain),
    }
    if "max_tokens" in dict(config.target.options):  # what the target is built with
        out["max_tokens"] = dict(config.target.options)["max_tokens"]
    endpoint = recorded(config.endpoint, _plain)  # only what differs from the default: older files still resume
    if "base_url" in endpoint:  # the server, never its user-info or query string (keys travel there)
        urls = endpoint["base_url"]
        endpoint["base_url"] = [public_url(u) for u in urls] if isinstance(urls, list) else public_url(urls)
    if endpoint:
        out["endpoint"] = endpoint
    out.update({k: _plain(v) for k, v in extra.items()})
    return out


def settings_difference(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: stored -> new`` for each setting that differs (nested keys dotted)."""
    out: list[str] = []

    def walk(a: Any, b: Any, key: str) -> None:
        if isinstance(a, dict) and b is None or a is None and isinstance(b, dict):
            a, b = a or {}, b or {}  # a group one side lacks: name the settings inside it
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{key}.{k}" if key else k)
        elif a != b:
            out.append(f"{key}: {a!r} -> {b!r}")

    walk(stored, new, "")
    return out
