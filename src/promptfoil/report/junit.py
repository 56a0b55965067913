"""JUnit XML of a gate run, the shape CI systems read (GitHub/GitLab/Jenkins test reports).

``<testsuites>`` holds one ``<testsuite>`` with ``tests``/``failures``/``errors``/``skipped``
counts; each item is a ``<testcase>``. A drifted or lost item gets a ``<failure>`` whose
message carries the re-explanation on the new target when the gate made one; an item
the gate could not check (the new target gave no answer, no finite score) an ``<error>``;
an item without a found contrast a ``<skipped>``. Model text is escaped by ElementTree, and
characters XML 1.0 cannot carry at all (control characters) are replaced first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..uses.gate import LABELS, GateReport, ItemResult

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as text XML can hold: forbidden characters become U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(value))


def explanation_note(item: ItemResult) -> str:
    """The re-explanation in one sentence (empty when the item was not searched again)."""
    ex = item.explanation
    if ex is None:
        return ""
    flips = {True: "still flips", False: "no longer flips", None: "none stored"}[item.still_flips]
    if not ex.found:
        return f"stored contrast {flips}; new contrast: {ex.boundary}"
    edits = ", ".join(f"{old!r} -> {new!r}" for old, new in ex.edits)
    return f"stored contrast {flips}; new contrast flips the new model with {edits} ({ex.boundary})"


def _details(item: ItemResult) -> str:
    lines = [
        f"scorer {item.scorer}, δ={item.threshold} ({item.direction})",
        f"drift g(x0, y0, x0, y0') = {item.drift}",
        f"flip  g(x0, y0', xc, yc') = {item.flip}",
        f"original prompt x0: {item.prompt}",
        f"stored answer y0: {item.response}",
        f"new answer y0': {item.new_response}",
        f"contrast prompt xc: {item.contrast_prompt}",
        f"stored contrast answer yc: {item.contrast_response}",
        f"new contrast answer yc': {item.new_contrast_response}",
    ]
    if item.pass_rate is not None and len(item.samples) > 1:
        lines.insert(1, f"pass rate {item.passes}/{len(item.samples)} = {item.pass_rate.fmt()} (95% Wilson)")
    ex = item.explanation
    if ex is not None:
        lines += [
            f"re-explained on the new target (budget {ex.budget} calls, {ex.calls} paid): {ex.boundary}",
            f"new contrast prompt: {ex.contrast_prompt}",
            f"its answer from the new target: {ex.contrast_response}",
            f"edit distance: stored {item.stored_edit_distance}, new {ex.edit_distance}, "
            f"change {ex.edit_distance_change}",
        ]
    return xml_text("\n".join(lines))


def _case(suite: ET.Element, item: ItemResult, classname: str) -> None:
    tc = ET.SubElement(suite, "testcase", name=xml_text(item.id), classname=classname)
    if item.verdict in ("drifted", "lost"):
        note = explanation_note(item)
        message = f"{LABELS[item.verdict]}: {item.reason}" + (f" | {note}" if note else "")
        el = ET.SubElement(tc, "failure", message=xml_text(message), type=item.verdict)
        el.text = _details(item)
    elif item.verdict == "failed":
        el = ET.SubElement(tc, "error", message=xml_text(item.reason), type="failed")
        el.text = _details(item)
    elif item.verdict == "skipped":
        ET.SubElement(tc, "skipped", message=xml_text(item.reason))


def junit_tree(report: GateReport, name: str = "promptfoil gate") -> ET.ElementTree:
    """The XML document of ``report``; ``name`` names the suite (e.g. the results file)."""
    s = report.summary
    counts = {"tests": str(s.total), "failures": str(s.drifted + s.lost), "errors": str(s.failed),
              "skipped": str(s.skipped), "time": f"{s.seconds:.3f}"}
    root = ET.Element("testsuites", name="promptfoil gate", **counts)
    suite = ET.SubElement(root, "testsuite", name=xml_text(name), **counts)
    props = ET.SubElement(suite, "properties")
    for key, value in (("max_broken", s.max_broken), ("broken_share", round(s.broken_share, 6)),
                       ("passed", str(s.passed).lower())):
        ET.SubElement(props, "property", name=key, value=str(value))
    for item in report.items:
        _case(suite, item, "promptfoil.gate")
    return ET.ElementTree(root)


def junit_text(report: GateReport, name: str = "promptfoil gate") -> str:
    """The JUnit XML document as text (with its XML declaration)."""
    tree = junit_tree(report, name)
    ET.indent(tree)
    body = ET.tostring(tree.getroot(), encoding="unicode")
    return f"<?xml version='1.0' encoding='utf-8'?>\n{body}\n"


def write_junit(report: GateReport, path: str | Path, name: str = "promptfoil gate") -> Path:
    """Write the JUnit XML file (UTF-8, with an XML declaration)."""
    p = Path(path)
    p.write_text(junit_text(report, name), encoding="utf-8")
    return p
