"""A self-contained HTML report of a results file: no network fetches, every string escaped.

Per explanation: prompt and contrast prompt side by side with edit ``i`` in colour ``i`` in
both (the colours of the terminal output), the two responses with their word differences
marked, score, threshold and calls; below it the trace explorer (score against query number,
a sortable, filterable table of every candidate, and a candidate's diff and parent path).
On top: the metrics of the whole file.

Safety: jinja2 autoescaping is on for every value. Only the package's own CSS and script
and the trace JSON (with ``<``, ``>``, ``&`` escaped, see :mod:`.explorer`) are marked safe.
The Content Security Policy allows just that one script and that one style sheet, by their
sha256, and no fetch of any kind; the script writes model text with ``textContent`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..codec.fields import check_record
from ..errors import PromptfoilError
from ..uses.metrics import Embedder, compute
from ..uses.summary import Summary, summarize
from ..backends.embedded import require
from ..types import Edit, Explanation
from .diff import PALETTE, contrast_spans, record_edits, response_diff
from .explorer import csp_hash, item_data, json_for_script, prompt_text
from .heat import effects_of, label as heat_label, pieces as heat_pieces, summary_line as heat_line
from .summary import summary_view
from .lines import judge_summary, policy_line, scorer_label, verdict_line
from .turns import fold, turn_views

__all__ = ["prompt_pieces", "render_html", "response_diff", "write_explanation_html", "write_html"]

N_COLOURS = len(PALETTE)


def _pieces(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, str]]:
    """``text`` cut into (piece, css class) with span ``i`` in class ``e{i mod palette}``."""
    out: list[tuple[str, str]] = []
    pos = 0
    for i, (s, e) in enumerate(spans):
        if s < pos or e > len(text):
            continue  # inconsistent edit offsets: show the text plain rather than garbled
        if s > pos:
            out.append((text[pos:s], ""))
        out.append((text[s:e], f"e{i % N_COLOURS}"))
        pos = e
    if pos < len(text):
        out.append((text[pos:], ""))
    return out


def prompt_pieces(prompt: str, contrast: str | None, edits: Sequence[Edit]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Original and contrast prompt with matching colour classes on each edit."""
    ordered = tuple(sorted(edits, key=lambda e: e.start))
    original = _pieces(prompt, [(e.start, e.end) for e in ordered])
    if contrast is None:
        return original, []
    return original, _pieces(contrast, contrast_spans(ordered))


