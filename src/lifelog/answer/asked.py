"""Does an answer give what the question's form asks for?

"When …" asks for a time, "How many …", "How often …" and "How long …" for an amount.
An answer whose words are all in its items may still give neither: "The family [6]"
for how often John takes his kids to the park, "The week before 16 July 2023 [1]" for
after how many weeks Tim met the fan again. And a span of time that ends before it
begins ("from 28 May 2024 to 16 August 2023", two items' dates put together) cannot be
right. These rules read the answer's words only; :mod:`.roles` checks whose value it
is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date

from ..index.text import tokens
from ..retrieval.dates import MONTHS, NUMBERS, WEEKDAYS
from ..retrieval.timeexpr import parse_time

__all__ = [
    "asks_about",
    "asks_amount",
    "asks_when",
    "count_holders",
    "count_unsaid",
    "runs_backwards",
    "says_no_amount",
    "says_no_time",
]

#: capitalised words that name a time, which items hold as dates, not words
_CALENDAR = frozenset(MONTHS) | frozenset(WEEKDAYS) | {"christmas", "easter"}

#: questions that ask for a time ("When did …", "What year …", "How long ago …")
_ASKS_WHEN = re.compile(
    r"^\s*(?:when\b|since when\b|until when\b|how long ago\b|"
    r"(?:what|which|in what|in which|on what|on which)\s+(?:date|day|year|month|week|"
    r"weekend|time of year|season)\b)",
    re.IGNORECASE,
)
#: words that say when by themselves, besides numbers and the calendar's names
_WHEN_SAID = frozenset(
    """yesterday today tonight tomorrow recently lately soon earlier later spring summer
    autumn fall winter christmas easter birthday holidays""".split()
)
#: a period that says when only as "last week", "next month", "two years ago" …
_WHEN_PERIOD = re.compile(
    r"\b(?:last|next|this|past|previous|following|same|that)\s+(?:\w+\s+)?"
    r"(?:day|week|weekend|month|year|morning|afternoon|evening|night|time)s?\b"
    r"|\b(?:day|week|weekend|month|year)s?\s+(?:ago|before|after|earlier|later)\b",
    re.IGNORECASE,
)


#: a question that asks what something was about ("What was the last email from Priya
#: about?"): the questions an item asks are what it is about
_ASKS_ABOUT = re.compile(r"(?i)^\s*what\b.*\babout\s*[?.!]*\s*$")


def asks_about(question: str) -> bool:
    """Whether ``question`` asks what something was about."""
    return _ASKS_ABOUT.match(question) is not None


def asks_when(question: str) -> bool:
    """Whether ``question`` asks when ("When did …", "Which week …", "How long ago …")."""
    return _ASKS_WHEN.match(question) is not None


def says_no_time(answer: str, question: str) -> str | None:
    """Why ``answer`` does not answer a question that asks when, or ``None``: it names no
    date, time or period at all ("The flat is in Campo de Ourique, … full of plants within
    a month [4]" for "When did I move to Lisbon?": a length of time is not a when)."""
    if not asks_when(question):
        return None
    answer = re.sub(r"\[\d+\]", " ", answer)  # a citation is no date
    words = set(tokens(answer))
    if any(any(c.isdigit() for c in w) for w in words) or words & (_CALENDAR | _WHEN_SAID):
        return None
    if _WHEN_PERIOD.search(answer):
        return None
    return "the question asks when, and the answer names no time"


#: a span of time an answer gives by its two ends ("from 28 May 2024 to 16 August 2023")
_RANGE = re.compile(
    r"\b(?:from|between)\s+(?P<first>[^.;!?\[\]]{3,40}?)\s+(?:to|until|till|through|and)\s+"
    r"(?P<last>[^.;!?\[\]]{3,40}?)(?=\s*(?:\[\d|[.;,!?]|$))",
    re.IGNORECASE,
)
#: a year said in full: an end without one is too vague to order
_YEAR_SAID = re.compile(r"\b(?:1[89]|2\d)\d\d\b")


def runs_backwards(answer: str) -> str | None:
    """Why ``answer`` cannot be right, or ``None``: it gives a span of time that ends
    before it begins ("The trip lasted from 28 May 2024 to 16 August 2023 [1][2]", two
    items' dates put together). Each end must be one date that retrieval's time reader
    understands on its own; anything vaguer is left alone."""
    for found in _RANGE.finditer(answer):
        ends = []
        for part in (found["first"], found["last"]):
            # with its year said, an end reads the same whatever day it is read on
            spans = parse_time(part, date(2000, 1, 1)).spans
            if len(spans) != 1 or not _YEAR_SAID.search(part):
                break
            ends.append(spans[0])
        else:
            if ends[1].until <= ends[0].since:
                return f"it gives a span of time that ends before it begins ({found.group()})"
    return None


#: questions that ask for an amount ("How many …", "After how many weeks …", "How often
#: …", "How long did …"; not "How long ago", which asks when, nor "How much", whose
#: answer may be a degree)
_ASKS_AMOUNT = re.compile(
    r"^\s*(?:(?:after|in|for|within)\s+)?how\s+(?:many|often|old|frequently|long(?!\s+ago\b))\b",
    re.IGNORECASE,
)
#: questions that ask for a count ("How many times …", "How many letters …"; not how
#: many days or years, which an item's dates may tell)
_ASKS_COUNT = re.compile(
    r"^\s*(?:(?:after|in|for|within)\s+)?how\s+many\s+(?!(?:days?|weeks?|weekends?|"
    r"months?|years?|hours?|minutes?)\b)",
    re.IGNORECASE,
)
#: words that tell an amount by themselves, besides numbers
_AMOUNT_SAID = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve fifteen twenty
    thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions dozen dozens half couple few several many multiple numerous lots
    lot once twice thrice none no every each daily weekly monthly yearly annually hourly
    nightly always often sometimes usually rarely seldom never frequently regularly
    occasionally constantly while ages forever since minute minutes hour hours day days
    week weeks weekend weekends month months year years decade decades lifetime all
    little more most less least whole entire""".split()
)


def asks_amount(question: str) -> bool:
    """Whether ``question`` asks how many, how often, how old or how long (not how long
    ago)."""
    return _ASKS_AMOUNT.match(question) is not None


def says_no_amount(answer: str, question: str) -> str | None:
    """Why ``answer`` does not answer a question that asks how many, how often or how
    long, or ``None``: it names no number, frequency or length of time at all ("The
    family [6]" for "How often does John take his kids to the park?")."""
    if not asks_amount(question):
        return None
    answer = re.sub(r"\[\d+\]", " ", answer)
    # one date is no amount: "The week before 16 July 2023" does not say after how many
    # weeks (while "3 years ago" says how many years ago, and two dates, from one to the
    # other, say how long)
    spans = parse_time(answer, date(2000, 1, 1)).spans
    if len(spans) == 1 and not re.search(r"(?i)\bago\b", spans[0].text):
        answer = answer[: spans[0].start] + " " + answer[spans[0].end :]
    words = set(tokens(answer))
    if any(any(c.isdigit() for c in w) for w in words) or words & _AMOUNT_SAID:
        return None
    return "the question asks for an amount, and the answer names none"


#: counts said in words, and in digits ("twice" is two)
_COUNTS = {
    "once": 1,
    "twice": 2,
    "thrice": 3,
    **{w: n for w, n in NUMBERS.items() if w not in ("a", "an", "couple", "few", "several")},
}


def _counts(text: str) -> set[int]:
    """The whole numbers ``text`` says, in digits or words (a year or a day's date too)."""
    found = set()
    for word in tokens(text):
        if word.isdigit():
            found.add(int(word))
        elif word in _COUNTS:
            found.add(_COUNTS[word])
    return found


def _undated_counts(text: str) -> set[int]:
    """The numbers ``text`` says outside its dates."""
    for span in reversed(parse_time(text, date(2000, 1, 1)).spans):
        text = text[: span.start] + " " + text[span.end :]
    return _counts(text)


def count_holders(answer: str, evidence: Mapping[int, str]) -> list[int]:
    """The items of ``evidence`` (number → text) that say a count ``answer`` gives."""
    given = _counts(re.sub(r"\[\d+\]", " ", answer))
    return [n for n, text in sorted(evidence.items()) if given & _undated_counts(text)]


def count_unsaid(
    answer: str, question: str, evidence: Sequence[str], derived: Collection[str] = ()
) -> str | None:
    """Why the count that answers "how many …" is not the items', or ``None``: no item
    the answer cites says it ("6 [6]" for how many letters Joanna received, where the
    6 is only in the item's date; "Three times [4][5]" for two walks, each told once).
    A small model miscounts; lifelog shows the count an item states, or a tool
    counted (``derived``), not one it made. Dates in the items do not count, nor does
    an answer that gives no number."""
    if not _ASKS_COUNT.match(question):
        return None
    given = _counts(re.sub(r"\[\d+\]", " ", answer))
    if not given:
        return None
    if given & _counts(" ".join(derived)):
        return None  # counted by a tool (the agent's count)
    if any(given & _undated_counts(text) for text in evidence):
        return None
    return f"no item it cites says {', '.join(str(n) for n in sorted(given))}: a count it made"
