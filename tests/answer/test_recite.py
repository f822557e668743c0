"""A date answer citing a neighbour of the message that speaks of the question.

Every message of one chat session has the same day, so a small model answering "when"
often cites the wrong one of them (LoCoMo conv-30: "The weekend before 13 June 2023 [2]"
for the video Gina made, told in message [1] of the same session). The answer is right;
its citation moves to the message that speaks of the question instead of the answer
being withheld as unrelated."""

from __future__ import annotations

from datetime import UTC, datetime

from lifelog import Answer, Item
from lifelog.answer.finalize import finalize
from lifelog.answer.prompts import Source, render_source
from lifelog.records import Hit

DAY = datetime(2023, 6, 13, 20, 29, tzinfo=UTC)


def message(key: str, author: str, text: str, when: datetime = DAY) -> Item:
    return Item(
        source="locomo",
        key=key,
        kind="message",
        author=author,
        participants=("Gina", "Jon"),
        text=text,
        timestamp=when,
    )


VIDEO = message(
    "D13:4",
    "Gina",
    "What are you doing to prep for your dance studio? I have developed a video"
    " presentation to teach how to style my fashion pieces last weekend.",
)
MENTOR = message(
    "D13:8", "Gina", "Your one-on-one mentoring will really push dancers to reach their goals."
)
OTHER_DAY = Item(
    source="locomo",
    key="D2:1",
    kind="message",
    author="Gina",
    participants=("Gina", "Jon"),
    text="I am styling a photo shoot for the store tomorrow.",
    timestamp=datetime(2023, 2, 1, 10, 0, tzinfo=UTC),
)


def sources(*items: Item) -> dict[int, Source]:
    shown = {}
    for number, item in enumerate(items, 1):
        hit = Hit(item, 1.0, 0, len(item.text), item.text)
        block = render_source(number, hit, 0, len(item.text))
        shown[number] = Source(number, hit, 0, len(item.text), block)
    return shown


def checked(question: str, draft: str, shown: dict[int, Source]) -> Answer:
    """``draft`` through lifelog's checks, with ``shown`` as its items and hits."""
    return finalize(question, draft, shown, [s.hit for s in shown.values()])


QUESTION = "When did Gina develop a video presentation to teach how to style her fashion pieces?"


def test_a_date_citing_the_wrong_message_of_the_day_cites_the_right_one() -> None:
    shown = sources(VIDEO, MENTOR)
    answer = checked(QUESTION, "The weekend before 13 June 2023 [2].", shown)
    assert answer.found and answer.mode == "generative", answer.notes
    assert answer.text.startswith("The weekend before 13 June 2023 [1]")
    assert [c.item.key for c in answer.citations] == ["D13:4"]


def test_only_a_date_moves_and_only_to_an_item_of_that_day() -> None:
    # a claim other than a date is not moved: a bare name fits every message of its author
    shown = sources(VIDEO, MENTOR)
    named = checked(QUESTION, "Gina [2].", shown)
    assert not (named.found and named.mode == "generative" and "[1]" in named.text)
    # the message about the question is of another day: the date stays unsupported by it
    apart = sources(OTHER_DAY, MENTOR)
    dated = checked("When did Gina style a photo shoot for the store?", "13 June 2023 [2].", apart)
    assert not (dated.found and dated.mode == "generative" and "[1]" in dated.text)


def _said(author: str, key: str, day: datetime, text: str, *, thread: str | None = None) -> Item:
    listener = {"Jon": "Gina", "John": "Tim", "Tim": "John"}[author]
    return Item(
        source="locomo", key=key, kind="message", author=author,
        participants=(author, listener), text=text, timestamp=day, thread=thread,
    )  # fmt: skip


def _jon(key: str, day: datetime, text: str) -> Item:
    return _said("Jon", key, day, text)


_SOCIAL = _jon(
    "D18:14",
    datetime(2023, 7, 21, 17, 44, tzinfo=UTC),
    "I'd really appreciate your help with making content and managing my social media.",
)


def test_a_date_from_another_day_is_taken_from_the_item_that_tells_it() -> None:
    """The model cited a message of another day (LoCoMo conv-30: "The weekend before 21
    July 2023 [4]" for when Jon started learning marketing tools, told "today" on 9
    July): the message that speaks of the question and tells the time gives the date,
    cited to it."""
    learn = _jon(
        "D17:4",
        datetime(2023, 7, 9, 13, 25, tzinfo=UTC),
        "Losing my job was a bummer. Started to learn all these marketing and analytics"
        " tools to push the biz forward today.",
    )
    shown = sources(learn, _SOCIAL)
    question = "When did Jon start learning marketing and analytics tools?"
    answer = checked(question, "The weekend before 21 July 2023 [2].", shown)
    assert answer.found and answer.mode == "generative", answer.notes
    assert answer.text == "9 July 2023 [1]."
    assert [c.item.key for c in answer.citations] == ["D17:4"]
    assert "“today”" in answer.notes[-1]


