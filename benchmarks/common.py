"""What the benchmark scripts share: where things are, the plumbing doubles some of them run
against (from ``testkit/``, never from ``tests/``), and in-memory memos of greedy answers.

A script in ``benchmarks/<purpose>/`` imports it after putting ``benchmarks/`` on ``sys.path``::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import common
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: Inputs shared by several benchmarks (held-out questions written for them).
DATA = BENCH / "data"
#: Doubles shared with the tests: a loopback OpenAI-compatible server, tiny Hugging Face
#: models built offline, a headless-Chromium driver, synthetic traces.
TESTKIT = ROOT / "testkit"
#: Hand-labelled fluent / broken candidates (shared with the fluency tests).
FLUENCY_LABELS = ROOT / "tests" / "data" / "fluency_labels.jsonl"


def results(purpose: str) -> Path:
    """``benchmarks/<purpose>/results``: where a purpose's result files live."""
    return BENCH / purpose / "results"


def use_testkit() -> None:
    """Make the shared doubles of ``testkit/`` importable."""
    if str(TESTKIT) not in sys.path:
        sys.path.insert(0, str(TESTKIT))


class NumberedFills:
    """A model-free infiller for plumbing benchmarks: ``word`` becomes ``word-1``, ``word-2``, …
    (never a no-op), and every prompt counts as fluent."""

    name = "numbered"

    def infill(self, requests: Sequence[Any]) -> list[list[str]]:
        return [[f"{r.old.replace(' ', '-')}-{i + 1}" for i in range(r.n)] for r in requests]

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        return [0.0 for _ in texts]


class MemoTarget:
    """A greedy target's answers kept in memory across configurations (still paid per call)."""

    def __init__(self, inner: Any, memo: dict[str, Any]) -> None:
        self.inner, self.memo = inner, memo
        self.name, self.batch_size = inner.name, inner.batch_size
        self.identity, self.settings, self.cacheable = inner.identity, inner.settings, inner.cacheable

    def generate(self, prompts: Sequence[str]) -> list[Any]:
        todo = [p for p in dict.fromkeys(prompts) if p not in self.memo]
        if todo:
            self.memo.update(zip(todo, self.inner.generate(todo)))
        return [self.memo[p] for p in prompts]


class MemoInfiller:
    """Infills kept in memory across configurations (the infiller is deterministic)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.memo = inner, inner.name, {}

    def infill(self, requests: Sequence[Any]) -> list[list[str]]:
        todo = [r for r in requests if (r.text, r.start, r.end, r.n) not in self.memo]
        if todo:
            for r, fills in zip(todo, self.inner.infill(todo)):
                self.memo[(r.text, r.start, r.end, r.n)] = fills
        return [self.memo[(r.text, r.start, r.end, r.n)] for r in requests]
