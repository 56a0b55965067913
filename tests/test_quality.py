"""Trust before "found" (issue 10), plumbing: constraints skip candidates before they are
queried, truncated responses are scored on complete sentences, scorers that cannot score say
so, judges are self-checked, edits by text, and the per-stage time breakdown.

Every model here is a stand-in that makes no claim about a model; what the real models do
is tested in ``test_quality_models.py``.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Sequence
from importlib import resources

import pytest
from rich.console import Console
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import BaseTarget, ConfigError, Explainer, Reply, ScoreItem
from promptfoil.cli import main
from promptfoil.cli.options import parse_margin
from promptfoil.search.constraints import Constraints, Fluency, PromptSimilarity
from promptfoil.report.terminal import render
from promptfoil.scorers.base import JudgeCheckError, ScorerError
from promptfoil.scorers.sentences import complete_sentences, scored_text
from promptfoil.prompt.spans import occurrences, outside, protected_spans

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"


class PickyInfiller(SuffixInfiller):
    """Stand-in: its first fills (``...x0``) read as broken to its fluency hook."""

    def __init__(self) -> None:
        super().__init__()
        self.scored: list[str] = []

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        self.scored.extend(texts)
        return [-9.0 if "x0" in t else -1.0 for t in texts]


class RecordingScorer(LostWordsScorer):
    """Stand-in scorer that keeps every item it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[ScoreItem] = []

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        self.seen.extend(items)
        return super().score(items)


def _explainer(**kw) -> Explainer:
    opts = dict(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), cache=False,
                budget=12, fills_per_mask=2)
    opts.update(kw)
    return Explainer(**opts)


# -- constraints ----------------------------------------------------------------------
def test_a_candidate_that_fails_fluency_is_skipped_before_it_costs_a_query():
    target, infiller = RecordingFunction(), PickyInfiller()
    ex = _explainer(target=target, infiller=infiller, threshold=1.0, min_fluency=0.5).explain(PROMPT)
    skipped = [t for t in ex.trace if t.status == "skipped" and t.reason.startswith("not fluent")]
    assert skipped and all("x0" in t.prompt for t in skipped)
    assert all("below the original's" in t.reason and t.paid_by == "none" for t in skipped)
    assert not any("x0" in p for p in target.prompts)  # never sent to the target
    assert ex.calls.target == len([t for t in ex.trace if t.paid_by == "budget"])
    assert any("x0" in t for t in infiller.scored)
    assert "skipped by constraints (fluency" in ex.stop_reason


def test_min_fluency_none_sends_every_candidate():
    target = RecordingFunction()
    ex = _explainer(target=target, infiller=PickyInfiller(), threshold=1.0, min_fluency=None).explain(PROMPT)
    assert not any(t.reason.startswith("not fluent") for t in ex.trace)
    assert any("x0" in p for p in target.prompts)


def test_constraints_run_in_order_on_the_survivors():
    class Fixed:
        def __init__(self, values: dict[str, float]) -> None:
            self.values, self.asked = values, []

        def mean_logprob(self, texts, reference=None):
            self.asked.append(list(texts))
            return [self.values[t] for t in texts]

    lm = Fixed({"x0": -2.0, "ok": -2.3, "bad": -3.0, "far": -2.1})
    asked: list[list[str]] = []

    def cosine(a, b):
        asked.append(list(b))
        return [0.2 if t == "far" else 0.9 for t in b]

    checks = Constraints([Fluency(lm, 0.5), PromptSimilarity(cosine, 0.5)])
    verdict = checks.check("x0", ["ok", "bad", "far"])
    assert verdict[0] is None
    assert verdict[1][0] == "fluency" and "1.00 below" in verdict[1][1]
    assert verdict[2][0] == "prompt-similarity" and "0.20" in verdict[2][1]
    assert asked == [["ok", "far"]]  # the similarity check never saw the broken one
    assert not Constraints([])