def _fmt(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{float(x):.{digits}f}"


def _classes(pieces: Sequence[tuple[str, int | None]]) -> list[tuple[str, str]]:
    return [(t, "" if c is None else f"e{c % N_COLOURS}") for t, c in pieces]


def turns_view(rec: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A conversation record's turns for the template (None for a plain prompt): changed
    turns in full with their edits coloured, the others folded to one line."""
    views = turn_views(rec)
    if views is None:
        return None
    return [{"index": v.index, "role": v.role, "pieces": _classes(v.pieces),
             "contrast": _classes(v.contrast) if v.contrast is not None else None,
             "text": v.text, "folded": fold(v.text), "selected": v.selected} for v in views]


def item_view(rec: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows of one record, as plain strings (escaped by the template)."""
    base = {"id": str(rec.get("id", "")), "prompt": str(rec.get("prompt", "")), "error": rec.get("error"),
            "trace_json": None, "heat": None, "turns": turns_view(rec), "policy": None, "truncated": "", "scorer_failures": ""}
    if rec.get("error"):
        base["error"] = str(rec["error"])
        return base
    prompt = str(rec.get("prompt", ""))
    contrast = rec.get("contrast_prompt")
    op = {"increase": "≥", "decrease": "≤", "absolute": "|score| ≥"}.get(str(rec.get("direction")), "≥")
    pp, cp = prompt_pieces(prompt, None if contrast is None else str(contrast), record_edits(rec.get("edits")))
    ra, rb = response_diff(str(rec.get("response", "")), str(rec.get("contrast_response") or ""))
    c = rec.get("calls") or {}
    budget = "unlimited" if rec.get("budget") is None else str(rec.get("budget"))
    return {
        **base,
        "found": bool(rec.get("found")),
        "prompt_pieces": pp,
        "contrast_pieces": cp,
        "response_pieces": ra,
        "contrast_response_pieces": rb if rec.get("contrast_response") is not None else [],
        "score": _fmt(rec.get("score")),
        "scorer": scorer_label(rec),
        "rule": f"{op} {rec.get('threshold')}",
        "n_edits": len(rec.get("edits") or []),
        "edit_distance": _fmt(rec.get("edit_distance"), 2),
        "calls": (
            f"target {c.get('target', 0)}/{budget} + original {c.get('original', 0)}, cache hits "
            f"{c.get('cache_hits', 0)}, infiller {c.get('infiller', 0)}, scorer {c.get('scorer', 0)}"
        ),
        "search": f"{rec.get('algorithm', '')}, split_k={rec.get('split_k', '')}, {_fmt(rec.get('seconds'), 1)} s",
        "trace_json": _trace_json(rec),
        "heat": heat_view(rec),
        "policy": policy_line(rec),
        "definition": str(rec.get("scorer_reason") or ""),
        "verdict": verdict_line(rec.get("verdict")),
        "truncated": _cut_badge(rec),
        "scorer_failures": (f"scorer failed on {rec['scorer_failures']} response(s)"
                            if rec.get("scorer_failures") else ""),
    }


def heat_view(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The heat strip of ``unit_effects`` for the template: (text, css class, tooltip) pieces
    (``hp1``-``hp4`` towards a contrast, ``hn1``-``hn4`` away, ``hu`` too few to tell) and the
    line naming the strongest words; None when the record has none."""
    effects = effects_of(rec.get("unit_effects"))
    parts = heat_pieces(prompt_text(rec.get("prompt")), effects)
    if not parts:
        return None
    rows = []
    for p in parts:
        if p.unit is None:
            rows.append((p.text, "", ""))
        else:
            cls = "hu" if p.level is None else "h0" if p.level == 0 else f"h{'p' if p.level > 0 else 'n'}{abs(p.level)}"
            rows.append((p.text, cls, heat_label(p.unit)))
    return {"pieces": rows, "line": heat_line(effects)}


def _cut_badge(rec: dict[str, Any]) -> str:
    """Which responses stopped at max_tokens (scored on their complete sentences), or ""."""
    cut = [n for n, k in (("response", "truncated"), ("contrast response", "contrast_truncated")) if rec.get(k)]
    return f"{' and '.join(cut)} cut at max_tokens" if cut else ""


def _trace_json(rec: dict[str, Any]) -> Any:
    """The explorer's data of ``rec`` as script-safe JSON markup, or None without a trace."""
    data = item_data(rec)
    if data is None:
        return None
    from markupsafe import Markup  # jinja2's own dependency

    return Markup(json_for_script(data))


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    """A file of report/templates (the page's own CSS or script), read once."""
    folder = resources.files("promptfoil").joinpath("report").joinpath("templates")
    text = folder.joinpath(name).read_text(encoding="utf-8")
    if any(bad in text.lower() for bad in ("</", "<!--", "<script")):
        raise RuntimeError(f"report/templates/{name} must not contain '</', '<!--' or '<script'")
    return text


def content_security_policy(script: str, css: str) -> str:
    """No fetch of any kind; only this page's own script and style sheet, by hash."""
    return (f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(css)}; "
            "img-src 'none'; connect-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; "
            "frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'")


def render_html(records: Sequence[dict[str, Any]], title: str = "promptfoil report", source: str = "",
                embed: Embedder | None = None, profile: Summary | None = None, cards: bool = True) -> str:
    """The report as one HTML string: the dataset ``profile`` on its first screen (None: worked
    out here for two or more records), the metrics, then a card per record (``cards``).
    Records that did not come through the reader (a notebook's own list) are checked here."""
    for n, rec in enumerate(records, 1):
        check_record(rec, f"{source or 'results'} record {n}")
    if profile is None and len(records) > 1:
        profile = summarize(records, source)
    jinja2 = require("jinja2", "The HTML report", "jinja2", "report")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("promptfoil", "report/templates"),
        autoescape=True,  # every value, whatever the template's file name
        undefined=jinja2.StrictUndefined,
    )
    from markupsafe import Markup

    metrics = compute(records, embed)
    script, css = _asset("explorer.js"), _asset("report.css")
    return env.get_template("report.html").render(
        title=title, source=source, metrics=metrics, metrics_rows=metrics.rows(), judges=judge_summary(records),
        items=[item_view(r) for r in records] if cards else [], cards=cards,
        profile=summary_view(profile) if profile is not None else None, csp=content_security_policy(script, css),
        script=Markup(script), css=Markup(css),
    )


def write_html(records: Sequence[dict[str, Any]], path: str | Path, **kw: Any) -> Path:
    """Write the report to ``path`` (UTF-8) and return it."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        # "\n" everywhere: the CSP hashes cover the script and CSS exactly as rendered
        p.write_text(render_html(records, **kw), encoding="utf-8", newline="\n")
    except OSError as exc:
        raise PromptfoilError(f"cannot write {p}: {exc}") from None
    return p


def write_explanation_html(explanation: Explanation | dict[str, Any], path: str | Path,
                           title: str = "promptfoil explanation", item_id: str = "prompt",
                           embed: Embedder | None = None) -> Path:
    """Write the report of one explanation (``explain --html FILE``) to ``path`` and return it."""
    rec = explanation.to_dict() if isinstance(explanation, Explanation) else dict(explanation)
    rec.setdefault("id", item_id)
    return write_html([rec], path, title=title, embed=embed)
