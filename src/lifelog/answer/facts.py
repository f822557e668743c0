"""The short fact a quote answers: the date for "when", the number for "how many", how
often for "how often", the place for "where", the name for "who".

The extractive answerer leads with it, so that even without a generative model an
answer starts with what was asked ("14 March 2021"), and the quote it was read from
follows. Every fact is a span of the quoted sentence, never made up; a question
whose form asks for none of these, or a sentence that holds none, gives ``None``.
"""

from __future__ import annotations

import re
from datetime import date

from .dates import day_name, relative_date

__all__ = ["FREQUENCY", "asked_kind", "short_fact"]

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|(?:early|mid|late\s+)?{_MONTH}\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|(?:in|since|from)\s+\d{4})\b"
)
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)?(?:\s*(?:%|[a-zA-Z]+))?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|dozen)\b"
    r"(?:\s+[a-zA-Z]+)?",
    re.I,
)
_TIMES = (
    r"(?:once|twice|thrice|(?:a\s+)?(?:few|couple(?:\s+of)?)\s+times|(?:several|many)\s+times"
    r"|(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+times)"
)
_PERIOD = r"(?:day|night|morning|evening|week|weekend|month|year|season)"
#: how often something happens, as people say it: "a few times a week", "once or twice a
#: year", "at least once a week", "every other weekend", "every Sunday", "daily"
FREQUENCY = re.compile(
    r"\b(?:(?:at\s+least|at\s+most|about|around|roughly|almost|nearly|usually)\s+)?"
    rf"(?:{_TIMES}(?:\s+or\s+{_TIMES})?\s+(?:a|an|per|each|every)\s+{_PERIOD}"
    rf"|every\s+(?:other\s+|few\s+|single\s+)?(?:{_PERIOD}s?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)"
    r"|daily|weekly|monthly|yearly|annually|nightly)\b",
    re.I,
)
_NAME = r"[A-Z][\w'’-]+(?:[ -](?:de |da |do |van |von )?[A-Z][\w'’-]+)*"
_PLACE = re.compile(rf"\b(?:in|at|to|from|near)\s+(?:the\s+)?({_NAME})")
_PERSON = re.compile(rf"\b({_NAME})")
_FORMS = (
    ("when", re.compile(r"^\s*(?:when|what (?:date|day|year|month|time)|since when)\b", re.I)),
    ("often", re.compile(r"^\s*how (?:often|frequently)\b", re.I)),
    ("number", re.compile(r"^\s*(?:how (?:many|much|long|old|far))\b", re.I)),
    ("place", re.compile(r"^\s*(?:where|what (?:city|country|town|place))\b", re.I)),
    ("person", re.compile(r"^\s*(?:who|whom|whose)\b", re.I)),
)


def asked_kind(question: str) -> str | None:
    """``when``, ``often``, ``number``, ``place``, ``person`` or ``None``, by the
    question's form."""
    for kind, pattern in _FORMS:
        if pattern.search(question):
            return kind
    return None


def short_fact(question: str, sentence: str, when: date | None = None) -> str | None:
    """The span of ``sentence`` that answers ``question``'s form, or ``None``.

    For "when", ``when`` (the day the sentence was written) resolves what the sentence
    says relative to it ("last Friday" → "the Friday before 15 July 2023"); a sentence
    that tells no time at all is dated by the day it was written."""
    kind = asked_kind(question)
    if kind is None:
        return None
    asked = set(re.findall(r"[\w'’-]+", question.lower()))
    if kind == "when":
        match = _DATE.search(sentence)
        if match:
            return match.group(0)
        if when is None:
            return None
        return relative_date(sentence, when) or f"{day_name(when)}, the day it was written"
    if kind == "often":
        match = FREQUENCY.search(sentence)
        if match:
            return match.group(0)
        kind = "number"  # "we go 3 times" says how often without a period
    if kind == "number":
        for match in _NUMBER.finditer(sentence):
            if match.group(0).split()[0].lower() not in asked:
                return match.group(0)
        return None
    pattern = _PLACE if kind == "place" else _PERSON
    for match in pattern.finditer(sentence):
        found = match.group(1)
        start = match.start(1)
        if kind == "person" and start == 0:
            continue  # a capital that only opens the sentence
        if not {w.lower() for w in found.split()} <= asked:
            return found
    return None