def test_config_and_cli_read_the_new_settings():
    with pytest.raises(ConfigError, match="min_fluency"):
        _explainer(min_fluency=-0.1)
    with pytest.raises(ConfigError, match="min_prompt_similarity"):
        _explainer(min_prompt_similarity=1.5)
    assert parse_margin("none") is None and parse_margin("0.7") == 0.7
    with pytest.raises(Exception, match="number"):
        parse_margin("-1")


# -- complete responses ---------------------------------------------------------------
@pytest.mark.parametrize("text, kept", [
    ("Yes, you can. It depends on the", "Yes, you can."),
    ('He said "stop!" and then we', 'He said "stop!"'),
    ("1. Ask first\n2. Then read the", "1. Ask first"),
    ("no sentence end at all", "no sentence end at all"),
    ("Done. ", "Done."),
    ("It costs 3.5 dollars and", "It costs 3.5 dollars and"),
])
def test_complete_sentences(text, kept):
    assert complete_sentences(text) == kept


def test_only_truncated_responses_are_cut():
    assert scored_text("Yes. And th", False) == "Yes. And th"
    assert scored_text("Yes. And th", True) == "Yes."


class CutTarget(BaseTarget):
    """Stand-in: answers with two sentences and a cut-off third, marked truncated."""

    name = "cut"

    def _generate_one(self, prompt: str) -> Reply:
        return Reply(f"You asked: {prompt} Fine. And then the mod{len(prompt)}", 10, truncated=True)


def test_truncated_responses_are_marked_and_scored_on_complete_sentences():
    scorer = RecordingScorer()
    ex = _explainer(target=CutTarget(), scorer=scorer, threshold=1.0, budget=4).explain(PROMPT)
    assert ex.truncated and ex.contrast_truncated
    assert all(t.truncated for t in ex.trace if t.status == "scored")
    assert scorer.seen and all(it.y0.endswith("Fine.") and it.yc.endswith("Fine.") for it in scorer.seen)
    assert "mod" in ex.response  # the result keeps the whole text; only scoring leaves the tail out
    out = io.StringIO()
    render(ex, Console(file=out, width=200))
    assert "cut at max_tokens" in out.getvalue()


# -- scorers that cannot score --------------------------------------------------------
class HalfBlind(LostWordsScorer):
    """Stand-in judge: cannot score responses to prompts whose fill ends in x0."""

    name = "half-blind"

    def score(self, items):
        return [None if "x0" in it.xc else s for it, s in zip(items, super().score(items))]


def test_unscorable_responses_are_counted_never_zero():
    ex = _explainer(scorer=HalfBlind(), threshold=1.0, budget=8).explain(PROMPT)
    unscored = [t for t in ex.trace if t.status == "unscored"]
    assert unscored and all(t.score is None and "x0" in t.prompt for t in unscored)
    assert ex.scorer_failures == len(unscored)
    assert "could not score" in ex.stop_reason
    assert ex.contrast_prompt is None or "x0" not in ex.contrast_prompt
    out = io.StringIO()
    render(ex, Console(file=out, width=200))
    assert "scorer failures" in out.getvalue()


class CannotReadOriginal(LostWordsScorer):
    name = "blind-judge"

    def score(self, items):
        raise ScorerError("scorer 'blind-judge' could not label the original response")


def test_an_original_that_cannot_be_scored_fails_the_explanation():
    with pytest.raises(ScorerError, match="original response"):
        _explainer(scorer=CannotReadOriginal(), threshold=0.5).explain(PROMPT)


class SelfChecked(LostWordsScorer):
    """Stand-in judge with the self-check hook; ``ok`` decides the outcome."""

    name = "checked-judge"

    def __init__(self, ok: bool) -> None:
        super().__init__()
        self.ok, self.checked = ok, []

    def self_check(self, x0: str, y0: str) -> str | None:
        self.checked.append((x0, y0))
        return None if self.ok else "it scored the original response against itself as 0.9 (must be below 0.2)"


