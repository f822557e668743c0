"""A lifetime at any size: twenty years of items, generated straight into a memory.

:func:`lifetime` streams ``count`` :class:`~lifelog.records.Item` values — chat
messages (60 %), mail (20 %), photos' metadata (10 %), calendar events (5 %) and
notes (5 %) — over 2006-2025, between the owner and 600 contacts whose
frequencies follow Zipf's law (a few people are in a large share of the life, as
in a real archive: the names that make word search slow). Items are short enough to
be one chunk each, so ``count`` items are about ``count`` chunks.

Everything comes from seeded RNGs, one per block of :data:`BLOCK` items, so a seed
and a count always give the same items, and a block can be made without the ones
before it. :func:`planted_facts` are :data:`FACT_COUNT` facts placed evenly through the
life at every size, each with a question: quality is measured at 100k and at 10M on
the same questions, among a hundred times more distractors.

Writing through :meth:`lifelog.store.Store.upsert_many` (:func:`fill`) skips the
export formats and parsers (measured elsewhere) and keeps the store's own chunking,
word index and encryption.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from ..records import Item

__all__ = [
    "BLOCK",
    "CONTACTS",
    "FACT_COUNT",
    "OWNER",
    "ScaleFact",
    "contacts",
    "lifetime",
    "planted_facts",
]

OWNER = "Sam Rivera"
BLOCK = 10_000
FACT_COUNT = 120
CONTACTS = 600
START = datetime(2006, 1, 1, tzinfo=UTC).timestamp()
END = datetime(2025, 12, 31, tzinfo=UTC).timestamp()

_FIRST = (
    "Maya Liam Noah Emma Olivia Ava Elijah Lucas Mia Amelia Harper Evelyn Mateo Levi Ezra "
    "Aria Luna Chloe Nora Zoe Leo Owen Jack Hugo Ines Rafael Priya Arjun Kenji Yuki Omar "
    "Layla Fatima Tariq Sofia Diego Lucia Pablo Anya Ivan Greta Lars Freya Nils Chiara "
    "Marco Elena Tomas Aisha Kwame Ada Tunde Mei Wei Hana Jun Dara Rosa Felix Iris"
).split()
_LAST = (
    "Okafor Lindqvist Moreau Tanaka Silva Novak Haddad Kowalski Brennan Castillo Rossi "
    "Nakamura Petrov Adeyemi Fischer Duarte Larsen Chen Gupta Murphy Schmidt Ortiz Varga "
    "Kim Dubois Costa Jensen Mendes Bauer Sato Nguyen Walsh Romano Ferreira Ito Kaur "
    "Abbott Holm Marsh Quinn"
).split()

#: topic -> words; a thread keeps to one topic, so its messages are alike in meaning
_TOPICS: dict[str, tuple[str, ...]] = {
    name: tuple(words.split())
    for name, words in {
        "garden": "garden tomatoes seeds soil compost roses hedge watering shed basil",
        "cooking": "recipe dinner oven pasta soup baking bread spices kitchen dessert",
        "travel": "flight airport hotel luggage passport train ticket beach museum tour",
        "work": "meeting deadline report project client manager budget slides office review",
        "health": "doctor appointment dentist pharmacy fever vitamins sleep clinic injury",
        "running": "marathon training shoes pace race stretching trail sprint knee miles",
        "music": "concert guitar album piano rehearsal band festival playlist lyrics drums",
        "movies": "cinema film trailer actor director sequel popcorn screening series",
        "school": "homework teacher exam classroom lesson grades library semester essay",
        "house": "apartment rent landlord plumber kitchen renovation paint furniture lease",
        "money": "savings mortgage taxes invoice salary insurance pension receipt bills",
        "family": "parents birthday cousins grandma wedding holidays reunion nephew aunt",
        "pets": "puppy kitten vet leash walk treats adoption litter collar grooming",
        "cars": "engine tyres mechanic garage parking fuel insurance license repair",
        "books": "novel chapter author reading bookshop poetry library memoir fiction",
        "sports": "football match stadium league tennis referee goal season tickets",
        "tech": "laptop phone update backup password router printer charger software",
        "weather": "storm rain snow heatwave umbrella forecast thunder sunshine frost",
        "food": "restaurant lunch brunch coffee bakery tacos sushi noodles market",
        "friends": "party drinks barbecue picnic games karaoke hangout dinner catchup",
        "study": "course lecture thesis professor research seminar notes deadline",
        "hobby": "painting pottery knitting photography chess climbing sketching yoga",
        "shopping": "groceries sale jacket shoes delivery returns order discount basket",
        "city": "bus subway traffic bike bridge neighbourhood park square downtown",
    }.items()
}
_GLUE = (
    "I think {a} and {b} are fine for now",
    "did you see the {a} yesterday",
    "we should talk about the {a} soon",
    "the {a} was better than the {b}",
    "can you bring the {a} on {day}",
    "not sure about the {a}, maybe next {day}",
    "just finished the {a}, the {b} took ages",
    "remember the {a} we had with {name}",
    "{name} said the {a} is sorted",
    "thanks for the {a}, really helpful",
    "the {a} is late again, typical",
    "let's sort the {a} and the {b} this week",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PLACES = (
    "Lisbon Porto Berlin Kyoto Oslo Madrid Dublin Vienna Prague Lyon Bergen Seville "
    "Krakow Ghent Turin Malmo Galway Bilbao"
).split()


@lru_cache(maxsize=1)
def contacts() -> tuple[str, ...]:
    """The owner's contacts, most frequent first (always the same 600 names)."""
    rng = random.Random(20060101)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < CONTACTS:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return tuple(names)


