"""Support of each answer sentence by its cited evidence, measured."""

from __future__ import annotations

from datetime import UTC, datetime

from lifelog.answer.support import (
    attribute_citations,
    check_support,
    date_terms,
    repair_citations,
    terms_of,
)

EVIDENCE = {
    1: terms_of("Back from camping at the beach! The kids loved the dunes. whatsapp Melanie")
    | date_terms(datetime(2023, 6, 19, tzinfo=UTC)),
    2: terms_of("Bought a new tent for the camping trip. It cost 120 euros. notes Tent")
    | date_terms(datetime(2023, 6, 1, tzinfo=UTC)),
}


def test_a_supported_answer_passes() -> None:
    report = check_support(
        "You went camping at the beach in June 2023 [1]. The tent cost 120 euros [2].",
        EVIDENCE,
        question="When did we go camping?",
    )
    assert report.ok, report.reason
    assert [c.citations for c in report.checks] == [(1,), (2,)]


def test_dates_may_be_named_by_month_weekday_or_season() -> None:
    report = check_support("Melanie was back on Monday 19th June, in summer [1].", EVIDENCE)
    assert report.ok, report.reason


def test_invented_words_fail_and_the_reason_names_them() -> None:
    report = check_support("You went skiing in Norway with Bob [1].", EVIDENCE)
    assert not report.ok
    assert report.reason is not None and "skiing" in report.reason and "[1]" in report.reason


def test_the_reason_may_name_the_cited_items() -> None:
    """An answer that fails is replaced, with its numbering: the reason says which item."""
    names = {1: "the item of 2023-06-19, whatsapp, Melanie"}
    report = check_support("You went skiing in Norway with Bob [1].", EVIDENCE, names=names)
    assert report.reason is not None and "[1]" not in report.reason
    assert "not supported by the item of 2023-06-19, whatsapp, Melanie" in report.reason


def test_an_invented_number_fails_even_when_the_words_match() -> None:
    report = check_support("The new tent for the camping trip cost 150 euros [2].", EVIDENCE)
    assert not report.ok and "150" in (report.reason or "")


def test_an_irregular_past_restates_its_verb() -> None:
    """ "I ate fish" restates "I eat fish again": no suffix stripping finds it."""
    evidence = {1: terms_of("Since June 2022 I eat fish again, but I still don't eat meat.")}
    assert check_support("No: I ate fish again, but no meat [1].", evidence).ok
    assert not check_support("No: I ate chicken again [1].", evidence).ok


def test_the_wrong_source_does_not_support_a_claim() -> None:
    assert not check_support("The kids loved the dunes [2].", EVIDENCE).ok
    assert check_support("The kids loved the dunes [1].", EVIDENCE).ok


def test_an_answer_must_cite() -> None:
    report = check_support("You went camping at the beach in June.", EVIDENCE)
    assert not report.ok and report.reason == "the answer cites none of the retrieved items"


def test_an_uncited_sentence_is_held_to_its_paragraph_citations() -> None:
    text = "You went camping at the beach. The kids loved the dunes [1].\n\nThen skiing in Oslo."
    report = check_support(text, EVIDENCE)
    assert [c.ok for c in report.checks] == [True, True, False]
    assert "cites no source" in (report.reason or "")


def test_question_words_alone_are_not_evidence() -> None:
    question = "Did Melanie get a promotion at work?"
    assert not check_support("Melanie got a promotion at work [1].", EVIDENCE, question=question).ok


def test_tool_results_count_as_evidence_for_numbers() -> None:
    assert not check_support("You wrote 17 camping notes [2].", EVIDENCE).ok
    assert check_support("You wrote 17 camping notes [2].", EVIDENCE, derived={"17"}).ok


def test_an_uncited_supported_sentence_gets_the_one_source_that_supports_it() -> None:
    text, added = attribute_citations(
        "The kids loved the dunes at the beach. The tent cost 120 euros.", EVIDENCE
    )
    assert added == 2
    assert text == "The kids loved the dunes at the beach [1]. The tent cost 120 euros [2]."
    assert check_support(text, EVIDENCE).ok


def test_attribution_never_cites_an_invention_or_touches_cited_sentences() -> None:
    answer = "You went skiing in Norway with Bob. The tent cost 150 euros. Dunes [2]."
    text, added = attribute_citations(answer, EVIDENCE)
    assert added == 0 and text == answer
    assert not check_support(text, EVIDENCE).ok


def test_an_answer_that_only_restates_the_question_is_not_supported() -> None:
    evidence = {1: terms_of("I work at Northwind Labs now, as a data engineer.")}
    question = "Where do I work now?"
    text, added = attribute_citations("Where do I work now?", evidence, question=question)
    assert added == 0
    report = check_support("You work now [1].", evidence, question=question)
    assert not report.ok and report.reason == "the answer only restates the question"
    assert check_support("You work at Northwind Labs [1].", evidence, question=question).ok


