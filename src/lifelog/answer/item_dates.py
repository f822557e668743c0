"""A date answer re-derived from what the item it cites says of the time.

A small model answering "when" copies the date a message was written ("June 27, 2023
[1]" for a message of 27 June that says "I just took my fam camping in the mountains
last week"), or cites the wrong message of the day. :func:`date_in_item_words` finds
the sentence of the items shown that speaks of the question and tells one relative time,
and gives that time resolved against its item's date (:mod:`.dates`), cited to it.

"How often" is asked the same way: "Once a week [1]" for a message that says "we go a
few times a week" is wrong about the one thing asked. :func:`often_in_item_words` gives
the cited item's own words for how often ("A few times a week [1]"), where it says one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..index.sentences import split_sentences, stem
from ..index.text import tokens
from ..retrieval.dates import MONTHS, WEEKDAYS
from .asked import asks_when
from .citations import CITATION, strip_citations
from .dates import day_name, relative_spans
from .facts import FREQUENCY, asked_kind
from .prompts import Source
from .roles import topic_words
from .support import verb_stem

__all__ = [
    "ITEM_DATE_NOTE",
    "ITEM_OFTEN_NOTE",
    "WHEN_TEXT",
    "DAY_WRITTEN_NOTE",
    "counted_unsaid",
    "date_in_item_words",
    "often_in_item_words",
]

#: the note on an answer whose counted date went back to the day its item was written
DAY_WRITTEN_NOTE = (
    "lifelog gave the day the cited item was written: it says no “last week” or the like"
)
#: the words around a date in an answer ("the weekend before 13 June 2023")
WHEN_TEXT = """the a an on in at of by around about early mid late before after last next this
    that weekend weekends week weeks month months year years day days ago"""

#: the note of an answer whose date :func:`date_in_item_words` took from its item
ITEM_DATE_NOTE = "lifelog took the date from the cited item's own words"
#: the note of an answer whose "how often" :func:`often_in_item_words` took from its item
ITEM_OFTEN_NOTE = "lifelog took how often from the cited item's own words"
_YEAR = re.compile(r"(?:19|20)\d\d")
#: the words of a date answer, as :func:`~lifelog.index.text.tokens` gives them
_DATE_WORDS = frozenset(tokens(WHEN_TEXT)) | frozenset(MONTHS) | frozenset(WEEKDAYS)


def date_in_item_words(
    question: str, text: str, sources: Mapping[int, Source], people: set[str]
) -> tuple[str, str] | None:
    """A date answer to a question that asks when, re-derived from what the one item it
    cites says of the time: (the answer, the item's words), or ``None``.

    "June 27, 2023 [1]" for a message of 27 June that says "I just took my fam camping
    in the mountains last week": a small model copies the message's date, or puts "last
    Fri" as "the weekend before". When the sentence of the item that speaks of the
    question (its topic words) holds one relative date, that date, resolved against the
    item's own (:mod:`.dates`), is the answer. When another item shown holds more of the
    question's topic words, and at least half of them, in a sentence that tells a time,
    the model cited the wrong item: that item's time is the answer, cited to it."""
    if not asks_when(question) or len(split_sentences(text)) != 1:
        return None
    cited = {int(n) for n in CITATION.findall(text)}
    if len(cited) != 1 or next(iter(cited)) not in sources:
        return None
    words = tokens(strip_citations(text))
    number = next(iter(cited))
    source = sources[number]
    if not words or source.hit.item.timestamp is None:
        return None
    written = source.hit.item.timestamp
    copied = str(written.day) in words and f"{written:%B}".lower() in words
    if any(not w.isdigit() and w not in _DATE_WORDS for w in words) and not copied:
        return None  # the answer says more than a date, and not the day it was written
    own = [text[a:b].lower() for a, b, _r in relative_spans(text, written.date())]
    topic = {stem(t) for t in topic_words(question, people)}
    # "when did Maria *start* volunteering": the start is what is dated
    topic |= {verb_stem(w) for w in tokens(question) if w in _ASPECT}
    best = _dated_sentence(source, topic)
    # when the cited item speaks of less than half the question, another item shown that
    # speaks of more, and at least half, in a sentence that tells a time, holds the time
    # the model meant ("hosting a dance competition next month" where it cited "a dance
    # comp near me next month")
    others: list[tuple[tuple[int, str, str], int]] = []
    held = len(topic & _stems(source.excerpt))
    # … and so it does when the cited item's sentence that tells a time speaks of less
    # than half ("Last week I won my second tournament!" for when Nate won a lot of
    # money in a video game tournament, where another says "I won a really big video
    # game tournament last week")
    if best is not None and best[0] * 2 < len(topic) <= held * 2:
        held = best[0]
    if held * 2 < len(topic):
        floor = max(2, (len(topic) + 1) // 2, held + 1)
        others = [
            (found, n)
            for n, other in sorted(sources.items())
            if n != number and (found := _dated_sentence(other, topic)) and found[0] >= floor
        ]
    if others:
        # the sentence that speaks of most of the question; between equals, the item
        # ("I won a really big video game tournament last week … I made so much money")
        def closeness(found: tuple[int, str, str], n: int) -> tuple[int, int]:
            return found[0], len(topic & _stems(sources[n].excerpt))

        most = max(closeness(found, n) for found, n in others)
        leading = [(found, n) for found, n in others if closeness(found, n) == most]
        if len({found[2] for found, _n in leading}) != 1:
            return None  # items as close to the question tell different times
        best, number = leading[0]
    elif any(said in source.excerpt.lower() for said in own):
        return None  # the item's own "3 years ago", as the model wrote it (resolve_relative)
    elif best is not None and _said_elsewhere(own, number, sources, topic) >= best[0]:
        # the model read its "last weekend" in another item that speaks of the question as
        # much: it cited the wrong one. One that speaks of it less does not count ("Last
        # weekend I joined a mentorship program", where the cited item says it went to
        # the LGBTQ conference "two days ago")
        return None
    if best is None:
        return None
    _held, spoken, resolved = best
    if _bare(words) == _bare(tokens(resolved)) and number in cited:
        return None  # the answer already says it (not "the week before" it)
    asked = [w for w in tokens(question) if (w in MONTHS and w != "may") or _YEAR.fullmatch(w)]
    if asked and not set(asked) & set(tokens(resolved)):
        return None  # "camping in July": the item's "last year" is another trip
    answer = f"{resolved[0].upper()}{resolved[1:]} [{number}]."
    return answer, spoken


def _dated_sentence(source: Source, topic: set[str]) -> tuple[int, str, str] | None:
    """The sentence of ``source`` that holds the most of the question's ``topic`` stems
    and says one relative time: (how many it holds, its words for the time, the time
    resolved against the item's date), or ``None``."""
    when = source.hit.item.timestamp
    if when is None:
        return None
    best: tuple[int, str, str] | None = None
    for start, end in split_sentences(source.excerpt):
        sentence = source.excerpt[start:end]
        held = len(topic & _stems(sentence))
        said = relative_spans(sentence, when.date())
        if held and said and (best is None or held > best[0]):
            times = {r for _a, _b, r in said}
            spoken = sentence[said[0][0] : said[0][1]]
            best = (held, spoken, times.pop() if len(times) == 1 else "")
    return best if best is not None and best[2] else None


def _said_elsewhere(
    own: Sequence[str], number: int, sources: Mapping[int, Source], topic: set[str]
) -> int:
    """How many of the question's ``topic`` stems the sentence holds that says one of the
    answer's relative dates (``own``) in a shown item other than ``number``, at most;
    -1 when no other item says them."""
    most = -1
    for n, source in sources.items():
        if n == number:
            continue
        for start, end in split_sentences(source.excerpt):
            sentence = source.excerpt[start:end]
            if any(said in sentence.lower() for said in own):
                most = max(most, len(topic & _stems(sentence)))
    return most


#: words that say which part of an event a question dates
_ASPECT = frozenset(
    "start started starting begin began begun first finish finished end ended".split()
)


def _stems(text: str) -> set[str]:
    """The stems of ``text``'s words, verbs also by their base form ("won": "win")."""
    words = tokens(text)
    return {stem(t) for t in words} | {verb_stem(t) for t in words}


def _bare(words: Sequence[str]) -> list[str]:
    """A date's words without the ones that only place it ("on", "the", "in")."""
    return [w for w in words if w not in ("on", "the", "in")]


def often_in_item_words(
    question: str, text: str, sources: Mapping[int, Source]
) -> tuple[str, str] | None:
    """A one-sentence answer to "how often" that cites one item and says another
    frequency than that item's, with the item's in its place: (the answer, the item's
    words), or ``None``.

    "Once a week [1]" where the message says "Yeah, we go a few times a week" gives "A
    few times a week [1]". Only when the item says one frequency (however often it
    repeats it) and the answer says one: an answer or an item that names several is left
    to the support check."""
    if asked_kind(question) != "often" or len(split_sentences(text)) != 1:
        return None
    cited = {int(n) for n in CITATION.findall(text)}
    if len(cited) != 1 or next(iter(cited)) not in sources:
        return None
    excerpt = sources[next(iter(cited))].excerpt
    written = {_spaced(m.group()): m.group() for m in FREQUENCY.finditer(excerpt)}
    said = list(FREQUENCY.finditer(text))
    if len(written) != 1 or len(said) != 1:
        return None
    found = said[0]
    if _spaced(found.group()) in written:
        return None  # the item's own words already
    spoken = next(iter(written.values()))
    put = spoken[:1].upper() + spoken[1:] if found.group()[:1].isupper() else spoken.lower()
    return text[: found.start()] + put + text[found.end() :], spoken


def _spaced(words: str) -> str:
    return " ".join(words.lower().split())


#: a date counted back or on from a day ("the weekend before 20 July 2023")
_COUNTED = re.compile(
    r"(?i)\bthe\s+(?:\w+\s+){0,2}?(?:before|after)\s+\d{1,2}\s+[A-Za-z]+\s+\d{4}\b"
)


def counted_unsaid(text: str, sources: Mapping[int, Source]) -> tuple[str, int, str | None]:
    """``text`` with each date counted from its cited item's day that the item does not
    say put back to that day, how many were, and why the answer must go instead, or
    ``None``.

    "The weekend before 20 May 2022 [1]" is the item's own "last weekend" resolved;
    when the item says no relative date at all ("I just got a new addition to the
    family, this is Max!"), the model counted it, and the day the item was written is
    what the item tells: "20 May 2022 [1]". When the items the sentence cites say other
    relative dates ("our camping trip last year", for a camping trip in July), the
    counted date is not theirs and the answer goes; so it does when it counts from
    another day than the item's."""
    pieces: list[str] = []
    last = mended = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        cited = [sources[n] for n in map(int, CITATION.findall(sentence)) if n in sources]
        days = {s.hit.item.timestamp.date() for s in cited if s.hit.item.timestamp is not None}
        if not cited or not days:
            continue
        said = {
            resolved.lower()
            for source in cited
            if source.hit.item.timestamp is not None
            for _a, _b, resolved in relative_spans(source.excerpt, source.hit.item.timestamp.date())
        }
        for match in _COUNTED.finditer(sentence):
            counted = match.group(0)
            if counted.lower() in said:
                continue
            day = next(iter(days))
            if said or len(days) != 1 or not counted.lower().endswith(day_name(day).lower()):
                return text, mended, f"no item it cites says “{counted}” (it counts a date itself)"
            pieces.append(text[last : start + match.start()])
            pieces.append(day_name(day))
            last = start + match.end()
            mended += 1
    pieces.append(text[last:])
    return "".join(pieces), mended, None
