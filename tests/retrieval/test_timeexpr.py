"""Time expressions resolved against a question's or an item's date."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifelog.retrieval.timeexpr import date_terms, item_mentions, parse_time

# a Monday
NOW = datetime(2023, 10, 23, 15, 30, tzinfo=UTC)


def ranges(text: str, now: datetime = NOW) -> list[tuple[str, str, str]]:
    return [
        (s.since.date().isoformat(), s.until.date().isoformat(), s.kind)
        for s in parse_time(text, now).spans
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", ("2023-10-22", "2023-10-23", "day")),
        ("today", ("2023-10-23", "2023-10-24", "day")),
        ("the day before yesterday", ("2023-10-21", "2023-10-22", "day")),
        ("tomorrow", ("2023-10-24", "2023-10-25", "day")),
        ("last week", ("2023-10-16", "2023-10-23", "week")),
        ("this week", ("2023-10-23", "2023-10-30", "week")),
        ("next week", ("2023-10-30", "2023-11-06", "week")),
        ("last weekend", ("2023-10-21", "2023-10-23", "weekend")),
        ("last month", ("2023-09-01", "2023-10-01", "month")),
        ("last year", ("2022-01-01", "2023-01-01", "year")),
        ("early last year", ("2022-01-01", "2022-05-02", "year")),
        ("last summer", ("2023-06-01", "2023-09-01", "season")),
        ("this winter", ("2023-12-01", "2024-03-01", "season")),
        ("last winter", ("2022-12-01", "2023-03-01", "season")),
        ("the summer of 2019", ("2019-06-01", "2019-09-01", "season")),
        ("in March 2023", ("2023-03-01", "2023-04-01", "month")),
        ("March of 2021", ("2021-03-01", "2021-04-01", "month")),
        ("in March", ("2023-03-01", "2023-04-01", "month")),
        ("in December", ("2022-12-01", "2023-01-01", "month")),
        ("last March", ("2023-03-01", "2023-04-01", "month")),
        ("next March", ("2024-03-01", "2024-04-01", "month")),
        ("in early March 2023", ("2023-03-01", "2023-03-11", "month")),
        ("the beginning of November 2022", ("2022-11-01", "2022-11-11", "month")),
        ("late May 2021", ("2021-05-22", "2021-06-01", "month")),
        ("in 2022", ("2022-01-01", "2023-01-01", "year")),
        ("in the 1990s", ("1990-01-01", "2000-01-01", "span")),
        ("on 7 May", ("2023-05-07", "2023-05-08", "day")),
        ("on 25 December", ("2022-12-25", "2022-12-26", "day")),
        ("7 May 2021", ("2021-05-07", "2021-05-08", "day")),
        ("the 7th of May, 2021", ("2021-05-07", "2021-05-08", "day")),
        ("May 7th, 2021", ("2021-05-07", "2021-05-08", "day")),
        ("Sept 3", ("2023-09-03", "2023-09-04", "day")),
        ("2023-05-07", ("2023-05-07", "2023-05-08", "day")),
        ("3 days ago", ("2023-10-20", "2023-10-21", "day")),
        ("two weeks ago", ("2023-10-06", "2023-10-13", "week")),
        ("a month ago", ("2023-09-01", "2023-10-01", "month")),
        ("a few days ago", ("2023-10-17", "2023-10-23", "vague")),
        ("over the past two weeks", ("2023-10-09", "2023-10-24", "span")),
        ("in the last 3 months", ("2023-07-23", "2023-10-24", "span")),
        ("in two weeks", ("2023-11-03", "2023-11-10", "week")),
        ("last Friday", ("2023-10-20", "2023-10-21", "day")),
        ("on Sunday", ("2023-10-22", "2023-10-23", "day")),
        ("next Monday", ("2023-10-30", "2023-10-31", "day")),
        ("recently", ("2023-08-24", "2023-10-24", "vague")),
        ("the week before 16 November 2023", ("2023-11-09", "2023-11-16", "week")),
        ("the weekend before 20 October 2023", ("2023-10-14", "2023-10-16", "weekend")),
        ("the Friday before 14 September, 2022", ("2022-09-09", "2022-09-10", "day")),
        ("two days after 1 June 2022", ("2022-06-02", "2022-06-04", "span")),
    ],
)
def test_expressions_resolve_against_now(text: str, expected: tuple[str, str, str]) -> None:
    assert ranges(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "This may help",
        "They march on",
        "I fall asleep at summer camp",
        "How long ago was Caroline's 18th birthday?",
        "I have 3 cats",
        "",
    ],
)
def test_words_that_are_not_times(text: str) -> None:
    assert ranges(text) == []


def test_the_question_without_its_time_words() -> None:
    query = parse_time("When did Melanie go camping in June?", NOW)
    assert query.rest == "When did Melanie go camping?"
    assert query.window() == (datetime(2023, 6, 1, tzinfo=UTC), datetime(2023, 7, 1, tzinfo=UTC))
    query = parse_time("What did I do last summer and in March 2022?", NOW)
    assert query.rest == "What did I do and?"
    assert [s.text for s in query.spans] == ["last summer", "March 2022"]
    assert query.window() == (datetime(2022, 3, 1, tzinfo=UTC), datetime(2023, 9, 1, tzinfo=UTC))


def test_an_offset_from_an_event_keeps_the_event_for_the_search() -> None:
    query = parse_time("What did I buy two weeks before the trip to Rome?", NOW)
    assert query.spans == ()
    assert len(query.offsets) == 1
    offset = query.offsets[0]
    assert offset.days == -14
    assert offset.anchor.startswith("the trip")
    assert query.rest == "What did I buy the trip to Rome?"
    assert parse_time("three days after the party", NOW).offsets[0].days == 3


def test_a_date_object_is_a_now_too() -> None:
    assert ranges("yesterday", date(2024, 3, 1)) == [("2024-02-29", "2024-03-01", "day")]  # type: ignore[arg-type]


def test_impossible_dates_fall_back_to_what_can_be_read() -> None:
    assert ranges("on 31 February 2023") == [("2023-02-01", "2023-03-01", "month")]
    assert ranges("on 2023-13-45") == [("2023-01-01", "2024-01-01", "year")]
    assert ranges("on 31 February") == []


def test_relative_words_in_an_item_resolve_against_its_own_date() -> None:
    sent = datetime(2023, 5, 8, 9, 0, tzinfo=UTC)
    mentions = item_mentions("Yesterday we went camping, and last Saturday I painted.", sent)
    assert [(m.text, m.since.date().isoformat()) for m in mentions] == [
        ("Yesterday", "2023-05-07"),
        ("last Saturday", "2023-05-06"),
    ]
    assert item_mentions("I have been painting recently", sent) == ()  # vague: no date
    assert item_mentions("yesterday", None) == ()
    assert item_mentions("nothing here", sent) == ()


def test_date_terms_name_the_dates() -> None:
    sent = datetime(2023, 5, 8, tzinfo=UTC)
    (day,) = item_mentions("yesterday", sent)
    assert date_terms(day) == "7 May 2023 2023-05-07"
    (month,) = item_mentions("last month", sent)
    assert date_terms(month) == "April 2023"
    (season,) = item_mentions("last summer", sent)
    assert date_terms(season) == "June 2022 July 2022 August 2022"


def test_long_text_is_bounded() -> None:
    text = ("on 7 May 2021 we met yesterday " * 20_000) + "in 1999"
    started = time.perf_counter()
    query = parse_time(text, NOW)
    assert time.perf_counter() - started < 5
    assert all(s.end <= 20_000 for s in query.spans)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=300),
    now=st.datetimes(min_value=datetime(1, 1, 8), max_value=datetime(9998, 12, 1)),
)
def test_never_crashes_on_arbitrary_text(text: str, now: datetime) -> None:
    query = parse_time(text, now.replace(tzinfo=UTC))
    for span in query.spans:
        assert span.since < span.until
        assert text[span.start : span.end] == span.text
    assert isinstance(query.rest, str)


WORDS = st.sampled_from(
    "in on last next this the of before after ago week weekend month year summer winter"
    " May March 7 31 2023 1999 yesterday today Friday early late two a few days weeks"
    " 2023-05-07 , . ?".split()
)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORDS, max_size=12), year=st.integers(1, 9998))
def test_never_crashes_on_time_like_word_salad(words: list[str], year: int) -> None:
    text = " ".join(words)
    query = parse_time(text, datetime(year, 6, 15, tzinfo=UTC))
    for span in query.spans:
        assert span.since < span.until
    item_mentions(text, datetime(year, 6, 15, tzinfo=UTC))