def test_a_judge_that_fails_its_self_check_stops_the_explanation_with_advice():
    target = RecordingFunction()
    with pytest.raises(JudgeCheckError) as err:
        _explainer(target=target, scorer=SelfChecked(False), threshold=0.5).explain(PROMPT)
    msg = str(err.value)
    assert "checked-judge" in msg and "--scorer-model" in msg and "--base-url" in msg and "--no-judge-check" in msg
    assert target.prompts == [PROMPT]  # only the original was asked


def test_passing_or_skipped_self_check_lets_the_search_run():
    judge = SelfChecked(True)
    assert _explainer(scorer=judge, threshold=0.5).explain(PROMPT).calls.target > 0
    assert judge.checked and judge.checked[0][0] == PROMPT
    unchecked = SelfChecked(False)
    assert _explainer(scorer=unchecked, threshold=0.5, judge_check=False).explain(PROMPT).calls.target > 0
    assert unchecked.checked == []


# -- edits by text ----------------------------------------------------------------------
def test_text_spans():
    p = "Say it in one sentence, then in one sentence again."
    assert occurrences(p, ["in one sentence"]) == [(7, 22), (29, 44)]
    assert outside(p, [(7, 22), (10, 30)]) == [(0, 7), (30, len(p))]
    assert protected_spans(p, [(0, 3)], "then") == [(0, 3), (24, 28)]
    with pytest.raises(ConfigError, match="does not occur"):
        occurrences(p, ["in two sentences"])
    with pytest.raises(ConfigError, match="non-empty"):
        occurrences(p, [""])


def test_protect_text_and_edit_only_text_keep_edits_where_asked():
    p = "Tell me in one sentence: is it wrong to lie to my friend in one sentence?"
    ex = _explainer(threshold=1.0, budget=20).explain(p, protect_text=["in one sentence"])
    protected = occurrences(p, ["in one sentence"])
    edits = [e for t in ex.trace for e in t.edits]
    assert edits and not any(s < e.end and e.start < t for e in edits for s, t in protected)
    only = _explainer(threshold=1.0, budget=20).explain(p, edit_only_text="lie to my friend")
    (s, t), = occurrences(p, ["lie to my friend"])
    assert all(s <= e.start and e.end <= t for tr in only.trace for e in tr.edits)
    assert {e.old for tr in only.trace for e in tr.edits} <= {"lie", "to", "my", "friend"}


def test_cli_protect_text_computes_the_offsets(capsys):
    p = "Tell me in one sentence: is it wrong to lie?"
    code = main(["explain", p, "--target", "quality_standins:recording_target", "--infiller",
                 "standins:SuffixInfiller", "--scorer", "standins:LostWordsScorer", "--threshold", "1.0",
                 "--budget", "8", "--no-cache", "--json", "--protect-text", "in one sentence",
                 "--edit-only-text", "Tell me in one sentence: is it wrong"])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    olds = {e["old"] for t in d["trace"] for e in t["edits"]}
    assert olds and olds <= {"Tell", "me", "is", "it", "wrong"}
    assert main(["explain", p, "--target", "quality_standins:recording_target", "--protect-text", "nowhere"]) == 2


# -- time per stage and the result record ------------------------------------------------
class SlowTarget(BaseTarget):
    name = "slow"

    def _generate_one(self, prompt: str) -> str:
        time.sleep(0.02)
        return " ".join(sorted(set(prompt.lower().split())))


def test_seconds_by_stage_splits_the_wall_time():
    ex = _explainer(target=SlowTarget(), threshold=1.0, budget=5).explain(PROMPT)
    st = ex.seconds_by_stage
    assert set(st) == {"target", "infiller", "scorer", "other", "overlapped"}
    assert st["target"] >= 0.02 * (ex.calls.target + ex.calls.original) * 0.9
    # "overlapped": stage seconds that ran beside others (infills prefetched while the
    # target answered, tests/test_batching.py); what is left is the wall time
    assert abs(sum(st.values()) - 2 * st["overlapped"] - ex.seconds) < 0.01
    out = io.StringIO()
    render(ex, Console(file=out, width=200))
    assert "target " in out.getvalue() and "infiller " in out.getvalue() and "other " in out.getvalue()


