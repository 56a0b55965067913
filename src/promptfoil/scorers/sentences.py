"""What a cut-off response says in complete sentences.

A response that stopped at ``max_tokens`` ends mid-sentence ("... can be a double"); two
such texts differ partly because they were cut at different words. Scores therefore compare
only what a truncated response says up to its last sentence end.
"""

from __future__ import annotations

import re

# A sentence end: . ! ? or an ellipsis (optionally closed by quotes or brackets) followed by
# whitespace or the end of the text; or a line break (list items, headings).
_END = re.compile(r"""[.!?\u2026\u3002\uff01\uff1f]+["'\u2019\u201d)\]]*(?=\s|$)|\n""")
_MARKER = re.compile(r"\s*(\d+|[A-Za-z])")


def complete_sentences(text: str) -> str:
    """``text`` up to (and including) its last sentence end; the whole text when it has no
    sentence end or nothing but whitespace would be left."""
    last = None
    for m in _END.finditer(text):
        line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if m.group() != "\n" and _MARKER.fullmatch(line):
            continue  # "2." opening a list item ends no sentence
        last = m
    if last is None:
        return text
    kept = text[: last.end()].rstrip()
    return kept if kept.strip() else text


def scored_text(text: str, truncated: bool) -> str:
    """The part of a response that scorers compare: all of it, or its complete sentences
    when generation stopped at ``max_tokens``."""
    return complete_sentences(text) if truncated else text
