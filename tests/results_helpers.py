"""Shared by the tests of dataset runs, results files and the commands that read them: the
stand-in CLI flags, a CLI call that returns (exit code, stdout, stderr on one line), a small
prompts file, and an explainer on stand-ins (plumbing only, never a model's behaviour)."""

from __future__ import annotations

import json
from pathlib import Path

from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.cli import main

STANDINS = ["--target", "standins:EchoTarget", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer"]
PROMPT = "Is it wrong to lie to my friend?"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, " ".join(got.err.split())


def prompts_file(path: Path, n: int = 2) -> Path:
    texts = [PROMPT, "Should I tell my boss the truth?", "Is it fine to skip a wedding?"][:n]
    path.write_text("".join(json.dumps({"id": str(i), "prompt": t}) + "\n" for i, t in enumerate(texts)),
                    encoding="utf-8")
    return path


def explainer(**kw):
    base = dict(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                cache=False, budget=8)
    base.update(kw)
    return promptfoil.Explainer(**base)
