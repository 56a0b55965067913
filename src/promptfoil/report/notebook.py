"""Views for Jupyter: an explanation or a results set drawn as the HTML report, trace explorer
included, in a sandboxed ``<iframe srcdoc>``.

The report is a whole page with its own Content-Security-Policy, script and style sheet; in an
iframe it keeps all three and cannot touch the notebook (``sandbox="allow-scripts"``: its own
opaque origin, no same-origin access), and the notebook's styles cannot break it. The page is
escaped once more as the attribute value. ``promptfoil.types`` reaches these functions through
the ``views`` registry (entry points ``promptfoil.views`` in ``pyproject.toml``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from .html import render_html

HEIGHT = 640  # px; the page scrolls inside the frame


def frame(page: str, height: int = HEIGHT) -> str:
    """``page`` (a whole HTML document) as a sandboxed iframe that a notebook cell can show."""
    return (f'<iframe class="promptfoil-report" sandbox="allow-scripts" style="width: 100%; height: {int(height)}px; '
            f'border: 1px solid #ddd; resize: vertical;" srcdoc="{html.escape(page, quote=True)}"></iframe>')


def explanation_html(record: dict[str, Any]) -> str:
    """The report of one explanation (``Explanation._repr_html_``)."""
    rec = {"id": "explanation", **record}
    return frame(render_html([rec], title="promptfoil explanation"))


def results_html(records: Sequence[dict[str, Any]], source: str = "") -> str:
    """The report of a results set, profile first (``Results._repr_html_``)."""
    return frame(render_html(list(records), title=f"promptfoil results{f': {source}' if source else ''}",
                             source=source))
