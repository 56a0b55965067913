"""The gate as a pull-request comment (GitHub-flavoured markdown): the decision, the counts,
the paired old-vs-new figures and the worst regressions with their stored and new contrasts
as ``diff`` blocks, and a link to the HTML page.

Model text is untrusted: outside code blocks every markdown and HTML character is escaped
(a comment renders HTML), inside a code block the fence is longer than any run of backticks
in the text, and long texts are cut. The first line is an HTML comment that marks the file
as a gate summary (it renders as nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..uses.gate import LABELS, GateReport, ItemResult

MARKER = "<!-- promptfoil gate summary -->"
#: Regressions shown in full; the rest are listed by id.
WORST = 5
MAX_CHARS = 400

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(value: object, limit: int = MAX_CHARS) -> str:
    """``value`` as inline markdown that renders as the same plain text (one line, cut)."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _cut(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code_block(lines: Iterable[str], lang: str = "diff") -> str:
    """A fenced block that no line of ``lines`` can close."""
    body = "\n".join(lines)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _signed(lines: str, sign: str) -> list[str]:
    return [f"{sign} {ln}" for ln in _cut(lines).splitlines() or [""]]


def diff(before: str, after: str) -> str:
    """``before`` and ``after`` as a two-sided diff block (one side per line of text)."""
    return code_block(_signed(before, "-") + _signed(after, "+"))


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _regression(n: int, it: ItemResult) -> list[str]:
    out = [f"#### {n}. {md_text(it.id, 80)} — {LABELS[it.verdict]}", "", md_text(it.reason), ""]
    if it.pass_rate is not None and len(it.samples) > 1:
        band = "" if it.noise_band is None else f"; noise band {it.noise_band:.3f}"
        out += [f"Pass rate {it.passes}/{len(it.samples)}, 95% interval {md_text(it.pass_rate.fmt())}{band}", ""]
    out += ["Answer to the original prompt, stored → new:", "",
            diff(it.response or "", it.new_response or "(no answer)"), ""]
    if it.contrast_prompt is not None:
        flips = "yes" if it.still_flips else "no"
        out += [f"Stored contrast (score {_num(it.stored_score)}, edit distance {_num(it.stored_edit_distance, 2)}); "
                f"still flips the new model: **{flips}** (flip {_num(it.flip)}, δ {it.threshold:g}):", "",
                diff(it.prompt or "", it.contrast_prompt), ""]
    else:
        out += ["The run found no contrast for this item.", ""]
    ex = it.explanation
    if ex is not None:
        if ex.found and ex.contrast_prompt is not None:
            out += [f"New contrast on the new model (score {_num(ex.score)}, edit distance "
                    f"{_num(ex.edit_distance, 2)}; {md_text(ex.boundary)}):", "",
                    diff(it.prompt or "", ex.contrast_prompt), "",
                    "its answer from the new model:", "", code_block([_cut(ex.contrast_response or "")], "text"), ""]
        else:
            out += [f"New contrast: **{md_text(ex.boundary)}**.", ""]
    return out


def render_markdown(report: GateReport, source: str, html_link: str | None = None, worst: int = WORST) -> str:
    """The summary as markdown text (ends with a newline)."""
    s = report.summary
    badge = "✅ PASSED" if s.passed else "❌ FAILED"
    out = [MARKER, f"## promptfoil gate: {badge}", "",
           f"{md_text(source, 120)} on the new target: **{s.checked}** checked · "
           f"**{s.holds}** hold · **{s.drifted}** original drifted · **{s.lost}** contrast lost · "
           f"**{s.failed}** failed · {s.skipped} skipped.", "",
           f"Broken {s.broken}/{s.checked} = {s.broken_share:.1%} "
           f"({'at most' if s.passed else 'more than'} the allowed {s.max_broken:.1%}).", ""]
    if s.repeats > 1:
        out += [f"Each check asked {s.repeats} times; an item is broken when the 95% Wilson interval of its "
                f"pass rate lies below {s.min_pass_rate:g}.", ""]
    if report.paired is not None:
        out += [f"Old vs new: {md_text(report.paired.line(), 1000)}", ""]
    regressions = report.regressions()
    if regressions:
        out += ["### Worst regressions", ""]
        for n, it in enumerate(regressions[:worst], 1):
            out += _regression(n, it)
        rest = regressions[worst:]
        if rest:
            out += [f"{len(rest)} more: " + ", ".join(md_text(i.id, 80) for i in rest), ""]
    if html_link:
        out += [f"[Before/after report (HTML)](<{html_link.replace('>', '%3E').replace('<', '%3C')}>)", ""]
    return "\n".join(out)
