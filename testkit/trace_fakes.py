"""Synthetic explanations with full search traces, for the HTML report's tests and benchmark.

No model runs: prompts are edited word by word at correct offsets, scores are drawn from a
seeded generator, and the trace mixes every status and payer the search records.
"""

from __future__ import annotations

import random
from typing import Any

from promptfoil.types import Calls, Edit, Explanation, TraceEntry

WORDS = ("should I tell my manager that a colleague keeps taking credit for the work our small team "
         "did over the last quarter while everyone else stayed late to finish the launch").split()
FILLS = ("friend", "boss", "neighbour", "sister", "teacher", "client", "quietly", "never", "always",
         "report", "ignore", "praise", "blame", "year", "month", "project")
ANSWER = ("Yes, you should raise it calmly and early. Collect concrete examples, talk to your manager "
          "in private, and focus on the facts rather than on blame. If nothing changes, ask for "
          "clearer ownership of tasks so that credit follows the work.").split()


def _apply(words: list[str], reps: dict[int, str]) -> tuple[str, tuple[Edit, ...]]:
    """Prompt text with word ``u`` replaced by ``reps[u]``, and the edits in original offsets."""
    text = " ".join(words)
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    edits = tuple(Edit(u, starts[u], starts[u] + len(words[u]), words[u], reps[u]) for u in sorted(reps))
    out = " ".join(reps.get(i, w) for i, w in enumerate(words))
    assert len(out) - len(text) == sum(len(e.new) - len(e.old) for e in edits)
    return out, edits


def _response(rng: random.Random, change: float) -> str:
    words = [rng.choice(FILLS) if rng.random() < change else w for w in ANSWER]
    if rng.random() < change:
        words.insert(0, "No.")
    return " ".join(words)


def explanation(n: int = 40, seed: int = 0, threshold: float = 0.6, prompt_words: list[str] | None = None,
                hostile: str | None = None) -> Explanation:
    """An explanation whose trace has ``n`` candidates: scored (budget and cache), skipped, over-budget.

    ``hostile`` (markup, U+2028...) goes into some candidates' fills, responses and stage names.
    """
    rng = random.Random(seed)
    words = list(prompt_words or WORDS)
    prompt = " ".join(words)
    response = " ".join(ANSWER)
    trace: list[TraceEntry] = []
    reps_of: list[dict[int, str]] = []
    n_skip = max(1, n // 8)
    best = -1
    for i in range(n):
        parent = rng.randrange(i) if i >= 4 and rng.random() < 0.6 else None
        reps = dict(reps_of[parent]) if parent is not None else {}
        fill = rng.choice(FILLS)
        if hostile is not None and i % 3 == 1:
            fill = hostile
        reps[rng.randrange(len(words))] = fill
        text, edits = _apply(words, reps)
        reps_of.append(reps)
        step = 1 + i // 6
        stage = f"budget:t{step}-j{i % 2}" if hostile is None or i != 2 else hostile
        if i >= n - n_skip:
            status, paid, resp, score = ("skipped" if i % 2 else "over-budget"), "none", None, None
        else:
            status = "scored"
            paid = "cache" if i % 5 == 3 else "budget"
            change = rng.random() * 0.5
            resp = response if change < 0.08 else _response(rng, change)
            if hostile is not None and i % 4 == 1:
                resp = f"{hostile} {resp}"
            score = round(min(1.0, change * 1.6 + rng.random() * 0.1), 4)
            if i == n - n_skip - 1:
                score = max(score, threshold + 0.05)  # the last scored one reaches the threshold
            if best < 0 or score > trace[best].score:  # type: ignore[operator]
                best = i
        trace.append(TraceEntry(step, stage, text, edits, status, paid, resp, score, parent))  # type: ignore[arg-type]
    win = trace[best]
    found = (win.score or 0.0) >= threshold
    return Explanation(
        found=found, prompt=prompt, response=response, contrast_prompt=win.prompt,
        contrast_response=win.response, score=win.score, threshold=threshold, direction="increase",
        edits=win.edits, edit_distance=len(win.edits) / len(words),
        calls=Calls(target=sum(t.paid_by == "budget" for t in trace), original=1, infiller=n // 3,
                    scorer=sum(t.score is not None for t in trace),
                    cache_hits=sum(t.paid_by == "cache" for t in trace)),
        budget=n, algorithm="cell-budget", split_k=1, seed=seed, seconds=1.5, trace=tuple(trace),
        target="fake", infiller="fake", scorer="fake",
    )


def record(item_id: str, **kw: Any) -> dict[str, Any]:
    """A results-file record (as ``promptfoil run`` writes) of :func:`explanation`."""
    return {"id": item_id, **explanation(**kw).to_dict()}
