"""The short fact an extractive answer leads with: a span of the quote, by question form."""

from __future__ import annotations

import pytest

from lifelog.answer.facts import asked_kind, short_fact

MOVE = "Big news: I'm making the move from Boston to Lisbon on 14 March 2021 - ticket booked!"


@pytest.mark.parametrize(
    "question, sentence, fact",
    [
        ("When did I move to Lisbon?", MOVE, "14 March 2021"),
        (
            "When is Leo's wedding?",
            "Leo's wedding is on October 12, 2024 in Providence",
            "October 12, 2024",
        ),
        ("How much did the tent cost?", "Bought a tent. It cost 120 euros.", "120 euros"),
        ("How many kids does Mel have?", "I took my three kids camping", "three kids"),
        (
            "Where did we go camping?",
            "We go camping at Peneda-Gerês National Park in June",
            "Peneda-Gerês National Park",
        ),
        ("Who recommended the book?", "It was Priya Shah who recommended it", "Priya Shah"),
        (
            "How often does John take his kids to the park?",
            "Yeah, we go a few times a week. It's great for family bonding.",
            "a few times a week",
        ),
        (
            "How often does Melanie go to the beach with her kids?",
            "We usually go once or twice a year, it's our little tradition",
            "once or twice a year",
        ),
        (
            "How frequently do you call her?",
            "Я звоню ей every Sunday, без исключений",
            "every Sunday",
        ),
        ("How often do we run?", "We ran 3 times before the race", "3 times"),
        ("What did Ann say?", MOVE, None),
        ("When did we meet?", "We met after the concert.", None),
    ],
)
def test_the_fact_is_the_span_the_question_form_asks_for(
    question: str, sentence: str, fact: str | None
) -> None:
    assert short_fact(question, sentence) == fact
    if fact is not None:
        assert fact in sentence  # never made up


def test_names_the_question_already_gives_are_not_the_answer() -> None:
    assert short_fact("Where did I move from Boston?", MOVE) == "Lisbon"
    assert asked_kind("what year did we marry?") == "when"


def test_when_is_read_against_the_day_the_sentence_was_written() -> None:
    from datetime import date

    written = date(2023, 7, 15)  # a Saturday
    question = "When did Melanie go to the pottery workshop?"
    sentence = "Last Fri I finally took my kids to a pottery workshop."
    assert short_fact(question, sentence, written) == "the Friday before 15 July 2023"
    later = "I'm hosting a dance competition next month."
    assert short_fact("When did Jon host a dance competition?", later, written) == "August 2023"
    # a sentence that tells no time is dated by the day it was written, and says so
    plain = "We finally went to the pottery workshop."
    assert short_fact(question, plain, written) == "15 July 2023, the day it was written"
    assert short_fact(question, plain) is None