def test_a_wrong_citation_is_moved_to_the_source_that_supports_the_sentence() -> None:
    text, added, moved = repair_citations("The kids loved the dunes [2].", EVIDENCE)
    assert (text, added, moved) == ("The kids loved the dunes [1].", 0, 1)
    assert check_support(text, EVIDENCE).ok


def test_a_sentence_drawn_from_two_sources_cites_both() -> None:
    text, added, moved = repair_citations(
        "The kids loved the dunes and the tent cost 120 euros.", EVIDENCE
    )
    assert (text, added, moved) == (
        "The kids loved the dunes and the tent cost 120 euros [1][2].",
        1,
        0,
    )


def test_a_list_of_three_things_from_three_items_cites_all_three() -> None:
    """LoCoMo conv-41: "Supporting veterans, victims of domestic abuse, and making a
    positive impact [3]…[8]" for the causes John is passionate about: each part is in
    another message, and no pair holds them all. A sentence that is no list of three
    stays with pairs."""
    evidence = {
        3: terms_of("I'm really passionate about making sure veterans are supported."),
        4: terms_of("We worked with a local organization that helps victims of domestic abuse."),
        5: terms_of("They remind me why I'm so passionate about making a positive impact."),
        6: terms_of("Let's keep spreading the good vibes and making our community better."),
    }
    question = "What causes does John feel passionate about supporting?"
    draft = "Supporting veterans, victims of domestic abuse, and making a positive impact."
    text, added, moved = repair_citations(draft, evidence, question=question)
    assert (text, added) == (draft[:-1] + " [3][4][5].", 1), text
    assert check_support(text, evidence, question=question).ok
    one = "Veterans who fought abroad get victims of domestic abuse a positive impact."
    assert repair_citations(one, evidence, question=question)[0].count("[") <= 2


def test_repair_never_cites_an_invention_nor_touches_a_supported_citation() -> None:
    invented = "You went skiing in Norway with Bob [2]."
    assert repair_citations(invented, EVIDENCE) == (invented, 0, 0)
    right = "The tent cost 120 euros [2]. The kids loved the dunes [1]."
    assert repair_citations(right, EVIDENCE) == (right, 0, 0)


def test_relative_time_words_need_no_evidence_of_their_own() -> None:
    report = check_support("The weekend before 19 June 2023 [1].", EVIDENCE)
    assert report.ok, report.reason


def test_what_an_answer_adds_to_the_question_must_be_in_its_evidence() -> None:
    kitchen = {1: terms_of("Home log: painted the kitchen walls sage green this weekend.")}
    question = "What colour did I paint the kitchen?"
    # two of its three words are the question's: the third, the answer, is not there
    lie = check_support("The kitchen was painted purple [1].", kitchen, question=question)
    assert not lie.ok and "purple" in (lie.reason or "")
    assert check_support("The kitchen was painted sage green [1].", kitchen, question=question).ok


def test_a_claim_cited_to_everything_retrieved_is_not_supported() -> None:
    many = {
        n: terms_of(f"Message {n}: the store looks great, the shelves are full.")
        for n in range(1, 9)
    }
    listed = "The store looks great [1][2][3][4][5][6][7][8]."
    report = check_support(listed, many, question="How is Jon's store doing?")
    assert not report.ok and "8 items at once" in (report.reason or "")
    assert check_support("The store looks great [1][2].", many, question="How?").ok


def test_a_name_an_item_gives_by_its_initials_is_supported() -> None:
    """ "fantasy books like LOTR": the answer may spell the name out."""
    from lifelog.answer.support import spelt_out, terms_of

    evidence = {1: terms_of("What's awesome about fantasy books like LOTR is the details.")}
    assert check_support("Lord of the Rings [1].", evidence).ok
    assert not check_support("Lord of the Flies [1].", evidence).ok
    assert spelt_out("She moved to New York City.", terms_of("I love NYC")) >= {"new", "york"}
    # two letters are too often a word ("At Sea" is not "as")
    assert spelt_out("At Sea [1].", terms_of("as far as I know")) == set()


def test_each_element_of_a_list_is_cited_to_the_item_that_says_it() -> None:
    """LoCoMo conv-43: "Lord of the Rings [3], Star Wars [4], Harry Potter [7]", where
    [3] says Star Wars, [4] neither and [5] Lord of the Rings."""
    from lifelog.answer.support import repair_citations, terms_of

    evidence = {
        3: terms_of("Definitely Star Wars! It's my favorite and never gets old."),
        4: terms_of("Yeah, watching movies is a fun way to relax."),
        5: terms_of("Here's a pic of my favorite, Lord of the Rings!"),
        7: terms_of("Harry Potter is my favorite book. It's so immersive!"),
    }
    draft = "Lord of the Rings [3], Star Wars [4], Harry Potter [7]."
    question = "What fantasy movies does Tim like?"
    mended, added, moved = repair_citations(draft, evidence, question=question)
    assert mended == "Lord of the Rings [5], Star Wars [3], Harry Potter [7]."
    assert (added, moved) == (0, 1)
    assert check_support(mended, evidence, question=question).ok
    # a list whose elements are cited right, or an element no item says, stays as it is
    right = "Lord of the Rings [5] and Star Wars [3]."
    assert repair_citations(right, evidence, question=question) == (right, 0, 0)
    unsaid = "Dune [4], Star Wars [3]."
    assert repair_citations(unsaid, evidence, question=question)[0] == unsaid


