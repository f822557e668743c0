"""Calendar arithmetic for :mod:`lifelog.retrieval.timeexpr`: months, seasons, weeks.

Pure functions on :class:`datetime.date`; weeks start on Monday, seasons are
meteorological (northern hemisphere), ranges are half-open ``[since, until)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = [
    "MONTHS",
    "MONTH_NAMES",
    "NUMBERS",
    "SEASONS",
    "WEEKDAYS",
    "count_of",
    "dt",
    "month_number",
    "month_span",
    "month_start",
    "part_of",
    "recent_month",
    "season",
    "season_containing",
    "shift",
    "unit_of",
    "unit_span",
]

MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
MONTHS = {name: i for i, name in enumerate(MONTH_NAMES, start=1)}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {
    name: i
    for i, name in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())
}
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple": 2,
    "few": 3,
    "several": 3,
}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


def dt(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1)


def month_span(year: int, month: int) -> tuple[date, date]:
    return month_start(year, month), month_start(year, month + 1)


def season(year: int, first_month: int) -> tuple[date, date]:
    return month_start(year, first_month), month_start(year, first_month + 3)


def season_containing(day: date) -> tuple[int, int]:
    """(year, first month) of the season holding ``day`` (winter starts in December)."""
    first = {12: 12, 1: 12, 2: 12}.get(day.month, (day.month // 3) * 3)
    year = day.year - 1 if day.month in (1, 2) else day.year
    return year, first


def count_of(text: str) -> int:
    words = text.lower().split()
    if words and words[0].isdigit():
        return int(words[0])
    for word in words:
        if word in NUMBERS and word not in ("a", "an"):
            return NUMBERS[word]
    return 1


def unit_of(text: str) -> str:
    unit = text.lower().rstrip("s")
    return unit


def shift(day: date, amount: int, unit: str) -> date:
    """``day`` moved by ``amount`` units (months clamp to the month's last day)."""
    if unit == "day":
        return day + timedelta(days=amount)
    if unit in ("week", "weekend"):
        return day + timedelta(weeks=amount)
    if unit == "fortnight":
        return day + timedelta(weeks=2 * amount)
    months = amount * (12 if unit == "year" else 1)
    first = month_start(day.year, day.month + months)
    last = (month_start(first.year, first.month + 1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


def unit_span(day: date, unit: str) -> tuple[date, date, str]:
    """The calendar unit (day, week, month, year) that holds ``day``."""
    if unit == "day":
        return day, day + timedelta(days=1), "day"
    if unit == "weekend":
        saturday = day - timedelta(days=day.weekday()) + timedelta(days=5)
        return saturday, saturday + timedelta(days=2), "weekend"
    if unit in ("week", "fortnight"):
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7 if unit == "week" else 14), "week"
    if unit == "month":
        since, until = month_span(day.year, day.month)
        return since, until, "month"
    return date(day.year, 1, 1), date(day.year + 1, 1, 1), "year"


def part_of(text: str | None, since: date, until: date) -> tuple[date, date]:
    """Early / mid / late (or beginning / middle / end of) a period: its first,
    middle or last third."""
    if not text:
        return since, until
    word = text.lower()
    third = max(1, (until - since).days // 3)
    if "early" in word or "beginning" in word or "start" in word:
        return since, since + timedelta(days=third)
    if "mid" in word:
        return since + timedelta(days=third), until - timedelta(days=third)
    return until - timedelta(days=third), until


def month_number(text: str) -> int:
    key = text.lower().rstrip(".")
    return MONTHS.get(key) or MONTHS[key[:3]]


def recent_month(today: date, month: int, which: str) -> int:
    """The year of the named month: ``last`` = the latest before this month, ``next`` = the
    first after it, ``this`` = this year's; no word = the latest not in the future."""
    if which == "this":
        return today.year
    if which == "next":
        return today.year + (1 if month <= today.month else 0)
    if which == "last":
        return today.year - (1 if month >= today.month else 0)
    return today.year - (1 if month > today.month else 0)