def test_a_withheld_answer_gives_way_to_the_sentence_that_plainly_answers() -> None:
    """The model cited a message of another day (as above, but the message that says it
    tells no time of its own): its answer is withheld, and the message is quoted, its
    date first."""
    learn = _jon(
        "D17:4",
        datetime(2023, 7, 9, 13, 25, tzinfo=UTC),
        "Losing my job was a bummer. Started to learn all these marketing and analytics"
        " tools to push the biz forward.",
    )
    social = _SOCIAL
    shown = sources(learn, social)
    question = "When did Jon start learning marketing and analytics tools?"
    answer = checked(question, "The weekend before 21 July 2023 [2].", shown)
    assert answer.found and answer.mode == "extractive-fallback", answer.notes
    assert answer.text.startswith("9 July 2023, the day it was written [1]")
    assert [c.item.key for c in answer.citations] == ["D17:4"]
    assert any("withheld" in note for note in answer.notes)
    # no message plainly answers: nothing is quoted in its place
    alone = sources(social)
    declined = checked(question, "21 July 2023 [1].", alone)
    assert not declined.found


def test_a_reply_speaks_of_what_the_messages_before_it_asked() -> None:
    """LoCoMo conv-43: "The Minnesota Wolves!" answers which team John signed with, two
    messages after "I just signed with a new team" in the same conversation; the same
    reply from another conversation, days later, does not."""

    def john(key: str, text: str, thread: str, seconds: int) -> Item:
        day = datetime(2023, 5, 21, 19, 48, seconds, tzinfo=UTC)
        return _said("John", key, day, text, thread=thread)

    signed = john("D1:3", "That's great! I just signed with a new team!", "s1", 3)
    wolves = john("D1:5", "The Minnesota Wolves! I can't wait to play with them!", "s1", 5)
    shown = sources(wolves, signed)
    question = "Which team did John sign with?"
    answer = checked(question, "The Minnesota Wolves [1].", shown)
    assert answer.found and answer.mode == "generative", answer.notes
    assert answer.text == "The Minnesota Wolves [1]."
    elsewhere = john("D9:5", wolves.text, "s9", 5)
    apart = sources(elsewhere, signed)
    alone = checked(question, "The Minnesota Wolves [1].", apart)
    assert not (alone.found and alone.mode == "generative")


def test_a_name_may_be_in_the_message_a_cited_one_points_back_to() -> None:
    """LoCoMo conv-43: "I really admire his work ethic" is about LeBron, named in John's
    message just before it; "I admire the work ethic" names no one, and is not."""

    def john(key: str, text: str, seconds: int) -> Item:
        day = datetime(2023, 10, 2, 19, 0, seconds, tzinfo=UTC)
        return _said("John", key, day, text, thread="s1")

    named = john("D1:3", "And LeBron is the man - love his skills and leadership.", 3)
    question = "What does John like about Lebron James?"
    draft = "His work ethic and dedication to the game [1]."
    for text, kept in (
        ("I really admire his work ethic and dedication to the game.", True),
        ("I really admire the work ethic and dedication to the game.", False),
    ):
        shown = sources(john("D1:5", text, 5), named)
        answer = checked(question, draft, shown)
        assert (answer.found and answer.mode == "generative") is kept, answer.notes


def test_the_point_of_an_answer_is_cited_where_it_is_said() -> None:
    """LoCoMo conv-26: "The new shoes are for running [1]" cited the message about the
    shoes; the one that says "These are for running" came after it, in the same
    conversation."""
    shoes = message(
        "D7:18", "Gina", "They really liven up the house! Just got some new shoes, too!"
    )
    running = message("D7:20", "Gina", "Thanks! These are for running. Been running longer.")
    # one conversation: the reply speaks of the message before it
    shoes, running = shoes.with_changes(thread="s7"), running.with_changes(thread="s7")
    shown = sources(shoes, running)
    question = "What are the new shoes that Gina got used for?"
    answer = checked(question, "The new shoes are for running [1].", shown)
    assert answer.found and answer.mode == "generative", answer.notes
    assert answer.text == "For running [2]."
    assert any("restate the question" in note for note in answer.notes)


