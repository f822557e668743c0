"""A date answer re-derived from the cited item's own words (LoCoMo conv-26: "June 27,
2023 [1]" for a message of 27 June 2023 that says "I just took my fam camping in the
mountains last week"; "The weekend before 15 July 2023" for one that says "Last Fri I
finally took my kids to a pottery workshop")."""

from __future__ import annotations

from datetime import UTC, datetime

from lifelog import Item
from lifelog.answer.finalize import finalize
from lifelog.answer.prompts import Source, render_source
from lifelog.records import Hit


def sources(*items: Item) -> dict[int, Source]:
    shown = {}
    for number, item in enumerate(items, 1):
        hit = Hit(item, 1.0, 0, len(item.text), item.text)
        shown[number] = Source(
            number, hit, 0, len(item.text), render_source(number, hit, 0, len(item.text))
        )
    return shown


def said(key: str, text: str, when: datetime) -> Item:
    return Item(
        source="locomo",
        key=key,
        kind="message",
        author="Melanie",
        participants=("Melanie", "Caroline"),
        text=text,
        timestamp=when,
    )


CAMPING = said(
    "D10:3",
    "That sounds great! Actually, I just took my fam camping in the mountains last week"
    " - it was a really nice time. Next month we go to the lake.",
    datetime(2023, 6, 27, 10, 0, tzinfo=UTC),
)
POTTERY = said(
    "D12:1",
    "Hey Caroline, it's been super busy here. Last Fri I finally took my kids to a pottery"
    " workshop. We all made our own pots!",
    datetime(2023, 7, 15, 14, 0, tzinfo=UTC),  # a Saturday
)


def test_the_message_date_becomes_the_week_it_speaks_of() -> None:
    shown = sources(CAMPING)
    hits = [s.hit for s in shown.values()]
    answer = finalize("When did Melanie go camping in June?", "June 27, 2023 [1].", shown, hits)
    assert answer.mode == "generative"
    assert answer.text == "The week before 27 June 2023 [1]."
    assert any("“last week”" in note for note in answer.notes)


def test_last_friday_is_a_day() -> None:
    shown = sources(POTTERY)
    hits = [s.hit for s in shown.values()]
    draft = "The weekend before 15 July 2023 [1]."
    answer = finalize("When did Melanie go to the pottery workshop?", draft, shown, hits)
    assert answer.text == "14 July 2023 [1]."


def test_left_alone() -> None:
    shown = sources(CAMPING)
    hits = [s.hit for s in shown.values()]
    # already the item's date; an answer that says more than a date; a question not
    # asking when; the sentence of the question's topic holds no relative date
    right = finalize(
        "When did Melanie go camping?", "The week before 27 June 2023 [1].", shown, hits
    )
    assert right.text == "The week before 27 June 2023 [1]." and not any(
        "own words" in n for n in right.notes
    )
    longer = "She went camping in the mountains on 27 June 2023 [1]."
    assert "own words" not in " ".join(
        finalize("When did Melanie go camping?", longer, shown, hits).notes
    )
    where = finalize("Where did Melanie go camping?", "The mountains [1].", shown, hits)
    assert where.text == "The mountains [1]."
    # a month the question names that the item's date is not
    july = finalize("When did Melanie go camping in July?", "20 July 2023 [1].", shown, hits)
    assert not any("own words" in n for n in july.notes)


TODAY = said(
    "D17:4",
    "Losing my job was a bummer. Started to learn all these pottery glazes to push the"
    " biz forward today.",
    datetime(2023, 7, 9, 13, 0, tzinfo=UTC),
)


def test_a_date_the_model_put_its_own_way_gives_way_to_the_items_words() -> None:
    """The item says "today": "Last week [1]" (words no item says) and "The week before 9
    July 2023 [1]" (the worked example's form, which holds the item's date but means
    another) both become the day itself."""
    shown = sources(TODAY)
    hits = [s.hit for s in shown.values()]
    question = "When did Melanie start learning pottery glazes?"
    for draft in ("Last week [1].", "The week before 9 July 2023 [1]."):
        answer = finalize(question, draft, shown, hits)
        assert answer.text == "9 July 2023 [1].", (draft, answer.notes)
        assert any("“today”" in note for note in answer.notes)


def test_relative_words_an_item_says_are_resolved_as_the_model_wrote_them() -> None:
    """ "Last week" is in another shown message: the model read it there (and cited the
    wrong one), so it is not replaced by the cited item's "today"."""
    shown = sources(TODAY, CAMPING)
    hits = [s.hit for s in shown.values()]
    answer = finalize(
        "When did Melanie start learning pottery glazes?", "Last week [1].", shown, hits
    )
    assert not any("own words" in note for note in answer.notes)
