"""What the question's form asks for: a time for "when", an amount for "how many"."""

from __future__ import annotations

from lifelog.answer.asked import (
    asks_about,
    asks_amount,
    runs_backwards,
    says_no_amount,
    says_no_time,
)


def test_an_answer_to_when_must_name_a_time() -> None:
    question = "When did I move to Lisbon?"
    flat = "The flat is in Campo de Ourique, with plants within a month [4]. A sofa bed [4]."
    reason = says_no_time(flat, question)
    assert reason is not None and "asks when" in reason
    for said in (
        "14 March 2021",
        "In March",
        "Last weekend",
        "The week before 9 June 2023",
        "Two years ago",
        "Last summer",
        "Yesterday",
    ):
        assert says_no_time(said, question) is None, said
    assert says_no_time("In Sept", "Which month did Tim go?") is None
    assert says_no_time("Oslo", "What year did Ann move to Oslo?") is not None
    assert says_no_time("Campo de Ourique", "Where did I move to in Lisbon?") is None


def test_an_answer_to_how_many_or_how_often_names_an_amount() -> None:
    """LoCoMo conv-41: "The family [6]" for how often John takes his kids to the park."""
    question = "How often does John take his kids to the park?"
    reason = says_no_amount("The family [6].", question)
    assert reason is not None and "amount" in reason
    for said in ("A few times a week [2].", "Every Sunday [1].", "Twice [1].", "3 times [1]."):
        assert says_no_amount(said, question) is None, said
    assert says_no_amount("Her sister [1].", "How many turtles does Nate have?") is not None
    assert says_no_amount("Four months [1].", "How long did the book take to write?") is None
    assert says_no_amount("About 10 days [2].", "How long did it take?") is None
    # not a question of amount: "how long ago" asks when, "how" asks the way
    assert says_no_amount("Last summer [1].", "How long ago did she move?") is None
    assert says_no_amount("By bus [1].", "How did she get there?") is None


def test_one_date_is_no_amount_but_a_time_ago_or_a_span_is() -> None:
    """LoCoMo conv-43: "Last week [1]", put as "The week before 16 July 2023", for after
    how many weeks Tim talked again with the Harry Potter fan from California."""
    question = "After how many weeks did Tim reconnect with the fellow Harry Potter fan?"
    assert asks_amount(question)
    reason = says_no_amount("The week before 16 July 2023 [1].", question)
    assert reason is not None and "amount" in reason
    assert says_no_amount("10 July 2023 [1].", "How long did the trip take?") is not None
    for said in ("Three weeks [1].", "3 weeks [2].", "A couple of weeks [1]."):
        assert says_no_amount(said, question) is None, said
    assert says_no_amount("3 years ago [1].", "How many years ago did she move?") is None
    assert says_no_amount("From 28 May 2024 to 16 August 2024 [1].", "How long?") is None
    assert says_no_amount("Since 2015 [2].", "How long has she lived there?") is None
    assert not asks_amount("How long ago did she move?")
    assert not asks_amount("After the concert, how did she get home?")


def test_a_span_of_time_that_ends_before_it_begins_is_no_answer() -> None:
    # `make demo`'s memory: how long I stayed in Amsterdam, from two items' own dates
    wrong = "The trip lasted from 28 May 2024 to 16 August 2023 [1][2]."
    reason = runs_backwards(wrong)
    assert reason is not None and "from 28 May 2024 to 16 August 2023" in reason
    assert runs_backwards("Between March 2022 and May 2021 [2]") is not None
    # forwards, not two dates, or too vague to order: left alone
    for said in (
        "From 28 May 2023 to 16 August 2023 [1].",
        "He moved from Boston to Lisbon on 14 March 2021 [5].",
        "From June to May 2023 [1].",
        "From 2019 to 2021 [2].",
        "Between the concert and 3 May 2022 [1].",
    ):
        assert runs_backwards(said) is None, said


def test_a_count_no_cited_item_says_is_one_the_model_made() -> None:
    """LoCoMo conv-42: "6 [6]" for how many letters Joanna received, where the 6 is only
    in the item's date ("6 October 2022"); "3 [7]" for how many turtles Nate has, where
    [7] says no number and [5] says "The tank is big enough now for three"."""
    from lifelog.answer.asked import count_holders, count_unsaid

    letters = "How many letters has Joanna received?"
    dated = ["Yep. Last week, someone wrote me a letter after reading a post. 6 October 2022"]
    reason = count_unsaid("6 [6].", letters, dated)
    assert reason is not None and "no item it cites says 6" in reason
    assert count_unsaid("Two [1].", letters, ["I got two letters this month!"]) is None
    assert count_unsaid("Twice [1].", "How many times did she go?", ["We went twice."]) is None
    # not a count, or no number given: left to the other checks
    assert count_unsaid("3 [1].", "How many days did it take?", ["It took ages."]) is None
    assert count_unsaid("Lots [1].", letters, ["So many letters!"]) is None
    turtles = {
        5: "I saw another at a pet store and just had to get him. The tank is big enough now"
        " for three.",
        7: "I'm not sure I'll ever understand why watching my turtles makes me so happy.",
    }
    assert count_holders("3 [7].", turtles) == [5]
    assert count_holders("Three [7].", turtles) == [5]
    assert count_holders("4 [7].", turtles) == []


def test_what_something_was_about() -> None:
    assert asks_about("What was the last email from Priya about?")
    assert asks_about("what is the book about")
    assert not asks_about("What did Priya say about the trip?")
    assert not asks_about("How did you feel about it?")
