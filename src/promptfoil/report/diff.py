"""Word-level difference of two responses, shared by the terminal and HTML reports."""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\s+|[^\s]+")


def response_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Pieces of ``a`` (True = removed in ``b``) and of ``b`` (True = added); lossless."""
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    sm = difflib.SequenceMatcher(a=ta, b=tb, autojunk=False)
    pa: list[tuple[str, bool]] = []
    pb: list[tuple[str, bool]] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        same = op == "equal"
        if i2 > i1:
            pa.append(("".join(ta[i1:i2]), not same))
        if j2 > j1:
            pb.append(("".join(tb[j1:j2]), not same))
    return pa, pb
