"""A short checked answer put in the words of the item it cites (lifelog.answer.wording)."""

from __future__ import annotations

import pytest

from lifelog.answer.wording import in_source_words

GIFT = "When we met on Aug 15th my teammates gave me a basketball with autographs on it!"
NOVEL = "Take a fantasy novel by Patrick Rothfuss for the trip, you'll love it."


@pytest.mark.parametrize(
    ("answer", "excerpts", "worded"),
    [
        # a word the model shortened: the item's own word
        (
            "A ball with autographs on it [2][3].",
            [GIFT],
            "A basketball with autographs on it [2][3].",
        ),
        # a name the model misspelt, in quotes that stay
        ('"Pateric Rothfuss" [1]', [NOVEL], '"Patrick Rothfuss" [1]'),
        # the second excerpt cited is the one restated
        ("Pateric Rothfuss [2].", [GIFT, NOVEL], "Patrick Rothfuss [2]."),
        # a name before what it names, where the item puts it after: the item's order
        ("Patrick Rothfuss' fantasy novel [1].", [NOVEL], "Fantasy novel by Patrick Rothfuss [1]."),
        ("Пушкина стихи [1]", ["Вчера я читала стихи Пушкина вслух."], "Стихи Пушкина [1]"),
        # the hyphenated word the item puts before the answer's words, after an article too
        (
            "Mentoring and training [1].",
            ["Besides classes, I'm offering one-on-one mentoring and training to dancers."],
            "One-on-one mentoring and training [1].",
        ),
        (
            "The aptitude test [2]",
            ["I retook the long-awaited aptitude test last week."],
            "The long-awaited aptitude test [2]",
        ),
        # Cyrillic: the source's spelling of a name
        (
            "Стихи Александера Пушкина [1]",
            ["Вчера я читала стихи Александра Пушкина вслух."],
            "Стихи Александра Пушкина [1]",
        ),
    ],
)
def test_put_in_the_source_words(answer: str, excerpts: list[str], worded: str) -> None:
    assert in_source_words(answer, excerpts) == worded


@pytest.mark.parametrize(
    ("answer", "excerpts"),
    [
        ("A basketball with autographs on it [1].", [GIFT]),  # already its words
        ("The basketball [1].", [GIFT]),  # only a small word would change
        ("A cat [1].", ["I bought a hat for the party."]),  # another word, not a spelling
        ("Unit 241 [1].", ["The storage unit 214, code 5839."]),  # numbers as they are
        ("Cozy and inviting [1].", ["I want them to feel cozy and comfortable."]),
        ("In a forest [1].", ["The shoot was in a gorgeous forest."]),  # adds a content word
        ("Training [1].", ["We offer mentoring and training."]),  # "and" is no compound
        ("Rothfuss novel [1].", [NOVEL]),  # reordered, it would add "Patrick"
        ("Not a novel by Rothfuss [1].", [NOVEL]),  # a negation is never moved about
        ("Trip for love [1].", [NOVEL]),  # not within one sentence's stretch of joining words
        # the item's first person is not the answer's third
        ("Tilly helps Joanna focus [1].", ["Tilly helps me focus, I love her."]),
        # not across the excerpt's sentences
        ("Autographs on it. Sweet [1].", ["Autographs on it. So sweet!"]),
        # more than a short phrase; no citation; CJK words are not spaced
        (
            "He says that the ball they gave him had all of the autographs on it [1].",
            [GIFT],
        ),
        ("A ball with autographs on it.", [GIFT]),
        ("サイン入りのボール [1]", ["サイン入りのバスケットボールをもらった"]),
    ],
)
def test_left_as_written(answer: str, excerpts: list[str]) -> None:
    assert in_source_words(answer, excerpts) is None


