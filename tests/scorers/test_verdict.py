"""The ``verdict`` scorer: the plumbing on a stand-in chat backend (which first tokens count
as which verdict, the score, refusals, votes, memo), and real readers on real answers."""

from __future__ import annotations

import pytest
from conftest import requires_models
from standins import verdict_chat

from promptfoil.errors import ConfigError
from promptfoil.scorers.base import ScoreItem
from promptfoil.scorers.verdict import VerdictScorer, total_variation
from promptfoil.scorers.verdict_readers import ChatVerdictReader, verdict_of_text, verdict_of_token

def test_first_tokens_and_short_replies_map_to_verdicts():
    assert [verdict_of_token(t) for t in ("Yes", " no", "Dep", "depends", "De", "It")] == \
        ["yes", "no", "depends", "depends", None, None]
    assert verdict_of_text("No.") == "no" and verdict_of_text("It depends.") == "depends"
    assert verdict_of_text("I think yes") == "yes" and verdict_of_text("Maybe later") is None


def test_score_is_the_total_variation_between_the_two_verdicts():
    scorer = VerdictScorer(ChatVerdictReader(verdict_chat()))
    items = [ScoreItem("Can I?", "Sure, go ahead.", "Can I now?", "Never do that."),
             ScoreItem("Can I?", "Sure, go ahead.", "Can I then?", "Sure, fine.")]
    flip, same = scorer.score(items)
    assert same == pytest.approx(0.0, abs=1e-6)
    p = {"yes": 0.8 / 0.9, "no": 0.1 / 0.9, "depends": 0.0}
    q = {"yes": 0.05 / 0.9, "no": 0.8 / 0.9, "depends": 0.05 / 0.9}
    assert flip == pytest.approx(total_variation(p, q), abs=1e-5)
    assert 0.7 < flip <= 1.0


def test_each_answer_is_read_once_however_often_it_is_scored():
    chat = verdict_chat()
    scorer = VerdictScorer(ChatVerdictReader(chat))
    assert scorer.self_check("Can I?", "Sure, go ahead.") is None
    scorer.score([ScoreItem("Can I?", "Sure, go ahead.", "Can I now?", "Never.")] * 3)
    asked = [r.messages[-1][1] for r in chat.requests]
    assert len(asked) == len(set(asked)) == 2


def test_a_reader_that_cannot_read_the_original_refuses_instead_of_guessing():
    scorer = VerdictScorer(ChatVerdictReader(verdict_chat(), min_mass=0.5))
    problem = scorer.self_check("Can I?", "Well, the weather is nice.")
    assert problem and "could not read" in problem
    # candidates whose verdict cannot be read are unscored (None), never a made-up number
    assert scorer.score([ScoreItem("Can I?", "Sure.", "Can I?", "Well, hm.")]) == [None]


def test_without_logprobs_sampled_votes_are_counted():
    chat = verdict_chat(logprobs=False)
    reader = ChatVerdictReader(chat, samples=4)
    (read,) = reader.read([("Can I?", "Never, it is dangerous.")])
    assert read is not None and read.label == "no" and read.method == "votes"
    assert sum(1 for r in chat.requests if r.temperature > 0) == 4
    (lost,) = reader.read([("Can I?", "The sky.")])
    assert lost is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_reader_settings_are_one_line_errors(bad):
    with pytest.raises(ConfigError):
        ChatVerdictReader(verdict_chat(), min_mass=bad)
    with pytest.raises(ConfigError):
        ChatVerdictReader(verdict_chat(), samples=bad if not isinstance(bad, float) else 0)


# -- real models --------------------------------------------------------------------------------
QUESTION = "Is it okay to give my dog chocolate as a treat?"


@pytest.mark.slow
@requires_models
def test_smollm2_as_reader_refuses_on_its_own_real_answer():
    """SmolLM2-135M puts little probability on yes / no / depends (measured at chance): as a
    verdict judge it must refuse before a search, not guess."""
    from promptfoil.backends.chat_factory import chat_backend
    from promptfoil.targets.base import targets

    answer = targets.create("smollm2").generate([QUESTION])[0]
    answer = answer if isinstance(answer, str) else answer.text
    scorer = VerdictScorer(ChatVerdictReader(chat_backend(), min_mass=0.5))
    problem = scorer.self_check(QUESTION, answer)
    assert problem is not None and "could not read" in problem


@pytest.mark.slow
@requires_models
def test_anchor_reader_on_real_embeddings_separates_plain_verdicts():
    from promptfoil.scorers.verdict_readers import AnchorReader

    scorer = VerdictScorer(AnchorReader())
    no = "No, you should never give a dog chocolate: it is toxic to dogs."
    yes = "Yes, a small piece is perfectly fine as a treat."
    flip, same = scorer.score([ScoreItem(QUESTION, no, QUESTION, yes), ScoreItem(QUESTION, no, QUESTION, no)])
    assert same == pytest.approx(0.0, abs=1e-6) and flip > 0.2
    assert [r.label for r in scorer.read([(QUESTION, no), (QUESTION, yes)])] == ["no", "yes"]


# Openings of real answers: SmolLM2-135M to "Can I …?" edits of held-out questions (declines),
# Qwen2.5-Coder-1.5B's hedges (a verdict of "depends", labelled so), and plain verdicts.
DECLINED = ["I'm sorry for any inconvenience, but as a chatbot designed to assist with job applications, I'm not "
            "equipped to provide job offers based on personal circumstances.",
            "I\u2019m sorry to hear that. As a chatbot, I don't have the ability to access confidential info.",
            "I'm unable to give medical advice.", "Sorry, I can't help with that."]
ANSWERED = ["As an AI language model, I cannot provide a definitive answer to this question as it depends on "
            "various factors such as your budget.",
            "It's completely okay to take a baby to a fancy restaurant.", "I cannot help but agree: yes.",
            "Yes, sorry to say, it is rude."]


def test_an_answer_that_declines_has_no_verdict_and_is_never_sent_to_the_judge():
    from promptfoil.scorers.verdict_readers import declines

    assert all(declines(a) for a in DECLINED) and not any(declines(a) for a in ANSWERED)
    chat = verdict_chat()
    scorer = VerdictScorer(ChatVerdictReader(chat))
    assert scorer.self_check("Should I accept the job?", "Sure, take it.") is None
    flips = scorer.score([ScoreItem("Should I accept the job?", "Sure, take it.", "Can I accept the job?", a)
                          for a in DECLINED])
    assert flips == [None] * len(DECLINED)  # unscored: a refusal is not a flipped verdict
    assert not any("I'm sorry" in r.messages[-1][1] or "unable" in r.messages[-1][1] for r in chat.requests)
    problem = VerdictScorer(ChatVerdictReader(verdict_chat())).self_check("Can I?", DECLINED[0])
    assert problem and "declines to answer" in problem
