"""The person, the people around them, and the facts planted in their archive.

Sam Rivera lives in Boston, moves to Lisbon on 14 March 2021, leaves Contoso
Analytics for Northwind Labs on 1 September 2022, goes camping in Peneda-Gerês
with Priya in June 2023, gave up coffee for tea in January 2020 and, after
years as a vegetarian, eats fish again since June 2022.

Each :class:`Fact` names the one file and the one item (by a ``needle``, a
distinctive substring of that item's text) that answers its question, so a
demo or a test can check that an answer cites the right evidence. The sentence
holding a fact is self-contained and carries every content word of the
question, so plain extractive sentence selection can answer it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .clock import epoch

__all__ = [
    "DEMO_QUESTIONS",
    "FACTS",
    "PLANTED_SECRET",
    "Fact",
    "Person",
    "SAM",
    "SOURCES",
]

#: a distinctive string planted in one note and one mail (encryption tests grep for it)
PLANTED_SECRET = "zebra-quartz-77-lighthouse"

SOURCES = ("mbox", "whatsapp", "chatgpt", "notes")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Fact:
    """A question about the sample life and where its answer is planted.

    ``expected`` holds answer keywords with *all-of* semantics: an answer is
    right when it contains every keyword, compared case- and accent-insensitively
    (see :meth:`answered_by`). ``needle`` is a distinctive substring of the text
    of the single item that states the fact; ``file`` is that item's file,
    relative to the sample life's root (for a ``.zip`` chat export, the fact is
    in its ``_chat.txt``).
    """

    question: str
    expected: tuple[str, ...]
    needle: str
    source: str
    file: str

    def answered_by(self, text: str) -> bool:
        folded = _fold(text)
        return all(_fold(keyword) in folded for keyword in self.expected)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    zone: str


SAM = Person("Sam Rivera", "sam.rivera@example.org", "America/New_York")
ELENA = Person("Elena Rivera", "elena.rivera@example.com", "America/New_York")
LEO = Person("Leo Rivera", "leo.rivera@example.net", "America/New_York")
PRIYA = Person("Priya Shah", "priya.shah@example.net", "Europe/London")
MARCUS = Person("Marcus Bell", "marcus.bell@example.com", "America/New_York")
HANNAH = Person("Hannah Okafor", "hannah.okafor@example.com", "America/Los_Angeles")
DEV = Person("Dev Patel", "dev.patel@example.net", "Asia/Kolkata")
JOANA = Person("Joana Almeida", "joana.almeida@example.pt", "Europe/Lisbon")
TOMAS = Person("Tomás Ferreira", "tomas.ferreira@example.pt", "Europe/Lisbon")
RACHEL = Person("Rachel Kim", "rachel.kim@contoso.example.com", "America/New_York")
BEN = Person("Ben Hughes", "ben.hughes@contoso.example.com", "America/New_York")
INES = Person("Inês Duarte", "ines.duarte@northwind.example.com", "Europe/Lisbon")
KARL = Person("Karl Weber", "karl.weber@northwind.example.com", "Europe/Berlin")
NORTHWIND_HR = Person("Northwind Labs People Team", "people@northwind.example.com", "Europe/Lisbon")
STORAGE = Person("Lisbon Self Storage", "info@selfstorage.example.pt", "Europe/Lisbon")

FAMILY = (ELENA, LEO)
OLD_FRIENDS = (PRIYA, MARCUS, HANNAH, DEV)
LISBON_FRIENDS = (JOANA, TOMAS)
OLD_COLLEAGUES = (RACHEL, BEN)
NEW_COLLEAGUES = (INES, KARL)

#: the move to Lisbon (Sam's mail clock switches zone here) and the job change
MOVE_UTC = epoch(2021, 3, 14, 15)
JOB_UTC = epoch(2022, 9, 1, 8)
#: Miso the cat arrives (filler mentions her only from here on)
MISO_UTC = epoch(2021, 5, 2, 12)
#: WhatsApp and ChatGPT begin here
CHATGPT_START = epoch(2023, 1, 10)


def sam_zone(utc: int) -> str:
    return "America/New_York" if utc < MOVE_UTC else "Europe/Lisbon"


def friends_at(utc: int) -> tuple[Person, ...]:
    return FAMILY + OLD_FRIENDS + (LISBON_FRIENDS if utc >= MOVE_UTC else ())


def colleagues_at(utc: int) -> tuple[Person, ...]:
    return OLD_COLLEAGUES if utc < JOB_UTC else NEW_COLLEAGUES


# -- the sentences that state the facts (planted verbatim by the generators) ---------

MOVE_SENTENCE = (
    "Big news: I'm making the move from Boston to Lisbon on 14 March 2021 - one-way ticket booked!"
)
JOB_SENTENCE = (
    "Quick update: I work at Northwind Labs now - I started there as a senior data engineer "
    "on 1 September 2022, after four years at Contoso Analytics."
)
START_SENTENCE = (
    "We are delighted to confirm your start date at Northwind Labs: Thursday, 1 September 2022."
)
CAMPING_SENTENCE = (
    "It's booked! We go camping at Peneda-Gerês National Park from 16 to 18 June 2023, "
    "I reserved the pitch by the river."
)
COFFEE_SENTENCE = (
    "No, I don't drink coffee anymore: I switched from coffee to green tea in January 2020."
)
WEDDING_SENTENCE = (
    "Everyone, save the date: Leo's wedding is on 12 October 2024 in Providence, "
    "book your flights early!"
)
MEAT_SENTENCE = (
    "I was vegetarian for twelve years; since June 2022 I eat fish again, "
    "but I still don't eat meat."
)
MISO_SENTENCE = (
    "We went to a Lisbon animal shelter to adopt Miso, a grey tabby kitten, on 2 May 2021."
)
BIRTHDAY_SENTENCE = "Priya's birthday is on 9 November; she was born in 1991 in Leicester."
PASSPORT_SENTENCE = "My passport expires on 22 August 2027, so renew it by February 2027."
SECRET_MAIL_SENTENCE = f"Your access code for unit 214 is {PLANTED_SECRET}."
SECRET_NOTE_SENTENCE = f"Storage unit 214 access code: {PLANTED_SECRET}"

# -- where they live ------------------------------------------------------------------

MAIL_ARCHIVE = "mail/archive.mbox"
MAIL_SENT = "mail/Sent.mbox"
CHAT_PRIYA = "whatsapp/WhatsApp Chat with Priya Shah.txt"
CHAT_ELENA = "whatsapp/WhatsApp Chat with Elena Rivera.txt"
CHAT_FAMILY = "whatsapp/WhatsApp Chat - Rivera Family.zip"
CHATGPT = "chatgpt/conversations.json"
NOTE_PRIYA = "notes/Priya Shah.md"
NOTE_DOCUMENTS = "notes/Documents.md"
NOTE_STORAGE = "notes/Storage unit.md"

FACT_MOVE = Fact(
    question="When did I move to Lisbon?",
    expected=("14 March 2021",),
    needle="move from Boston to Lisbon on 14 March 2021",
    source="mbox",
    file=MAIL_SENT,
)
FACT_JOB = Fact(
    question="Where do I work now?",
    expected=("Northwind Labs",),
    needle="I work at Northwind Labs now",
    source="mbox",
    file=MAIL_SENT,
)
FACT_START = Fact(
    question="When did I start at Northwind Labs?",
    expected=("1 September 2022",),
    needle="your start date at Northwind Labs: Thursday, 1 September 2022",
    source="mbox",
    file=MAIL_ARCHIVE,
)
FACT_CAMPING = Fact(
    question="Where did we go camping in 2023?",
    expected=("Peneda-Gerês",),
    needle="We go camping at Peneda-Gerês National Park from 16 to 18 June 2023",
    source="whatsapp",
    file=CHAT_PRIYA,
)
FACT_COFFEE = Fact(
    question="Do I still drink coffee?",
    expected=("tea",),
    needle="I switched from coffee to green tea in January 2020",
    source="whatsapp",
    file=CHAT_ELENA,
)
FACT_WEDDING = Fact(
    question="When is Leo's wedding?",
    expected=("12 October 2024",),
    needle="Leo's wedding is on 12 October 2024 in Providence",
    source="whatsapp",
    file=CHAT_FAMILY,
)
FACT_MEAT = Fact(
    question="Do I still eat meat?",
    expected=("fish",),
    needle="since June 2022 I eat fish again, but I still don't eat meat",
    source="chatgpt",
    file=CHATGPT,
)
FACT_MISO = Fact(
    question="When did we adopt Miso?",
    expected=("2 May 2021",),
    needle="to adopt Miso, a grey tabby kitten, on 2 May 2021",
    source="chatgpt",
    file=CHATGPT,
)
FACT_BIRTHDAY = Fact(
    question="When is Priya's birthday?",
    expected=("9 November",),
    needle="Priya's birthday is on 9 November",
    source="notes",
    file=NOTE_PRIYA,
)
FACT_PASSPORT = Fact(
    question="When does my passport expire?",
    expected=("22 August 2027",),
    needle="My passport expires on 22 August 2027",
    source="notes",
    file=NOTE_DOCUMENTS,
)

FACTS: tuple[Fact, ...] = (
    FACT_MOVE,
    FACT_JOB,
    FACT_START,
    FACT_CAMPING,
    FACT_COFFEE,
    FACT_WEDDING,
    FACT_MEAT,
    FACT_MISO,
    FACT_BIRTHDAY,
    FACT_PASSPORT,
)

#: the storage unit's access code: a number (the unit's, 214) stands beside it in both
#: items that hold it, so an answer must give the value of the role asked for
FACT_STORAGE = Fact(
    question="What is the access code for my storage unit?",
    expected=(PLANTED_SECRET,),
    needle=PLANTED_SECRET,
    source="notes",
    file=NOTE_STORAGE,
)

#: the questions ``lifelog demo`` asks: one per source, the job question, and the
#: storage unit's code (not in :data:`FACTS`: its answer is in two items, a mail and a note)
DEMO_QUESTIONS: tuple[Fact, ...] = (
    FACT_MOVE,
    FACT_JOB,
    FACT_CAMPING,
    FACT_BIRTHDAY,
    FACT_MEAT,
    FACT_STORAGE,
)
