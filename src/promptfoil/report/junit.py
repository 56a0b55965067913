"""JUnit XML of a gate run, the shape CI systems read (GitHub/GitLab/Jenkins test reports).

``<testsuites>`` holds one ``<testsuite>`` with ``tests``/``failures``/``errors``/``skipped``
counts; each item is a ``<testcase>``. A drifted or lost item gets a ``<failure>``; an item
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
    return xml_text("\n".join(lines))


def _case(suite: ET.Element, item: ItemResult, classname: str) -> None:
    tc = ET.SubElement(suite, "testcase", name=xml_text(item.id), classname=classname)
    if item.verdict in ("drifted", "lost"):
        el = ET.SubElement(tc, "failure", message=xml_text(f"{LABELS[item.verdict]}: {item.reason}"),
                           type=item.verdict)
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


def write_junit(report: GateReport, path: str | Path, name: str = "promptfoil gate") -> Path:
    """Write the JUnit XML file (UTF-8, with an XML declaration)."""
    p = Path(path)
    tree = junit_tree(report, name)
    ET.indent(tree)
    tree.write(p, encoding="utf-8", xml_declaration=True)
    return p
