"""Soft word matching with the real static model's token table."""

from __future__ import annotations

import pytest

from lifelog.models.softmatch import DOC_TOKENS, KEPT, SoftMatcher, _digest


@pytest.fixture
def matcher(soft_matcher: SoftMatcher) -> SoftMatcher:
    return soft_matcher


def test_a_text_holding_every_word_of_the_question_scores_one(matcher: SoftMatcher) -> None:
    question = "Which instrument does Bob play?"
    assert matcher.scores(question, [question]) == [pytest.approx(1.0, abs=1e-5)]
    assert matcher.scores(question, ["Bob plays the instrument, which he does"])[0] > 0.9


def test_close_words_score_above_unrelated_ones(matcher: SoftMatcher) -> None:
    texts = [
        "He practises the violin every evening.",
        "He walks the dog every evening.",
        "The quarterly tax return is due next month.",
    ]
    violin, dog, tax = matcher.scores("Which instrument does he play?", texts)
    assert violin > dog and violin > tax
    drama, hike = matcher.scores(
        "What genre is the movie?", ["A mix of drama and romance!", "We went hiking on Saturday."]
    )
    assert drama > hike


def test_scores_do_not_depend_on_the_batch(matcher: SoftMatcher) -> None:
    """Up to four texts are tokenised one by one, more in one batch: the same scores."""
    texts = [f"Message {n}: we adopted a puppy from the shelter" for n in range(6)]
    texts += ["", "🙂", "naïve café — déjà vu"]
    together = matcher.scores("Did they get a dog?", texts)
    alone = [matcher.scores("Did they get a dog?", [text])[0] for text in texts]
    assert together == pytest.approx(alone, abs=1e-6)
    assert together[6] == 0.0  # nothing to match
    assert len(together) == len(texts)


def test_empty_inputs_and_long_texts(matcher: SoftMatcher) -> None:
    assert matcher.scores("anything", []) == []
    assert matcher.scores("", ["some text"]) == [0.0]
    assert matcher.scores("?!", ["some text", ""]) != []
    # only the beginning of a long text is compared
    filler = "lorem " * (DOC_TOKENS + 50)
    early, late = matcher.scores("violin", ["violin " + filler, filler + " violin"])
    assert early == pytest.approx(1.0, abs=1e-5)
    assert late < 0.6


def test_token_ids_are_remembered_for_the_last_texts(matcher: SoftMatcher) -> None:
    texts = [f"note {n} about the garden" for n in range(KEPT + 10)]
    first = matcher.scores("garden plants", texts[:6])
    assert all(_digest(text) in matcher._kept for text in texts[:6])
    assert matcher.scores("garden plants", texts[:6]) == first  # from memory, the same
    matcher.scores("garden plants", texts)
    assert len(matcher._kept) == KEPT  # the oldest are forgotten
    assert _digest(texts[0]) not in matcher._kept and _digest(texts[-1]) in matcher._kept
    # a mix of remembered and new texts keeps each score in its place
    mixed = [texts[-1], "violin lessons", texts[-2]]
    assert matcher.scores("music", mixed) == [matcher.scores("music", [text])[0] for text in mixed]
