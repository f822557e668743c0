"""Extractive answers: the quote that carries the answer, whole."""

from __future__ import annotations

from datetime import UTC, datetime

from lifelog.answer.extractive import extractive_answer
from lifelog.records import Hit, Item


def hit(key: str, text: str, author: str = "Joanna") -> Hit:
    item = Item(
        source="locomo",
        key=key,
        kind="message",
        author=author,
        participants=("Joanna", "Nate"),
        text=text,
        timestamp=datetime(2022, 2, 7, 9, tzinfo=UTC),
    )
    return Hit(item, 1.0, 0, len(text), text)


def test_a_sentence_that_goes_on_about_the_quote_is_quoted_with_it() -> None:
    """LoCoMo conv-42: the title is in one sentence, what it is about in the next ("It's
    a great story about …"); "according to Joanna" is the question's form."""
    said = hit(
        "D3:17",
        'I just watched "Little Women" and it was amazing! It\'s a great story about'
        " sisterhood, love, and reaching for your dreams. Definitely a must-see!",
    )
    answer = extractive_answer('What is "Little Women" about according to Joanna?', [said])
    assert answer.found
    quote = answer.citations[0].snippet
    assert quote.startswith("I just watched") and quote.endswith("reaching for your dreams.")
    assert "must-see" not in answer.text


def test_a_sentence_about_something_else_is_not_added() -> None:
    said = hit(
        "D3:18",
        'I just watched "Little Women" and it was amazing! Nate, how was your tournament?'
        " It went well?",
    )
    answer = extractive_answer('What did Joanna think of "Little Women"?', [said])
    assert answer.found
    assert answer.citations[0].snippet == 'I just watched "Little Women" and it was amazing!'


def test_a_long_quote_is_not_lengthened() -> None:
    long = "I just watched “Little Women” with my sister " + "and her friends " * 25 + "today."
    said = hit("D3:19", long + " It was amazing.")
    answer = extractive_answer('When did Joanna watch "Little Women"?', [said])
    assert answer.found and answer.citations[0].snippet == long


def test_a_sentence_that_asks_is_quoted_only_when_nothing_else_answers() -> None:
    """LoCoMo conv-41: Maria's "Do you take your kid to the park often?" holds the
    question's words; John's reply says how often."""
    asked = hit("D5:1", "Do you take your kids to the park often?", author="Maria")
    told = hit("D5:2", "Yes, a few times a week, the kids love the park.", author="John")
    answer = extractive_answer("How often does John take his kids to the park?", [asked, told])
    assert answer.found and answer.citations[0].snippet.startswith("Yes, a few times a week")
    alone = extractive_answer("How often does John take his kids to the park?", [asked])
    assert alone.citations and alone.citations[0].snippet.endswith("often?")


def test_the_same_words_in_several_items_are_quoted_once() -> None:
    # `make demo`'s memory: one forwarded line in three chats had been quoted three times
    line = "Omar is coming too, hope that's ok"
    hits = [hit(f"D{n}:1", line, author="Sam") for n in range(1, 4)]
    hits.append(hit("D4:1", "Omar says hi, and he is coming to the wedding too", author="Sam"))
    answer = extractive_answer("Is Omar coming too?", hits)
    quotes = [c.snippet for c in answer.citations]
    assert quotes.count(line) == 1
    assert "Omar says hi, and he is coming to the wedding too" in quotes
