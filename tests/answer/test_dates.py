"""Relative dates in answers, resolved against the date of the item each sentence cites."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lifelog.answer.dates import resolve_relative

FRIDAY = datetime(2023, 6, 9, 14, 0, tzinfo=UTC)  # a Friday
DATES = {1: FRIDAY, 2: datetime(2022, 1, 3, tzinfo=UTC), 3: None}


@pytest.mark.parametrize(
    "answer, resolved",
    [
        ("Last week [1].", "The week before 9 June 2023 [1]."),
        (
            "She went biking last weekend [1].",
            "She went biking the weekend before 9 June 2023 [1].",
        ),
        ("Yesterday [1].", "8 June 2023 [1]."),
        ("They met last Monday [1].", "They met the Monday before 9 June 2023 [1]."),
        ("Last Friday [1].", "The Friday before 9 June 2023 [1]."),
        ("In Paris last year [1].", "In Paris 2022 [1]."),
        ("Two years ago [1].", "2021 [1]."),
        ("3 days ago [1].", "6 June 2023 [1]."),
        ("Two weeks ago [1].", "Two weeks before 9 June 2023 [1]."),
        ("12 weeks ago [1].", "12 weeks before 9 June 2023 [1]."),
        ("Last month [2].", "December 2021 [2]."),
        ("This month [1].", "June 2023 [1]."),
        ("Next month [1].", "July 2023 [1]."),
        ("Next Tuesday [1].", "The Tuesday after 9 June 2023 [1]."),
        ("next week [1].", "the week after 9 June 2023 [1]."),
        ("The 15th [1].", "15 June 2023 [1]."),
        # the season before the one the item was written in, as retrieval reads seasons
        ("Last summer [1].", "Summer 2022 [1]."),
        ("We hiked there this past spring [1].", "We hiked there spring 2023 [1]."),
        ("Last fall [2].", "Fall 2021 [2]."),
        ("Last winter [1].", "Winter 2022–23 [1]."),
        ("Last winter [2].", "Winter 2020–21 [2]."),
        ("We met on the 28th, after the trip [1].", "We met on 28 May 2023, after the trip [1]."),
        ("Paid by the 2nd [2].", "Paid by 2 January 2022 [2]."),
    ],
)
def test_each_expression_is_resolved_against_the_cited_items_date(
    answer: str, resolved: str
) -> None:
    assert resolve_relative(answer, DATES) == (resolved, 1)


def test_a_day_of_no_month_is_the_nearest_one_and_only_where_it_means_a_date() -> None:
    """ "on the 15th" in a message of 17 August is 15 August; of 30 August, "on the 2nd"
    is 2 September; "the 2nd time", "the 4th of July" and "the 3rd floor" are no days."""
    from datetime import date

    from lifelog.answer.dates import relative_dates

    august = date(2023, 8, 17)
    assert relative_dates("I met my teammates on the 15th after my trip", august) == [
        "15 August 2023"
    ]
    assert relative_dates("see you on the 2nd.", date(2023, 8, 30)) == ["2 September 2023"]
    assert relative_dates("by the 31st, I hope", date(2023, 2, 27)) == ["31 January 2023"]
    for text in ("It was the 2nd time I went.", "on the 4th of July", "On the 3rd floor"):
        assert relative_dates(text, august) == []


def test_sentences_without_one_dated_citation_are_left_alone() -> None:
    for answer in ("Last week.", "Last week [3].", "Last week [1][2].", "In June 2023 [1]."):
        assert resolve_relative(answer, DATES) == (answer, 0)


def test_each_sentence_uses_its_own_citation() -> None:
    text, count = resolve_relative("Yesterday [1]. Also last month [2].", DATES)
    assert (text, count) == ("8 June 2023 [1]. Also December 2021 [2].", 2)


def test_a_date_an_item_says_relative_to_its_own_supports_the_resolved_answer() -> None:
    """'Next month [1]', from a message of 3 April 2023 that says "next month", is
    resolved to May 2023 and kept as the model's answer: the item said it."""
    from datetime import UTC, datetime

    from lifelog.answer.finalize import finalize
    from lifelog.answer.prompts import Source, render_source
    from lifelog.records import Hit, Item

    text = "I'm also hosting a dance competition next month to showcase local talent."
    item = Item(
        source="chat",
        key="1",
        kind="message",
        text=text,
        timestamp=datetime(2023, 4, 3, 12, tzinfo=UTC),
        author="Jon",
        participants=("Jon", "Gina"),
    )
    hit = Hit(item, 1.0, 0, len(text), text)
    sources = {1: Source(1, hit, 0, len(text), render_source(1, hit, 0, len(text)))}
    answer = finalize("When did Jon host a dance competition?", "Next month [1].", sources, [hit])
    assert answer.mode == "generative" and answer.found, answer.notes
    assert answer.text == "May 2023 [1]."
    # a month the item does not say is not supported by it
    wrong = finalize(
        "When did Jon host a dance competition?", "A dance competition in June [1].", sources, [hit]
    )
    assert wrong.mode != "generative" or not wrong.found
    # … and where the question asks when, the date is the one the item's words say
    when = finalize("When did Jon host a dance competition?", "In June [1].", sources, [hit])
    assert when.text == "May 2023 [1]." and "“next month”" in when.notes[-1]


def test_last_summer_is_this_years_once_it_is_over() -> None:
    december = {1: datetime(2023, 12, 26, tzinfo=UTC), 2: datetime(2024, 3, 5, tzinfo=UTC)}
    assert resolve_relative("Last summer [1].", december) == ("Summer 2023 [1].", 1)
    assert resolve_relative("Last summer [2].", december) == ("Summer 2023 [2].", 1)
    assert resolve_relative("Last winter [2].", december) == ("Winter 2023–24 [2].", 1)