@lru_cache(maxsize=1)
def _contact_weights() -> tuple[float, ...]:
    """Cumulative Zipf weights (s = 1.1) of :func:`contacts`."""
    total, out = 0.0, []
    for rank in range(1, CONTACTS + 1):
        total += 1.0 / rank**1.1
        out.append(total)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ScaleFact:
    """A fact planted at ``position`` (the item's index in the life) and its question."""

    position: int
    item_id: str
    question: str
    needle: str
    #: the person the question names, if any
    person: str | None = None


# (fact text, question, what the answer holds): {p} a contact, {w} a place, {n} a number
_FACT_FORMS = (
    (
        "The new code for the storage unit in {w} is {n}.",
        "What is the storage unit code in {w}?",
        "{n}",
    ),
    (
        "{p} recommended the novel 'The Salt Orchard {n}' to me, it is wonderful.",
        "Which novel did {p} recommend?",
        "Salt Orchard {n}",
    ),
    (
        "{p} told me she is starting a job as a beekeeper in {w} next month.",
        "What job is {p} starting?",
        "beekeeper",
    ),
    (
        "We booked the cabin by the lake in {w} for the anniversary of {p}, booking {n}.",
        "Where did we book the cabin for the anniversary of {p}?",
        "{w}",
    ),
    (
        "My locker at the climbing gym in {w} is number {n}, top row.",
        "What is my locker number at the climbing gym in {w}?",
        "{n}",
    ),
    (
        "{p} is allergic to hazelnuts, never bring the praline cake again.",
        "What is {p} allergic to?",
        "hazelnuts",
    ),
)


def _fact_values(index: int, seed: int) -> tuple[str, dict[str, str]]:
    """The person a fact names and the values its text is filled with."""
    rng = random.Random(seed * 1_000_003 + index)
    person = contacts()[rng.randrange(40, CONTACTS)]  # someone not in every chat
    place = f"{rng.choice(_PLACES)} {index}"
    return person, {"p": person, "w": place, "n": str(rng.randrange(1000, 99999))}


def _fact_position(index: int, count: int) -> int:
    return int((index + 0.5) * count / FACT_COUNT)


def _fact_at(index: int, count: int, seed: int) -> ScaleFact:
    """The ``index``-th planted fact of a life of ``count`` items."""
    person, values = _fact_values(index, seed)
    _text, question, needle = _FACT_FORMS[index % len(_FACT_FORMS)]
    return ScaleFact(
        position=_fact_position(index, count),
        item_id=_fact_item(index, count, seed).id,
        question=question.format(**values),
        needle=needle.format(**values),
        person=person if "{p}" in question else None,
    )


def planted_facts(count: int, seed: int = 7) -> list[ScaleFact]:
    """The facts :func:`lifetime` plants in a life of ``count`` items (none under
    ``10 * FACT_COUNT`` items)."""
    if count < FACT_COUNT * 10:
        return []
    return [_fact_at(i, count, seed) for i in range(FACT_COUNT)]


