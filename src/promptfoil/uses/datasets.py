"""Prompt sets shipped with the package (written for this project), and readers for the
real MIC CSV and XSum files when a user has them."""

from __future__ import annotations

import csv
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..codec.jsonl import objects, text_objects
from ..errors import PromptfoilError


def shipped_prompts() -> list[dict[str, str]]:
    """Short advice and moral questions in the style of the Moral Integrity Corpus."""
    return _read_shipped("data/prompts.jsonl")


SHIPPED_SETS = {"demo": "data/prompts.jsonl", "mic-style": "data/mic_style.jsonl", "news": "data/news.jsonl",
                "conversations": "data/conversations.jsonl", "conduct-questions": "data/conduct_questions.jsonl"}

#: Instruction put before a document for summarisation; it is protected (never edited).
SUMMARY_INSTRUCTION = "Summarise the following article in one sentence.\n\n"


def _read_shipped(relpath: str) -> list[dict[str, Any]]:
    text = files("promptfoil").joinpath(relpath).read_text(encoding="utf-8")
    return [row for _, row in text_objects(text, relpath)]


def shipped_policy() -> str:
    """The code of conduct of Quillbrook Analytics, a company invented for promptfoil's red
    teaming example (7 rules; ``conduct-questions`` holds 20 employee questions about it)."""
    return files("promptfoil").joinpath("data/conduct.md").read_text(encoding="utf-8")


def shipped_set(name: str) -> list[dict[str, Any]]:
    """A prompt set shipped with promptfoil: ``demo`` (12), ``mic-style`` (100), ``news`` (30),
    ``conversations`` (20 everyday chats of 3 or 5 messages, rows with ``messages``) and
    ``conduct-questions`` (20 questions about :func:`shipped_policy`, rows with ``question``).

    ``news`` rows are summarisation prompts: ``prompt`` is the instruction plus the document,
    with ``protected`` covering the instruction so only the document is edited.
    """
    if name not in SHIPPED_SETS:
        raise PromptfoilError(f"unknown prompt set '{name}'; shipped sets: {', '.join(SHIPPED_SETS)}")
    rows = _read_shipped(SHIPPED_SETS[name])
    if name == "news":
        return [summarisation_row(r["id"], r["document"]) for r in rows]
    if name == "conduct-questions":
        return [{"id": r["id"], "prompt": r["question"], "rule": r["rule"]} for r in rows]
    return rows


def summarisation_row(item_id: str, document: str, instruction: str = SUMMARY_INSTRUCTION) -> dict[str, Any]:
    """A prompt asking for a one-sentence summary; the instruction span is protected."""
    doc = " ".join(document.split())
    return {
        "id": item_id,
        "prompt": instruction + doc,
        "protected": [[0, len(instruction)]],
        "words": len(doc.split()),
    }


def load_mic_csv(path: str | Path, split: str | None = "test", limit: int | None = None) -> list[dict[str, Any]]:
    """Questions of the Moral Integrity Corpus CSV (column ``Q``; ``split`` filters when present).

    Repeated questions are kept once; ids are ``mic-<row>`` of the first occurrence.
    """
    p = Path(path)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "Q" not in reader.fieldnames:
                raise PromptfoilError(f"{p}: not a MIC CSV (needs a 'Q' column)")
            for n, row in enumerate(reader, 1):
                if split and "split" in row and row["split"] != split:
                    continue
                q = (row.get("Q") or "").strip()
                if not q or q in seen:
                    continue
                seen.add(q)
                rows.append({"id": f"mic-{n}", "prompt": q})
                if limit and len(rows) >= limit:
                    break
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PromptfoilError(f"cannot read {p}: {exc}") from None
    return rows


_XSUM_SECTION = re.compile(r"\[SN\](URL|TITLE|FIRST-SENTENCE|RESTBODY)\[SN\]")


def _parse_xsum_summary(text: str) -> tuple[str, str]:
    """(document, reference summary) of one XSum ``.summary`` file."""
    parts = _XSUM_SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    return sections.get("RESTBODY", ""), sections.get("FIRST-SENTENCE", "")


def load_xsum(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """XSum documents as summarisation prompts.

    ``path`` is a folder of the original ``*.summary`` files, or a JSONL/CSV export with
    ``document`` (and optional ``summary``, ``id``) fields, as the Hugging Face copy has.
    """
    p = Path(path)
    out: list[dict[str, Any]] = []
    if p.is_dir():
        for f in sorted(p.glob("*.summary")):
            doc, ref = _parse_xsum_summary(f.read_text(encoding="utf-8", errors="replace"))
            if doc:
                out.append({**summarisation_row(f"xsum-{f.stem}", doc), "reference": ref})
            if limit and len(out) >= limit:
                break
        if not out:
            raise PromptfoilError(f"{p}: no XSum *.summary files with a body found")
        return out
    if not p.is_file():
        raise PromptfoilError(f"XSum path not found: {p}")
    try:
        if p.suffix.lower() == ".csv":
            with p.open(newline="", encoding="utf-8") as fh:
                records = list(csv.DictReader(fh))
        else:
            records = [row for _, row in objects(p, "XSum file ")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PromptfoilError(f"cannot read {p} as XSum: {exc}") from None
    for n, r in enumerate(records, 1):
        if not isinstance(r, dict) or not str(r.get("document") or "").strip():
            raise PromptfoilError(f"{p} record {n}: no 'document' field")
        out.append({**summarisation_row(f"xsum-{r.get('id', n)}", str(r["document"])), "reference": r.get("summary", "")})
        if limit and len(out) >= limit:
            break
    return out
