"""Every dotted ``promptfoil.…`` name the README and the manual (``docs/*.md``) mention resolves:
a module, or an attribute of one (the public API they teach stays importable after code moves)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
#: Entry-point group names, which are not Python objects.
GROUPS = {"promptfoil.targets", "promptfoil.infillers", "promptfoil.scorers", "promptfoil.algorithms"}
NAMES = sorted({m.group(0).rstrip(".") for m in re.finditer(r"\bpromptfoil(?:\.[A-Za-z_]\w*)+", README)} - GROUPS)


def _resolve(name: str) -> object:
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:k]))
        except ModuleNotFoundError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(name)


def test_the_readme_names_some_api() -> None:
    assert len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_readme_name_resolves(name: str) -> None:
    assert _resolve(name) is not None