def test_finalize_says_it() -> None:
    """Through the whole check: the kept answer is given in the item's words, with a note,
    and its citation's snippet is the item's text."""
    from datetime import UTC, datetime

    from lifelog import Item
    from lifelog.answer.finalize import finalize
    from lifelog.answer.prompts import Source, render_source
    from lifelog.records import Hit

    item = Item(
        source="locomo",
        key="D21:3",
        kind="message",
        author="John",
        participants=("John", "Tim"),
        text=GIFT,
        timestamp=datetime(2023, 8, 16, 14, 0, tzinfo=UTC),
    )
    hit = Hit(item, 1.0, 0, len(GIFT), GIFT)
    shown = {1: Source(1, hit, 0, len(GIFT), render_source(1, hit, 0, len(GIFT)))}
    question = "What did John's teammates give him when they met on Aug 15th?"
    answer = finalize(question, "A ball with autographs on it [1].", shown, [hit])
    assert answer.mode == "generative"
    assert answer.text == "A basketball with autographs on it [1]."
    assert "lifelog gave the answer in the words of the item it cites" in answer.notes
    assert answer.draft == "A ball with autographs on it [1]."
    assert "basketball with autographs" in answer.citations[0].snippet


def test_a_vague_count_as_the_item_puts_it() -> None:
    excerpt = "Yeah, we go a few times a week. It's great for family bonding."
    assert in_source_words("Several times a week [1].", [excerpt]) == "A few times a week [1]."
    # "many" is not "a few"
    assert in_source_words("Many times a week [1].", [excerpt]) is None


def test_an_answer_leaves_out_the_question_it_restates() -> None:
    from lifelog.answer.wording import to_the_point

    question = "Which book was John reading during his recovery from an ankle injury?"
    draft = (
        'The book John was reading during his recovery from an ankle injury is "The Alchemist" [5].'
    )
    assert to_the_point(question, draft) == '"The Alchemist" [5].'
    # a title's own "is", a passive that goes on with the question, a when-question,
    # or too little restated: left as they are
    book = 'When did Melanie read the book "Nothing is impossible"?'
    assert to_the_point(book, 'The book "Nothing is impossible" was read in July [4].') is None
    read = 'What did Melanie do with the book "Nothing is impossible"?'
    assert to_the_point(read, 'The book "Nothing is impossible" was read by Melanie [4].') is None
    assert to_the_point("What is his dog called?", "It is Rex [1].") is None
    # LoCoMo conv-26: the point is cited where it is said, two messages on
    shoes = "What are the new shoes that Melanie got used for?"
    assert to_the_point(shoes, "The new shoes are for running [1].") == "For running [1]."


@pytest.mark.parametrize(
    ("question", "draft", "point"),
    [
        # the question's verb (in any form) and its people restated before the answer
        (
            "What did John's teammates give him when they met on Aug 15th?",
            "They gave him a ball [3].",
            "A ball [3].",
        ),
        (
            "What painting did Melanie show to Caroline on October 13, 2023?",
            "Melanie showed a painting of a sunset with a pink sky [2].",
            "A painting of a sunset with a pink sky [2].",
        ),
        # the whole question restated: what follows is the answer, whatever opens it
        (
            "What does Jon's dance studio offer?",
            "Jon's dance studio offers workshops and classes to local schools [1].",
            "Workshops and classes to local schools [1].",
        ),
        # left as they are: a verb the question does not have ("face" for "handles"),
        # nothing restated, nothing after it, only pronouns restated
        (
            "How does John say his team handles tough opponents?",
            "John says they face tough opponents with resilience [5].",
            None,
        ),
        ("What did John host for the veterans?", "A small party with some veterans [3].", None),
        ("What did she give him?", "She gave him [1].", None),
        ("What did John give them?", "They liked it a lot [1].", None),
        ("What did they give him?", "They gave him a lift [1].", "A lift [1]."),
    ],
)
def test_an_answer_leaves_out_the_question_it_restates_with_its_verb(
    question: str, draft: str, point: str | None
) -> None:
    from lifelog.answer.wording import to_the_point

    assert to_the_point(question, draft) == point