def _fact_item(index: int, count: int, seed: int) -> Item:
    _person, values = _fact_values(index, seed)
    moment = START + (END - START) * _fact_position(index, count) / count
    return Item(
        source="notes",
        key=f"fact-{seed}-{index}",
        kind="note",
        text=_FACT_FORMS[index % len(_FACT_FORMS)][0].format(**values),
        timestamp=datetime.fromtimestamp(moment, UTC),
        author=OWNER,
        title="Note to self",
    )


def _sentence(rng: random.Random, topic: tuple[str, ...], names: tuple[str, ...]) -> str:
    form = _GLUE[int(rng.random() * len(_GLUE))]
    return form.format(
        a=topic[int(rng.random() * len(topic))],
        b=topic[int(rng.random() * len(topic))],
        day=_DAYS[int(rng.random() * 7)],
        name=names[int(rng.random() * 60)].split()[0],
    )


def _contact(rng: random.Random) -> str:
    from bisect import bisect

    weights = _contact_weights()
    return contacts()[min(CONTACTS - 1, bisect(weights, rng.random() * weights[-1]))]


def _block(number: int, count: int, seed: int) -> Iterator[Item]:
    """The items of block ``number`` (positions ``number * BLOCK`` on) of a life."""
    rng = random.Random(seed * 7919 + number)
    names = contacts()
    topics = tuple(_TOPICS.values())
    first, last = number * BLOCK, min(count, (number + 1) * BLOCK)
    planted = count >= FACT_COUNT * 10
    facts = {_fact_position(i, count): i for i in range(FACT_COUNT)} if planted else {}
    span = (END - START) / count
    for position in range(first, last):
        if position in facts:
            yield _fact_item(facts[position], count, seed)
            continue
        moment = datetime.fromtimestamp(START + span * (position + rng.random()), UTC)
        other = _contact(rng)
        topic = topics[(hash_name(other) + position // 500) % len(topics)]
        draw = rng.random()
        key = f"{seed}-{position}"
        if draw < 0.6:
            mine = rng.random() < 0.5
            text = _sentence(rng, topic, names)
            if rng.random() < 0.3:
                text += ". " + _sentence(rng, topic, names)
            yield Item(
                source="whatsapp",
                key=key,
                kind="message",
                text=text,
                timestamp=moment,
                author=OWNER if mine else other,
                participants=(OWNER, other),
                thread=f"chat:{other}",
            )
        elif draw < 0.8:
            body = ". ".join(_sentence(rng, topic, names) for _ in range(3 + int(rng.random() * 8)))
            yield Item(
                source="mail",
                key=key,
                kind="email",
                text=f"Hi {other.split()[0]},\n\n{body}.\n\nBest,\nSam",
                timestamp=moment,
                author=OWNER if rng.random() < 0.4 else other,
                participants=(OWNER, other),
                title=f"About the {topic[int(rng.random() * len(topic))]}",
                thread=f"mail:{position // 3}",
            )
        elif draw < 0.9:
            place = _PLACES[int(rng.random() * len(_PLACES))]
            yield Item(
                source="photos",
                key=key,
                kind="photo",
                text=f"Photo in {place} with {other}: {topic[int(rng.random() * len(topic))]}",
                timestamp=moment,
                author=OWNER,
                participants=(other,),
                title=f"IMG_{position:08d}.jpg",
            )
        elif draw < 0.95:
            yield Item(
                source="calendar",
                key=key,
                kind="event",
                text=f"{_sentence(rng, topic, names)} with {other}",
                timestamp=moment,
                author=OWNER,
                participants=(other,),
                title=f"{topic[0].title()} with {other.split()[0]}",
            )
        else:
            body = ". ".join(_sentence(rng, topic, names) for _ in range(2 + int(rng.random() * 5)))
            yield Item(
                source="notes",
                key=key,
                kind="note",
                text=body + ".",
                timestamp=moment,
                author=OWNER,
                title=f"Notes on {topic[int(rng.random() * len(topic))]}",
            )


def hash_name(name: str) -> int:
    """A small stable hash (Python's ``hash`` of a str changes per process)."""
    value = 0
    for char in name:
        value = (value * 131 + ord(char)) & 0xFFFFFF
    return value


def lifetime(count: int, seed: int = 7, *, start: int = 0) -> Iterator[Item]:
    """``count`` items of a life, from position ``start`` (a multiple of :data:`BLOCK`)."""
    if start % BLOCK:
        raise ValueError(f"start must be a multiple of {BLOCK}")
    for number in range(start // BLOCK, (count + BLOCK - 1) // BLOCK):
        yield from _block(number, count, seed)