def test_a_list_written_round_and_round_gives_way_to_quotes() -> None:
    """Qwen2.5-Coder-1.5B on LoCoMo conv-30: Jon's studio's offers, written again and
    again until the token limit; the model lost its thread, so the sentence that says it
    is quoted instead of a list that looks answered."""
    day = datetime(2023, 6, 16, 16, 0, tzinfo=UTC)
    offers = _said(
        "Jon",
        "D12:4",
        day,
        "My dance studio offers one-on-one mentoring and training to dancers, and"
        " workshops and classes for local schools.",
    )
    shown = sources(offers)
    looped = (
        "Classes, workshops, mentoring, training, online platform, workshops, classes,"
        " mentoring, training, online platform, workshops, clas"
    )
    answer = checked("What does Jon's dance studio offer?", looped, shown)
    assert answer.mode == "extractive-fallback", answer.notes
    assert "one-on-one mentoring" in answer.text and "online platform" not in answer.text
    assert any("round and round" in note for note in answer.notes)
    once = "Classes, workshops and one-on-one mentoring [1]."
    kept = checked("What does Jon's dance studio offer?", once, shown)
    assert kept.mode == "generative" and kept.text == once, kept.notes


def test_a_made_up_title_is_left_out_and_what_is_said_stays() -> None:
    """LoCoMo conv-43: Tim recommended "a fantasy novel by Patrick Rothfuss"; the model
    added a title the message never gives. The title goes, and the rest is put in Tim's
    words and order; an answer that is nothing but the made-up title goes whole."""
    day = datetime(2023, 12, 8, 19, 0, tzinfo=UTC)
    tip = _said(
        "Tim",
        "D20:3",
        day,
        "For your trip, read this fantasy novel by Patrick Rothfuss. You'll love it!",
    )
    shown = sources(tip)
    question = "What book recommendation did Tim give to John for the trip?"
    made_up = 'Patrick Rothfuss\' fantasy novel "The Book of the Dead" [1].'
    answer = checked(question, made_up, shown)
    assert answer.mode == "generative", answer.notes
    assert answer.text == "Fantasy novel by Patrick Rothfuss [1]."
    assert any("quote(s) its items do not say" in note for note in answer.notes)
    assert any("in the words of the item" in note for note in answer.notes)
    only = checked(question, 'He recommended "The Book of the Dead" [1].', shown)
    assert only.mode != "generative" or "Book of the Dead" not in only.text, only.notes
    assert not (only.mode == "generative" and only.found)


def test_a_quote_that_names_no_amount_does_not_answer_how_often() -> None:
    """`make demo`'s memory: "How often do I run?" found nothing, and "a small
    family-run place" covered the question's one word; it is not quoted as the answer."""
    day = datetime(2023, 12, 13, 20, 18, tzinfo=UTC)
    tip = _jon("C1", day, "Try lentil soup at a small family-run place on the square.")
    question = "How often do I run?"
    declined = checked(question, "I don't find this in your memory.", sources(tip))
    assert not declined.found, declined.text
    runs = _jon("C2", day, "I run three times a week now, mostly by the river.")
    quoted = checked(question, "I don't find this in your memory.", sources(runs, tip))
    assert quoted.found and quoted.mode == "extractive-fallback", quoted.notes
    assert quoted.text.startswith("three times a week [1]")
    assert [c.item.key for c in quoted.citations][:1] == ["C2"]


def test_a_span_that_runs_backwards_is_replaced_and_quotes_without_an_amount_say_so() -> None:
    """`make demo`'s memory: "How long did I stay in Amsterdam?" was answered with two
    items' own dates, the later one first; no quote names how long."""
    back = _jon("A1", datetime(2023, 8, 16, 22, 26, tzinfo=UTC), "Back from Amsterdam, happy.")
    plan = _jon("A2", datetime(2024, 5, 28, 0, 11, tzinfo=UTC), "Plan a trip to Amsterdam.")
    draft = "The trip lasted from 28 May 2024 to 16 August 2023 [2][1]."
    answer = checked("How long did Jon stay in Amsterdam?", draft, sources(back, plan))
    assert not answer.found, answer.text
    assert any("ends before it begins" in note for note in answer.notes)
    assert any("names none" in note for note in answer.notes)