def test_a_quote_must_be_said_word_for_word_by_its_items() -> None:
    """Qwen2.5-Coder-1.5B on LoCoMo conv-43: the recommended author is right, the title
    made up; most of the answer's words are in the item, the title's are not."""
    from lifelog.answer.wording import misquoted

    said = ["You should read this fantasy novel by Patrick Rothfuss, you'll love it!"]
    question = "What book recommendation did Tim give to John for the trip?"
    answer = 'Patrick Rothfuss\' fantasy novel "The Book of the Dead" [1].'
    assert misquoted(answer, said, question) == [(32, 54)]
    assert misquoted('His fantasy novel, "The Name of the Wind" [1].', said, question) != []
    named = ["Read «The Name of the Wind» by Patrick Rothfuss"]
    assert misquoted('"The Name of the Wind" [1].', named, question) == []
    # the question's own title may be quoted back; other scripts too
    asked = 'What is "Little Women" about?'
    assert misquoted('"Little Women" is about sisterhood [1].', ["about sisterhood"], asked) == []
    assert misquoted("Она сказала: «Война и мир» [1].", ["Война и мир"], "Что?") == []
    assert misquoted("“Война и мир” [1].", ["Анна Каренина"], "Что?") == [(0, 13)]
    assert misquoted("«Анна Каренина» [1].", ["Война и мир"], "Что?") == [(0, 15)]
    assert misquoted("「ノルウェイの森」 [1].", ["ノルウェイの森を読んだ"], "何?") == []


def test_a_citation_that_holds_part_of_the_claim_gives_way_to_one_that_holds_it_all() -> None:
    # LoCoMo conv-26: the window is the one in Caroline's photo, not in Melanie's
    photos = {
        1: terms_of("Wow, all those colors are incredible! a door with a stained glass window"),
        2: terms_of("It was made for a local church. a large stained glass window in a church"),
        3: terms_of("A stained window of a large hall, by a church"),
    }
    asked = "What did Melanie make for a local church?"
    claim = "A large stained glass window in a church [1]."
    assert check_support(claim, photos, question=asked).ok  # enough of its words are in [1]
    text, added, moved = repair_citations(claim, photos, question=asked)
    assert (text, added, moved) == ("A large stained glass window in a church [2].", 0, 1)
    # an item that holds all of it keeps its citation, and so do two that share it
    assert repair_citations(text, photos, question=asked) == (text, 0, 0)
    shared = "A large stained glass window in a church [1][3]."
    assert repair_citations(shared, photos, question=asked) == (shared, 0, 0)


def test_a_word_of_the_question_the_answer_repeats_must_be_in_the_memory() -> None:
    """LoCoMo conv-42, adversarial: "Playing video games helps Nate escape and numbs his
    mind [1]" for "Which activity helps Nate escape and numbs his mind?". No item
    retrieved says "numbs": the answer asserts the question's premise. A word some
    item retrieved holds (``known``), or one the question is only put in, may be
    repeated."""
    evidence = {
        1: terms_of(
            "Nate: fantasy movies help me escape and clear my mind. Playing video games"
            " is a great way to express my creativity."
        )
    }
    question = "Which activity helps Nate escape and numbs his mind?"
    answer = "Playing video games helps Nate escape and numbs his mind [1]."
    premise = ["activity", "helps", "escape", "numbs", "mind"]
    report = check_support(answer, evidence, question=question, premise=premise)
    assert not report.ok
    assert check_support(answer, evidence, question=question).ok  # no premise given
    known = terms_of("Gaming numbs my mind after a long day.")
    assert check_support(answer, evidence, question=question, premise=premise, known=known).ok


def test_a_yes_is_a_claim_only_about_someone_named() -> None:
    """ "Yes, Jon and Gina …" restates a question about them; "Yes: I was to Amsterdam
    [1]" (make demo's memory, from Elena's "Back from Amsterdam, exhausted but happy")
    answers one about the asker, whose trip words cannot tell from a relative's."""
    from lifelog.answer.support import affirms

    assert affirms("Yes, Jon and Gina both compete [1].", "Did Jon and Gina both compete?")
    assert not affirms("Yes [1].", "Did Jon and Gina both compete?")
    assert not affirms("Yes: I was to Amsterdam [1].", "Have I been to Amsterdam?")
    assert not affirms("Yes, we went [1].", "Did we go camping in 2023?")
    assert not affirms("Yes, Jon competes [1].", "What does Jon do?")