def test_a_bare_number_is_given_with_what_it_counts() -> None:
    game = ["Last week I scored 40 points, my highest ever, and grabbed 12 rebounds."]
    asked = "What was the highest number of points John scored in a game recently?"
    assert in_source_words("40 [1].", game, asked) == "40 points [1]."
    assert in_source_words("12 [2]", game, "How many rebounds did he get?") == "12 rebounds [2]"
    # what follows the number is not what the question asks about, or not that number
    assert in_source_words("40 [1].", game, "How many games did John win?") is None
    assert in_source_words("4 [1].", game, asked) is None
    assert in_source_words("40 [1].", ["It cost 1,040 points."], asked) is None
    # in Russian too: the word after the number, as the question has it
    assert in_source_words("3 [1]", ["Я купила 3 книги."], "Сколько книги?") == "3 книги [1]"


LIBRARY = (
    "I've got lots of kids' books- classics, stories from different cultures, educational"
    " books, all of that. What's a favorite book you remember from your childhood?"
)


def test_what_kind_is_answered_with_the_kind_the_item_names_before_its_list() -> None:
    # LoCoMo conv-26: the model listed the examples and left out the kind
    asked = "What kind of books does Caroline have in her library?"
    listed = "Classics, stories from different cultures, educational books, all of that [2]."
    assert in_source_words(listed, [LIBRARY], asked) == (
        "Kids' books: classics, stories from different cultures, educational books,"
        " all of that [2]."
    )
    such = ["She paints landscapes of all sorts, like mountains, lakes and old barns."]
    assert in_source_words("Mountains, lakes [1]", such, "What types of landscapes?") is None
    named = ["Mostly sci-fi novels, such as Dune and Hyperion."]
    assert in_source_words("Dune and Hyperion [1]", named, "What kind of novels?") == (
        "Sci-fi novels: Dune and Hyperion [1]"
    )


@pytest.mark.parametrize(
    ("answer", "excerpts", "question"),
    [
        # the kind is only the question's noun, or whose the things are
        (
            "Classics, fairy tales [1]",
            ["Lots of books: classics, fairy tales."],
            "What kind of books?",
        ),
        ("Classics, fairy tales [1]", ["My books - classics, fairy tales."], "What kind of books?"),
        # another noun than the one asked about
        ("Classics, fairy tales [1]", ["Old films: classics, fairy tales."], "What kind of books?"),
        # the question does not ask what kind
        ("Classics, educational books [2]", [LIBRARY], "What does Caroline read to kids?"),
    ],
)
def test_what_kind_is_left_as_written(answer: str, excerpts: list[str], question: str) -> None:
    assert in_source_words(answer, excerpts, question) is None


SHOOT = (
    "The photoshoot went really well too. We did it in a gorgeous forest and the"
    " photographer got some epic shots of me doing my thing - it was amazing!"
)


def test_where_is_answered_with_the_place_as_its_item_puts_it() -> None:
    asked = "Where was the photoshoot done for John's gear deal?"
    assert in_source_words("A forest [1].", [SHOOT], asked) == "In a gorgeous forest [1]."
    assert in_source_words("Forest [1]", [SHOOT], asked) == "In a gorgeous forest [1]"
    park = ["We met at the old city park near the river."]
    assert in_source_words("The park [2]", park, "Where did they meet?") == (
        "At the old city park [2]"
    )
    # not for other questions, nor where the item says only the preposition more, nor in
    # the first person of the item ("near my hometown" is not an answer about John)
    assert in_source_words("A forest [1].", [SHOOT], "What did John like?") is None
    assert in_source_words("A forest [1].", ["We did it in a forest."], asked) is None
    home = ["The photo is from a forest near my old hometown."]
    assert in_source_words("Hometown [1]", home, "Where was the photo taken?") is None


def test_a_count_the_item_joins_to_what_it_counts_is_left_as_the_answer_says_it() -> None:
    # `make demo`'s memory: "Three days [1]" had become "A three-day [1]" for how many
    # days the Sintra trip was ("a three-day trip to Sintra")
    trip = ["I am packing for a three-day trip to Sintra in November."]
    asked = "How many days was the Sintra trip?"
    assert in_source_words("Three days [1].", trip, asked) is None
    assert in_source_words("Tree day trip [1].", trip, asked) is None
    # a hyphenated name the answer misspelt is still the item's
    fair = ["We met at the Saint-Étienne book fair last spring."]
    assert in_source_words("The Saint-Etiene book fair [2]", fair) == (
        "The Saint-Étienne book fair [2]"
    )
