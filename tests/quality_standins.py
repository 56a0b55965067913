"""Stand-ins for the tests of the checks made before a contrast counts as found (fluency,
complete sentences, scorers that cannot score): factories the CLI loads by import path
(``quality_standins:recording_target``), a target whose answers are cut at ``max_tokens``, and
a result with every kind of candidate. Plumbing only, no claim about a model."""

from __future__ import annotations

from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import BaseTarget, Explainer, Explanation, FunctionTarget, Reply

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"


def recording_target() -> FunctionTarget:
    return FunctionTarget(RecordingFunction(), name="recording")


class CutTarget(BaseTarget):
    """Stand-in: answers with two sentences and a cut-off third, marked truncated."""

    name = "cut"

    def _generate_one(self, prompt: str) -> Reply:
        return Reply(f"You asked: {prompt} Fine. And then the mod{len(prompt)}", 10, truncated=True)


def mixed_result() -> Explanation:
    """A result with scored, skipped (fluency) and unscored candidates and cut responses."""

    class Picky(SuffixInfiller):
        def mean_logprob(self, texts, reference=None):
            return [-9.0 if "friendx0" in t else -1.0 for t in texts]

    class Blind(LostWordsScorer):
        def score(self, items):
            return [None if "wrongx0" in it.xc else s for it, s in zip(items, super().score(items))]

    return Explainer(target=CutTarget(), infiller=Picky(), scorer=Blind(), cache=False, budget=12,
                     fills_per_mask=2, threshold=1.0).explain(PROMPT)