def _mixed_result():
    """A result with scored, skipped (fluency) and unscored candidates and cut responses."""

    class Picky(SuffixInfiller):
        def mean_logprob(self, texts, reference=None):
            return [-9.0 if "friendx0" in t else -1.0 for t in texts]

    class Blind(LostWordsScorer):
        def score(self, items):
            return [None if "wrongx0" in it.xc else s for it, s in zip(items, super().score(items))]

    return _explainer(target=CutTarget(), infiller=Picky(), scorer=Blind(), threshold=1.0).explain(PROMPT)


def test_result_with_the_new_fields_matches_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resources.files("promptfoil").joinpath("schema/explanation.json").read_text())
    ex = _mixed_result()
    assert {"scored", "skipped", "unscored"} <= {t.status for t in ex.trace}
    jsonschema.validate(json.loads(json.dumps(ex.to_dict())), schema)


def test_html_report_marks_cut_responses_failures_and_skip_reasons():
    pytest.importorskip("jinja2")
    from promptfoil.report.explorer import item_data
    from promptfoil.report.html import render_html

    rec = {"id": "cut", **_mixed_result().to_dict()}
    html = render_html([rec])
    assert "response and contrast response cut at max_tokens" in html
    assert "scorer failed on" in html
    data = item_data(rec)
    reasons = [data["s"][row[9]] for row in data["c"] if row[9] >= 0]
    assert any(r.startswith("not fluent") for r in reasons)
    plain = render_html([{**rec, "truncated": False, "contrast_truncated": False, "scorer_failures": 0}])
    assert "cut at max_tokens" not in plain and "scorer failed on" not in plain


# -- the judges' self-checks (scripted chat: plumbing of the arithmetic, not a model) -----
class ScriptedChat:
    identity = "scripted"

    def __init__(self, reply) -> None:
        self.reply = reply

    def chat(self, requests):
        return [self.reply(r) for r in requests]


def test_judge_contradiction_self_check():
    from promptfoil.backends.chat import ChatReply
    from promptfoil.scorers.judge import JudgeContradictionScorer

    def says(p_yes):
        return ScriptedChat(lambda r: ChatReply("Yes", {"Yes": p_yes, "No": 1 - p_yes} if r.top_logprobs else None))

    assert JudgeContradictionScorer(says(0.1)).self_check("q", "a") is None
    problem = JudgeContradictionScorer(says(0.9)).self_check("q", "a")
    assert "contradict itself" in problem and "0.90" in problem
    mute = JudgeContradictionScorer(ScriptedChat(lambda r: ChatReply("hmm")), samples=2)
    assert "no readable" in mute.self_check("q", "a")
    with pytest.raises(JudgeCheckError, match="judge-contradiction"):
        _explainer(scorer=JudgeContradictionScorer(says(0.9)), threshold=0.5).explain(PROMPT)


def test_maxims_self_check_and_an_original_it_cannot_label():
    from promptfoil.backends.chat import ChatReply
    from promptfoil.scorers.maxims import MaximsScorer

    def reply(r):
        resp = r.messages[-1][1].split("Response: assistant: ")[-1].split("\n")[0]
        return ChatReply("I am not sure what you mean" if resp == "y0" else '{"label": "yes"}')

    m = MaximsScorer(ScriptedChat(reply), submaxims="helpfulness", n=1, retries=0)
    assert "no readable label" in m.self_check("x", "y0") and "helpfulness" in m.self_check("x", "y0")
    assert m.self_check("x", "fine") is None
    with pytest.raises(ScorerError, match="original response"):
        m.score([ScoreItem("x", "y0", "x2", "fine")])
    assert m.score([ScoreItem("x", "fine", "x2", "y0")]) == [None]  # a candidate it cannot label
