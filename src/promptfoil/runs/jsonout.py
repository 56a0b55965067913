"""Strict JSON out: a number that is not finite (NaN, ±Infinity) becomes ``null``, so every
line promptfoil prints or writes parses with any JSON reader."""

from __future__ import annotations

import json
import math
from typing import Any


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float (at any depth) replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def strict_dumps(obj: Any, **kw: Any) -> str:
    """``json.dumps`` of :func:`finite` ``(obj)``; never writes NaN or Infinity."""
    return json.dumps(finite(obj), allow_nan=False, **kw)
