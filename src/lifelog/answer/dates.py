"""Relative dates in an answer, resolved against the item they were read from.

A message of 9 June 2023 that says "last week" means the week before 9 June 2023,
not the week before today; small models copy the words and leave the reader to do the
arithmetic. This is lifelog's date tool for answers: each sentence's relative
expressions ("yesterday", "last week", "last Friday", "two years ago", "this month")
are rewritten against the date of the one item the sentence cites, exactly where the
arithmetic is exact (``yesterday`` → ``8 June 2023``) and as a span where it is not
(``last week`` → ``the week before 9 June 2023``). A named day is one of those: "last
Friday", said on a Saturday, is the day before for some writers and the Friday of the
week before for others, so it becomes ``the Friday before 10 June 2023``, which is what
the item says and no more. A sentence citing items of different days is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from ..index.sentences import split_sentences
from ..retrieval.dates import MONTHS, NUMBERS, SEASONS, WEEKDAYS
from ..retrieval.timeexpr import parse_time
from .citations import CITATION

__all__ = ["day_name", "relative_date", "relative_dates", "relative_spans", "resolve_relative"]

_DAYS = sorted(WEEKDAYS, key=WEEKDAYS.__getitem__)
_NUMBERS = {**NUMBERS, "a few": 3, "a couple of": 2, "couple of": 2}
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_RELATIVE = re.compile(
    r"\b(?P<expr>yesterday|today|tonight|this morning|this evening|the day before yesterday"
    r"|(?:last|this past|past) (?P<unit>week|weekend|month|year|summer|winter|spring|autumn|fall)"
    r"|(?:last|this past) (?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?"
    r"|this (?P<this>week|weekend|month|year)"
    r"|next (?P<next>week|weekend|month|year|monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday)"
    r"|(?P<count>\d+|a few|a couple of|couple of|an?|one|two|three|four|five|six|seven|eight"
    r"|nine|ten) (?P<span>day|week|month|year)s? ago"
    # a day of no month, "on the 15th": the one nearest the day it was written; only
    # after a preposition of time, or alone as an answer ("The 15th [4].")
    r"|(?:(?<=\bon )|(?<=\bby )|(?<=\buntil )|(?<=\btill )|(?<=\bsince )|(?<=^)|(?<=\n))"
    r"the (?P<nth>[12]?\d|3[01])(?:st|nd|rd|th)(?!\s*(?:of\b|" + _MONTH_NAMES + r")|\w))"
    r"(?(nth)(?=\s*(?:\[\d|[,.;!?]|$|\s(?:after|before|and|at|when|for|with|so|but|i|we)\b))"
    r"|\b)",
    re.I,
)


#: small counts as a sentence spells them ("two weeks before 11 August 2023")
_SPELT = "zero one two three four five six seven eight nine".split()


def day_name(moment: date) -> str:
    """A day as people write it: ``9 June 2023``."""
    return f"{moment.day} {moment:%B %Y}"


_day = day_name


def _months_back(moment: date, months: int) -> date:
    month = moment.month - 1 - months
    return date(moment.year + month // 12, month % 12 + 1, 1)


def _last_season(season: str, when: date) -> str:
    """ "Last summer" said on ``when`` as the season it means, read as retrieval reads it
    (:func:`~lifelog.retrieval.timeexpr.parse_time`: the latest one before the season
    ``when`` is in, meteorological, northern hemisphere). "summer 2023" in a message of
    December 2023 or of March 2024, "summer 2022" in one of July 2023; a winter spans
    its two years ("winter 2022–23")."""
    year = parse_time(f"last {season}", when).spans[0].since.year
    return f"{season} {year}–{(year + 1) % 100:02d}" if season == "winter" else f"{season} {year}"


def _nearest_day(day: int, when: date) -> str | None:
    """The ``day``-th of the month nearest ``when`` (a message of 17 August that says "on
    the 15th" means 15 August; one of 30 August that says "on the 2nd", 2 September);
    the earlier one when two are as near."""
    found: list[date] = []
    for shift in (-1, 0, 1):
        month = when.month - 1 + shift
        try:
            found.append(date(when.year + month // 12, month % 12 + 1, day))
        except ValueError:
            continue  # no 31st in that month
    if not found:
        return None
    return _day(min(found, key=lambda d: (abs((d - when).days), d)))


def _resolve(match: re.Match[str], when: date) -> str | None:
    expr = match.group("expr").lower()
    if expr in ("today", "tonight", "this morning", "this evening"):
        return _day(when)
    if expr == "yesterday":
        return _day(when - timedelta(days=1))
    if expr == "the day before yesterday":
        return _day(when - timedelta(days=2))
    unit, weekday, this = match.group("unit"), match.group("day"), match.group("this")
    ahead = match.group("next")
    if ahead:
        ahead = ahead.lower()
        if ahead == "month":
            month = when.month % 12 + 1
            return f"{date(when.year + (when.month == 12), month, 1):%B %Y}"
        if ahead == "year":
            return str(when.year + 1)
        if ahead in _DAYS:
            return f"the {ahead.capitalize()} after {_day(when)}"
        return f"the {ahead} after {_day(when)}"
    if unit:
        unit = unit.lower()
        if unit == "month":
            return f"{_months_back(when, 1):%B %Y}"
        if unit == "year":
            return str(when.year - 1)
        if unit in SEASONS:
            return _last_season(unit, when)
        return f"the {unit} before {_day(when)}"
    if weekday:
        named = next(d for d in _DAYS if d.startswith(weekday.lower()[:3]))
        return f"the {named.capitalize()} before {_day(when)}"
    if this:
        this = this.lower()
        if this == "month":
            return f"{when:%B %Y}"
        if this == "year":
            return str(when.year)
        return f"the {this} of {_day(when)}"
    if match.group("nth"):
        return _nearest_day(int(match.group("nth")), when)
    count = _NUMBERS.get(match.group("count").lower()) or int(match.group("count"))
    span = match.group("span").lower()
    if span == "day":
        return _day(when - timedelta(days=count))
    if span == "year":
        return str(when.year - count)
    if span == "month":
        return f"{_months_back(when, count):%B %Y}"
    plural = "s" if count > 1 else ""
    said = _SPELT[count] if count < len(_SPELT) else str(count)
    return f"{said} week{plural} before {_day(when)}"


def relative_dates(text: str, when: date) -> list[str]:
    """The relative dates in ``text`` ("last Friday"), each resolved against ``when``
    (the day it was written: "the Friday before 15 July 2023")."""
    found = (_resolve(match, when) for match in _RELATIVE.finditer(text))
    return [resolved for resolved in found if resolved is not None]


def relative_spans(text: str, when: date) -> list[tuple[int, int, str]]:
    """Where ``text`` says a relative date, and what it is: (start, end, resolved)."""
    found = ((m.start(), m.end(), _resolve(m, when)) for m in _RELATIVE.finditer(text))
    return [(start, end, said) for start, end, said in found if said is not None]


def relative_date(sentence: str, when: date) -> str | None:
    """The first of :func:`relative_dates` in ``sentence``, or ``None``."""
    found = relative_dates(sentence, when)
    return found[0] if found else None


def resolve_relative(answer: str, dates: Mapping[int, datetime | None]) -> tuple[str, int]:
    """``answer`` with the relative dates of each sentence resolved against the date of
    the item it cites (``dates``: source number → the item's date); and how many."""
    pieces: list[str] = []
    done = 0
    last = 0
    for start, end in split_sentences(answer):
        sentence = answer[start:end]
        days = {
            dates[n].date()  # type: ignore[union-attr]
            for n in (int(c) for c in CITATION.findall(sentence))
            if dates.get(n) is not None
        }
        if len(days) != 1:
            continue
        when = days.pop()
        count = 0

        def swap(match: re.Match[str], when: date = when) -> str:
            nonlocal count
            resolved = _resolve(match, when)
            if resolved is None:
                return match.group(0)
            count += 1
            first = match.group(0)[0]
            return resolved[0].upper() + resolved[1:] if first.isupper() else resolved

        rewritten = _RELATIVE.sub(swap, sentence)
        if count:
            pieces.append(answer[last:start])
            pieces.append(rewritten)
            last = end
            done += count
    pieces.append(answer[last:])
    return "".join(pieces), done
