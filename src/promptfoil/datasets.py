"""Prompt sets shipped with the package (written for this project)."""

from __future__ import annotations

import json
from importlib.resources import files


def shipped_prompts() -> list[dict[str, str]]:
    """Short advice and moral questions in the style of the Moral Integrity Corpus."""
    text = files("promptfoil").joinpath("data/prompts.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
