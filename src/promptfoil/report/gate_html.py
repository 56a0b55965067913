"""The gate's before/after page: per item the old and the new answer to the original prompt,
the old contrast (and whether it still flips the new model) and the new contrast the search
found on the new model, every sample, in the style of the results report.

Safety as in :mod:`.html`: jinja2 autoescaping on every value; the page has no script at all
and its Content Security Policy allows only its own style sheet, by hash, and no fetch.
"""

from __future__ import annotations

from typing import Any

from ..backends.embedded import require
from ..uses.gate import LABELS, GateReport, ItemResult
from .diff import response_diff
from .explorer import csp_hash
from .html import _asset

BADGES = {"holds": "found", "drifted": "notfound", "lost": "notfound", "failed": "failed", "skipped": "failed"}


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _edited(before: str, after: str) -> list[tuple[str, bool]]:
    """``after`` in pieces, True where it differs from ``before`` (the edit of a contrast)."""
    return response_diff(before, after)[1]


def item_view(it: ItemResult) -> dict[str, Any]:
    """What the page shows of one item, as plain strings and pieces (escaped by the template)."""
    ex = it.explanation
    old_answer, new_answer = response_diff(it.response or "", it.new_response or "")
    rate = f"{it.passes}/{len(it.samples)}" if it.samples else ""
    facts = []
    if it.pass_rate is not None and len(it.samples) > 1:
        facts.append(f"pass rate {rate}, 95% Wilson interval {it.pass_rate.fmt()}")
    if it.noise_band is not None:
        facts.append(f"noise band {it.noise_band:.3f} (median score between two new answers to x0)")
    if it.threshold is not None:
        facts.append(f"scorer {it.scorer}, δ {it.threshold:g} ({it.direction})")
    if it.found:
        facts.append(f"stored score {_num(it.stored_score)}, edit distance {_num(it.stored_edit_distance)}")
    if ex is not None:
        facts.append(f"re-explained with budget {ex.budget} ({ex.calls} paid, {ex.cache_hits} from the cache): "
                     f"edit distance {_num(ex.edit_distance)}, change {_num(ex.edit_distance_change)}")
    return {
        "id": it.id, "label": LABELS[it.verdict], "badge": BADGES[it.verdict], "reason": it.reason,
        "checked": it.verdict != "skipped", "holds": rate, "drift": _num(it.drift), "flip": _num(it.flip),
        "delta": "" if it.threshold is None else f"{it.threshold:g}",
        "old_answer": old_answer, "new_answer": new_answer, "still_flips": it.still_flips,
        "old_contrast": _edited(it.prompt or "", it.contrast_prompt) if it.contrast_prompt is not None else [],
        "old_contrast_answer": it.contrast_response or "", "new_contrast_answer": it.new_contrast_response or "(no answer)",
        "new_contrast": _edited(it.prompt or "", ex.contrast_prompt) if ex is not None and ex.found and ex.contrast_prompt else [],
        "new_contrast_answer_found": (ex.contrast_response or "") if ex is not None else "",
        "boundary": ex.boundary if ex is not None else ("not searched" if it.broken else "not needed: it holds"),
        "searched": ex is not None,
        "facts": " · ".join(facts),
        "samples": [{"label": LABELS[s.verdict], "drift": _num(s.drift), "flip": _num(s.flip),
                     "answer": s.new_response or ""} for s in it.samples] if len(it.samples) > 1 else [],
    }


def render_gate_html(report: GateReport, title: str = "promptfoil gate", source: str = "") -> str:
    """The page as one HTML string."""
    jinja2 = require("jinja2", "The HTML report", "jinja2", "report")
    env = jinja2.Environment(loader=jinja2.PackageLoader("promptfoil", "report/templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    from markupsafe import Markup

    css = _asset("report.css")
    csp = (f"default-src 'none'; script-src 'none'; style-src {csp_hash(css)}; img-src 'none'; connect-src 'none'; "
           "font-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'")
    s = report.summary
    counts = (f"{s.checked} checked · {s.holds} hold · {s.drifted} original drifted · {s.lost} contrast lost · "
              f"{s.failed} failed · {s.skipped} skipped · broken {s.broken_share:.1%} "
              f"({'at most' if s.passed else 'more than'} {s.max_broken:.1%})")
    rule = (f"Each check asked {s.repeats} time(s); an item is broken when the 95% Wilson interval of its pass rate "
            f"lies below {s.min_pass_rate:g}.")
    return env.get_template("gate.html").render(
        title=title, source=source, passed=s.passed, counts=counts, rule=rule,
        paired=report.paired.line() if report.paired is not None else "",
        items=[item_view(i) for i in report.items], csp=csp, css=Markup(css),
    )