def test_a_day_cited_to_an_off_topic_neighbour_moves_to_the_message_about_it() -> None:
    """LoCoMo conv-30: "Wed 8 February 2023 [2]" for when Gina teamed up with a local
    artist. [2] ("So I worked with the artist to make it happen") holds one of the
    question's five topic words; [1], of the same day, tells of the team-up. The day
    moves to [1]."""
    artist = message(
        "D5:5",
        "Gina",
        "I've been working hard on my online store and just teamed up with a local artist"
        " for some cool designs.",
    )
    worked = message(
        "D5:7",
        "Gina",
        "I got the idea from a fashion mag. So I worked with the artist to make it happen.",
    )
    shown = sources(artist, worked)
    hits = [s.hit for s in shown.values()]
    question = "When did Gina team up with a local artist for some cool designs?"
    answer = finalize(question, "Tue 13 June 2023 [2].", shown, hits)
    assert answer.mode == "generative" and answer.found, answer.notes
    assert answer.text == "Tue 13 June 2023 [1].", answer.notes
    assert any("same day that speaks of the question" in note for note in answer.notes)
    # a date counted from [2]'s day, which [2] does not say, is that day; and it moves
    counted = finalize(question, "The weekend before 13 June 2023 [2].", shown, hits)
    assert counted.text == "13 June 2023 [1].", counted.notes


def test_a_count_moves_to_the_item_that_says_it_or_the_answer_goes() -> None:
    """LoCoMo conv-42: "3 [2]" for how many turtles Nate has, citing a message that says
    no number; another says "The tank is big enough now for three". A count that no
    shown item says ("6", found only in a date) is not kept."""
    tank = message("D28:25", "Gina", "I got another turtle. The tank is big enough now for three.")
    happy = message(
        "D24:9",
        "Gina",
        "Watching my turtles slowly walk around makes me so happy.",
        datetime(2022, 11, 3, 18, 0, tzinfo=UTC),  # its date holds a 3
    )
    shown = sources(tank, happy)
    hits = [s.hit for s in shown.values()]
    question = "How many turtles does Gina have?"
    answer = finalize(question, "3 [2].", shown, hits)
    assert answer.mode == "generative" and answer.text == "3 [1].", answer.notes
    assert "lifelog cited the item that says the count" in answer.notes
    made = finalize(question, "6 [2].", shown, hits)
    assert not (made.found and made.mode == "generative"), made.text
    assert any("a count it made" in note for note in made.notes)


def test_a_yes_that_restates_the_question_is_its_claim() -> None:
    """LoCoMo conv-30: "Yes, both Jon and Gina participated in dance competitions [1][2]"
    restates the question, and the items say it: kept. LoCoMo conv-26: "Yes, Caroline
    made the black and white bowl in the photo [1]", where Caroline only asks "Did you
    make it?": withheld. A bare "Yes [1]" says nothing the items could hold."""
    gina = message("D1:17", "Gina", "I used to compete in a few dance competitions and shows.")
    jon = message("D1:20", "Jon", "My crew won a dance competition at a local show last year.")
    shown = sources(gina, jon)
    hits = [s.hit for s in shown.values()]
    question = "Did Jon and Gina both participate in dance competitions?"
    draft = "Yes, both Jon and Gina participated in dance competitions [1][2]."
    answer = finalize(question, draft, shown, hits)
    assert answer.mode == "generative" and answer.text == draft, answer.notes
    bare = finalize(question, "Yes [1][2].", shown, hits)
    assert bare.mode != "generative"
    bowl = message(
        "D13:4",
        "Jon",
        "That bowl in the photo is gorgeous! The black and white design looks so fancy."
        " Did you make it?",
    )
    shown = sources(bowl)
    made = finalize(
        "Did Jon make the black and white bowl in the photo?",
        "Yes, Jon made the black and white bowl in the photo [1].",
        shown,
        [s.hit for s in shown.values()],
    )
    assert not (made.found and made.mode == "generative"), made.text
    assert any("only ask about" in note for note in made.notes), made.notes


def test_an_answer_that_asserts_what_no_item_retrieved_says_goes() -> None:
    """The question's premise word ("numbs") is in no item lifelog retrieved; a name
    the items write otherwise ("LeBron" for "LeBron James") is left to the premise
    check of names, and a form word ("describe") may be repeated."""
    games = message(
        "D8:4",
        "Gina",
        "I love fantasy movies, they're a great escape. Playing video games is fun too.",
    )
    lebron = message("D9:2", "Gina", "I really admire LeBron's work ethic and dedication.")
    shown = sources(games, lebron)
    hits = [s.hit for s in shown.values()]
    numbs = finalize(
        "Which activity helps Gina escape and numbs her mind?",
        "Playing video games helps Gina escape and numbs her mind [1].",
        shown,
        hits,
    )
    assert not (numbs.found and numbs.mode == "generative"), numbs.text
    admire = finalize(
        "What does Gina admire about LeBron James?",
        "Gina admires LeBron James' work ethic and dedication [2].",
        shown,
        hits,
    )
    assert admire.mode == "generative" and admire.found, admire.notes
    describe = finalize(
        "How does Gina describe video games?",
        "Gina describes playing video games as fun [1].",
        shown,
        hits,
    )
    assert describe.mode == "generative" and describe.found, describe.notes
