"""Questions that ask for the last, the first or the next time, on a real encrypted
store: the form read from the question, the items put in time order, the extractive
answer, and what a model is shown (the model scripted: the only double here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lifelog import Item, Memory
from lifelog.answer.generate import BY_DATE_NOTE, IN_ORDER_NOTE, ask_events
from lifelog.models.llm import Message
from lifelog.models.testing import ScriptedLLM
from lifelog.records import Answer
from lifelog.retrieval.recency import asks_order, from_them

NOW = datetime(2024, 12, 30, 12, tzinfo=UTC)
ME = "Joana Almeida"
PRIYA = "Priya Shah"


@pytest.mark.parametrize(
    ("question", "order", "rest"),
    [
        ("When did I last talk to Priya?", "newest", "When did I talk to Priya?"),
        ("when did i last talk to priya", "newest", "when did i talk to priya"),
        ("When was the last time I saw Tom?", "newest", "When was I saw Tom?"),
        ("When did Priya and I last meet?", "newest", "When did Priya and I meet?"),
        (
            "What was the last email from Priya about?",
            "newest",
            "What was the email from Priya about?",
        ),
        (
            "What was my most recent dentist appointment?",
            "newest",
            "What was my dentist appointment?",
        ),
        ("What did Priya say last?", "newest", "What did Priya say ?"),
        ("When did I first meet Tom?", "oldest", "When did I meet Tom?"),
        ("What was the first message Tom sent me?", "oldest", "What was the message Tom sent me?"),
        ("What did Hannah send me last?", "newest", "What did Hannah send me ?"),
        ("When was I last in touch with Dev?", "newest", "When was I in touch with Dev?"),
        ("When will I next see Priya?", "upcoming", "When will I see Priya?"),
        ("When is my next dentist appointment?", "upcoming", "When is my dentist appointment?"),
        ("What are my upcoming trips?", "upcoming", "What are my trips?"),
    ],
)
def test_the_form_that_asks_for_an_order(question: str, order: str, rest: str) -> None:
    assert asks_order(question) == (order, rest)


@pytest.mark.parametrize(
    "question",
    [
        "What is my last name?",
        "How long did the trip last?",
        "Who did I meet at last?",
        "What genre is Joanna's first screenplay?",
        "When did Nate win his first video game tournament?",
        "When did John have his first firefighter call-out?",
        "What kind of dance piece did Gina's team perform to win first place?",
        "when did nate win his first video game",
        "What did I do the next day?",
        "Where will we go next?",
    ],
)
def test_a_last_or_first_that_is_the_topic_asks_no_order(question: str) -> None:
    assert asks_order(question) == (None, question)


def test_what_they_sent_and_what_was_exchanged() -> None:
    assert from_them("What was the last email from Priya about?", ("priya",))
    assert from_them("When did Priya last write?", ("priya",))
    assert not from_them("When did I last talk to Priya?", ("priya",))
    assert not from_them("When did I last email Priya?", ("priya",))


#: (source, key, kind, author, title, text, when, participants): a chat with Priya, her
#: mail, a calendar, notes
_ITEMS: list[tuple[str, str, str, str | None, str | None, str, datetime, tuple[str, ...]]] = [
    # the export's notice: dated, in the chat, by no one
    ("whatsapp", "0", "message", None, None, "Messages and calls are end-to-end encrypted.",
     datetime(2019, 1, 6, tzinfo=UTC), (ME, PRIYA)),
    ("whatsapp", "1", "message", PRIYA, None, "Can you send me the photos from Montreal?",
     datetime(2019, 1, 12, tzinfo=UTC), (ME, PRIYA)),
    ("whatsapp", "2", "message", ME, None, "Sure, tonight!",
     datetime(2019, 1, 12, 11, tzinfo=UTC), (ME, PRIYA)),
    # the words "last" and "talk" in an old message
    ("whatsapp", "3", "message", PRIYA, None, "We should talk about the last episode of Andor",
     datetime(2019, 3, 26, tzinfo=UTC), (ME, PRIYA)),
    ("whatsapp", "4", "message", ME, None, "Happy birthday! 🎂",
     datetime(2023, 11, 9, tzinfo=UTC), (ME, PRIYA)),
    ("whatsapp", "5", "message", PRIYA, None, "Спасибо, до воскресенья!",
     datetime(2024, 12, 24, 20, tzinfo=UTC), (ME, PRIYA)),
    # a calendar entry with Priya next year: not the last time
    ("ical", "e1", "event", None, "Dinner with Priya", "Dinner with Priya at Taberna",
     datetime(2025, 2, 1, 19, tzinfo=UTC), (ME, PRIYA)),
    # mail: Priya's own, and Sam's reply that quotes her (Priya among its people)
    ("mbox", "m1", "email", PRIYA, "Quick question",
     "Dear Joana,\n\nDo you still have the tent we borrowed?\n\nPriya",
     datetime(2024, 8, 29, 15, tzinfo=UTC), (PRIYA, ME)),
    ("mbox", "m2", "email", "Sam Rivera", "Re: Quick question",
     "Hi both, I think the tent is in my garage.",
     datetime(2024, 9, 2, 9, tzinfo=UTC), ("Sam Rivera", PRIYA, ME)),
    # a firm whose name holds a place
    ("mbox", "f1", "email", "Lisbon Self Storage", "Your invoice",
     "Your invoice for November is attached.",
     datetime(2024, 11, 1, tzinfo=UTC), ("Lisbon Self Storage", ME)),
    ("notes", "l1", "note", ME, None, "Flew back to Lisbon after the conference.",
     datetime(2023, 3, 2, tzinfo=UTC), ()),
    # the dentist, three times, one of them still to come
    ("mbox", "d1", "email", "Smile Clinic", "Your dentist appointment",
     "Your dentist appointment is confirmed for 3 May 2021.",
     datetime(2021, 4, 20, tzinfo=UTC), ()),
    ("notes", "d2", "note", ME, None, "Went to the dentist today, one filling.",
     datetime(2023, 6, 14, tzinfo=UTC), ()),
    ("ical", "d3", "event", None, "Dentist", "Dentist check-up at Smile Clinic",
     datetime(2025, 1, 15, 9, tzinfo=UTC), ()),
]  # fmt: skip


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    items = [
        Item(
            source=source,
            key=key,
            kind=kind,
            author=author,
            title=title,
            text=text,
            timestamp=when,
            participants=people,
            thread="chat-priya" if source == "whatsapp" else None,
        )
        for source, key, kind, author, title, text, when, people in _ITEMS
    ]
    with Memory.init(tmp_path / "memory") as opened:
        opened.store.upsert(items, origin=None, run_id=None)
        yield opened


def _keys(memory: Memory, question: str, limit: int = 3) -> list[str]:
    return [h.item.key for h in memory.retrieve(question, now=NOW, limit=limit)]


def test_the_last_time_with_a_person_is_their_newest_item_before_now(memory: Memory) -> None:
    hits = memory.retrieve("When did I last talk to Priya?", now=NOW, limit=3)
    # not the message that says "last" and "talk", nor next year's dinner
    assert [h.item.key for h in hits] == ["5", "m2", "m1"]
    assert hits[0].why == ("the newest with Priya Shah",)
    assert [i.key for i in hits[0].context] == ["4"]
    # typed in lower case, the same; and in other words of keeping in touch
    assert _keys(memory, "when did i last talk to priya") == ["5", "m2", "m1"]
    assert _keys(memory, "When was I last in touch with Priya?") == ["5", "m2", "m1"]


def test_the_first_time_skips_the_notice_no_one_wrote(memory: Memory) -> None:
    assert _keys(memory, "When did I first talk to Priya?", limit=2) == ["1", "2"]


def test_what_a_person_sent_is_what_they_wrote(memory: Memory) -> None:
    # Sam's reply is newer and holds Priya among its people; she wrote m1
    assert _keys(memory, "What was the last email from Priya about?", limit=1) == ["m1"]
    # "email" names the kind of item: chats are left out
    assert _keys(memory, "When did I last email Priya?", limit=2) == ["m2", "m1"]


def test_the_last_time_of_a_thing_is_the_newest_item_about_it(memory: Memory) -> None:
    assert _keys(memory, "When did I last go to the dentist?", limit=2) == ["d2", "d1"]
    assert _keys(memory, "When did I first go to the dentist?", limit=1) == ["d1"]
    # without the form, the best match leads, whatever its date
    plain = memory.retrieve("dentist check-up", now=NOW, limit=1)
    assert plain[0].item.key == "d3"


def test_the_extractive_answer_gives_the_day_and_quotes_the_item(memory: Memory) -> None:
    answer = memory.ask("When did I last talk to Priya?", model="none", now=NOW)
    assert answer.found
    lines = answer.text.splitlines()
    assert lines[0] == "24 December 2024 [1]"
    assert "Спасибо, до воскресенья!" in lines[1]
    assert answer.citations[0].item.key == "5"
    mail = memory.ask("What was the last email from Priya about?", model="none", now=NOW)
    # the subject, then the letter's first sentence, not its greeting
    assert mail.text.splitlines()[0] == "“Quick question” [1]"
    assert "Do you still have the tent we borrowed?" in mail.text


def test_the_next_time_is_the_first_item_to_come(memory: Memory) -> None:
    # the dinner is an event with no author: "next" takes it as it is
    assert _keys(memory, "When will I next see Priya?", limit=1) == ["e1"]
    assert _keys(memory, "When is my next dentist appointment?", limit=1) == ["d3"]
    answer = memory.ask("When will I next see Priya?", model="none", now=NOW)
    assert answer.text.splitlines()[0] == "1 February 2025 [1]"


def test_a_place_in_a_firm_s_name_is_no_person_to_keep_in_touch_with(memory: Memory) -> None:
    # "Lisbon" names the firm "Lisbon Self Storage", but the question asks of a place
    assert _keys(memory, "When did I last go to Lisbon?", limit=1) == ["l1"]
    assert _keys(memory, "When did I last hear from Lisbon Self Storage?", limit=1) == ["f1"]


def _ask(memory: Memory, question: str, llm: ScriptedLLM) -> Answer:
    events = list(ask_events(memory, question, llm=llm, now=NOW))
    answer = events[-1].answer
    assert isinstance(answer, Answer)
    return answer


def _prompt(messages: list[Message]) -> str:
    return str(messages[-1].get("content") or "")


def test_a_model_is_not_asked_the_day_of_the_last_time(memory: Memory) -> None:
    # the 1.5B model answered "Sunday [1]" from "what about Sunday?"
    llm = ScriptedLLM(["Sunday [1]"])
    answer = _ask(memory, "When did I last talk to Priya?", llm)
    assert answer.text.splitlines()[0] == "24 December 2024 [1]"
    assert BY_DATE_NOTE in answer.notes
    assert llm.calls == []


def test_the_last_email_is_shown_alone_and_from_its_start(memory: Memory) -> None:
    llm = ScriptedLLM(["Whether Joana still has the tent they borrowed [1]."])
    answer = _ask(memory, "What was the last email from Priya about?", llm)
    shown = _prompt(llm.calls[0])
    assert "[1]" in shown and "[2]" not in shown
    assert "Dear Joana" in shown and "Do you still have the tent" in shown
    assert answer.citations[0].item.key == "m1"


def test_the_model_is_told_which_sources_are_in_time_order(memory: Memory) -> None:
    llm = ScriptedLLM(["On 14 June 2023 [1]."])
    _ask(memory, "When did I last go to the dentist?", llm)
    shown = _prompt(llm.calls[0])
    assert "Sources [1]–[2] are in time order, the newest first." in shown
    assert shown.index("Went to the dentist today") < shown.index("confirmed for 3 May 2021")
    plain = ScriptedLLM(["On 14 June 2023 [1]."])
    _ask(memory, "Did I go to the dentist?", plain)
    assert "time order" not in _prompt(plain.calls[0])


def test_a_model_answer_not_kept_gives_way_to_the_person_s_item(memory: Memory) -> None:
    # the 1.5B model answered Priya's question with a question; her message is the answer
    llm = ScriptedLLM(["Спасибо, до воскресенья? [1]"])
    answer = _ask(memory, "What did Priya say last?", llm)
    assert answer.found
    assert answer.text.splitlines()[0].startswith("“Спасибо, до воскресенья!”")
    assert IN_ORDER_NOTE in answer.notes
