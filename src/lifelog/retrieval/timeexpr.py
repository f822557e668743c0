"""Time expressions in English text, resolved to date ranges.

People ask about time in words ("what did I do last summer?", "in March 2023",
"two weeks before the trip") and write about it in words too ("yesterday we
went camping"). :func:`parse_time` finds those expressions and resolves each
against a reference moment: the question's date for a question, the item's own
date for an item (:func:`item_mentions`). Everything here is pure: text and a
date in, ranges out; unreadable or impossible dates are skipped, never raised.

Ranges are half-open ``[since, until)`` in UTC at day granularity, with a
``kind`` that says how precise they are (``day`` … ``year``, ``vague``), so a
caller can widen a range by its precision before filtering, or use it as a
boost. Calendar conventions: weeks start on Monday; seasons are meteorological
(northern hemisphere: spring = March–May, summer = June–August, autumn =
September–November, winter = December–February).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .dates import (
    MONTH_NAMES,
    SEASONS,
    WEEKDAYS,
    count_of,
    dt,
    month_number,
    month_span,
    month_start,
    part_of,
    recent_month,
    season_containing,
    shift,
    unit_of,
    unit_span,
)

__all__ = [
    "Offset",
    "TimeQuery",
    "TimeSpan",
    "date_terms",
    "item_mentions",
    "parse_time",
]

#: longest text looked at; time expressions sit in the first words of a message
MAX_CHARS = 20_000

_M = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_W = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_S = r"(?:spring|summer|autumn|fall|winter)"
_N = (
    r"(?:\d{1,3}|a\s+few|a\s+couple(?:\s+of)?|couple\s+of|a|an|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|few|several)"
)
_U = r"(?:day|week|weekend|fortnight|month|year)s?"
_YEAR = r"(?:1[89]\d\d|20\d\d|21\d\d)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_PART = r"(?:early|mid|middle\s+of|late|the\s+(?:beginning|start|middle|end)\s+of|end\s+of)"


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A resolved time expression: ``text[start:end]`` means ``[since, until)``."""

    since: datetime
    until: datetime
    kind: str  # day | weekend | week | month | season | year | span | vague
    start: int
    end: int
    text: str

    def overlaps(self, since: datetime | None, until: datetime | None) -> bool:
        return (until is None or self.since < until) and (since is None or self.until > since)


@dataclass(frozen=True, slots=True)
class Offset:
    """A time relative to an event that needs a search first: "two weeks before the trip"."""

    days: int  # signed: negative = before the anchor
    anchor: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class TimeQuery:
    """The time expressions of a question and the question without them."""

    spans: tuple[TimeSpan, ...]
    offsets: tuple[Offset, ...]
    rest: str

    def window(self) -> tuple[datetime, datetime] | None:
        """The smallest range holding every span (``None`` when there is none)."""
        if not self.spans:
            return None
        return min(s.since for s in self.spans), max(s.until for s in self.spans)


def _verb_not_month(m: re.Match[str]) -> bool:
    """Lower-case "may" and "march" without a year are the verbs ("this may help")."""
    return m["mo"] in ("may", "march") and not m["y"]


# -- the patterns ---------------------------------------------------------------------

Resolved = tuple[date, date, str] | None
Handler = Callable[["re.Match[str]", date], Resolved]


def _iso(m: re.Match[str], today: date) -> Resolved:
    day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
    return day, day + timedelta(days=1), "day"


def _day_month(m: re.Match[str], today: date) -> Resolved:
    if _verb_not_month(m):
        return None
    month = month_number(m["mo"])
    number = int(re.sub(r"\D", "", m["d"]))
    if m["y"]:
        day = date(int(m["y"]), month, number)
    else:
        day = date(today.year, month, number)
        if day > today:  # a date without a year is the latest one not in the future
            day = date(today.year - 1, month, number)
    return day, day + timedelta(days=1), "day"


def _month_year(m: re.Match[str], today: date) -> Resolved:
    if _verb_not_month(m):
        return None
    month = month_number(m["mo"])
    year = int(m["y"]) if m["y"] else recent_month(today, month, (m["which"] or "").lower())
    since, until = part_of(m["part"], *month_span(year, month))
    return since, until, "month"


def _season_span(m: re.Match[str], today: date) -> Resolved:
    """A season: of a given year, or ``last`` (the latest before the current season),
    ``next`` (the first to start after today), ``this`` (the one starting nearest to
    today: in October "this winter" is the coming one) or, with no word, the latest
    to have started."""
    if not (m["y"] or m["which"] or m["pre"] or m["part"]):
        return None  # "summer camp", "I fall asleep"
    first = SEASONS[m["s"].lower()]
    which = (m["which"] or "").lower()
    if m["y"]:
        start = month_start(int(m["y"]), first)
    else:
        current = month_start(*season_containing(today))
        starts = [month_start(today.year + offset, first) for offset in (-2, -1, 0, 1)]
        if which in ("last", "past", "previous"):
            start = max(s for s in starts if s < current)
        elif which == "next":
            start = min(s for s in starts if s > today)
        elif which == "this":
            start = min(starts, key=lambda s: abs((s - today).days))
        else:
            start = max(s for s in starts if s <= today)
    since, until = part_of(m["part"], start, month_start(start.year, start.month + 3))
    return since, until, "season"


def _year(m: re.Match[str], today: date) -> Resolved:
    year = int(m["y"])
    if m["decade"]:
        return date(year, 1, 1), date(year + 10, 1, 1), "span"
    since, until = part_of(m["part"], date(year, 1, 1), date(year + 1, 1, 1))
    return since, until, "year"


def _year_rel(m: re.Match[str], today: date) -> Resolved:
    word = m["w"].lower()
    offset = {"last": -1, "previous": -1, "this": 0, "next": 1}[word]
    since, until = part_of(
        m["part"], date(today.year + offset, 1, 1), date(today.year + 1 + offset, 1, 1)
    )
    return since, until, "year"


_DAY_WORDS = {
    "today": (0, 1),
    "tonight": (0, 1),
    "this morning": (0, 1),
    "this afternoon": (0, 1),
    "this evening": (0, 1),
    "yesterday": (-1, 1),
    "last night": (-1, 1),
    "the day before yesterday": (-2, 1),
    "the other day": (-7, 6),
    "tomorrow": (1, 1),
    "the day after tomorrow": (2, 1),
    "recently": (-60, 61),
    "lately": (-60, 61),
    "these days": (-60, 61),
    "nowadays": (-60, 61),
    "of late": (-60, 61),
}


def _day_word(m: re.Match[str], today: date) -> Resolved:
    key = " ".join(m["w"].lower().split())
    offset, length = _DAY_WORDS[key]
    since = today + timedelta(days=offset)
    return since, since + timedelta(days=length), "day" if length == 1 else "vague"


def _relative_unit(m: re.Match[str], today: date) -> Resolved:
    which = m["w"].lower()
    unit = unit_of(m["u"])
    step = {"last": -1, "previous": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[which]
    if which == "past" and unit != "weekend":  # "the past week": the last seven days
        return shift(today, -1, unit), today + timedelta(days=1), "span"
    return unit_span(shift(today, step, unit), unit)


def _ago(m: re.Match[str], today: date) -> Resolved:
    unit = unit_of(m["u"])
    count = count_of(m["n"])
    vague = any(w in m["n"].lower() for w in ("few", "several", "couple"))
    if vague:  # "a few days ago": from twice that many up to one unit ago
        return shift(today, -2 * count, unit), shift(today, -1, unit) + timedelta(days=1), "vague"
    moment = shift(today, -count, unit)
    if unit == "day":
        return moment, moment + timedelta(days=1), "day"
    if unit in ("week", "weekend", "fortnight"):
        return moment - timedelta(days=3), moment + timedelta(days=4), "week"
    return unit_span(moment, unit)


def _within(m: re.Match[str], today: date) -> Resolved:
    """ "the past two weeks", "in the last 3 months": up to today."""
    unit = unit_of(m["u"])
    return shift(today, -count_of(m["n"]), unit), today + timedelta(days=1), "span"


def _in_future(m: re.Match[str], today: date) -> Resolved:
    unit = unit_of(m["u"])
    moment = shift(today, count_of(m["n"]), unit)
    if unit == "day":
        return moment, moment + timedelta(days=1), "day"
    return moment - timedelta(days=3), moment + timedelta(days=4), "week"


def _weekday(m: re.Match[str], today: date) -> Resolved:
    target = WEEKDAYS[m["wd"].lower()]
    which = (m["w"] or "").lower()
    monday = today - timedelta(days=today.weekday())
    if which == "this":
        day = monday + timedelta(days=target)
    elif which in ("next", "coming"):
        day = today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
    else:  # the latest one before today
        day = today - timedelta(days=(today.weekday() - target - 1) % 7 + 1)
    return day, day + timedelta(days=1), "day"


def _relative_to(m: re.Match[str], today: date) -> Resolved:
    """ "the week before 16 November 2023": a period just before or after a date."""
    anchor = _parse_anchor(m["rest"], today)
    if anchor is None:
        return None
    since, until, _length = anchor
    unit = m["wd"] or unit_of(m["u"] or "day")
    before = m["dir"].lower() != "after" and m["dir"].lower() != "following"
    count = count_of(m["n"]) if m["n"] else 1
    if unit.lower() in WEEKDAYS:  # "the Friday before 14 September"
        target = WEEKDAYS[unit.lower()]
        if before:
            day = since - timedelta(days=(since.weekday() - target - 1) % 7 + 1)
        else:
            day = until + timedelta(days=(target - until.weekday()) % 7)
        return day, day + timedelta(days=1), "day"
    if unit == "weekend":
        if before:
            saturday = since - timedelta(days=(since.weekday() - 5 - 1) % 7 + 1)
        else:
            saturday = until + timedelta(days=(5 - until.weekday()) % 7)
        return saturday, saturday + timedelta(days=2), "weekend"
    if before:
        return shift(since, -count, unit), since, "week" if unit != "day" else "span"
    return until, shift(until, count, unit), "week" if unit != "day" else "span"


_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b")
_DAY_MONTH = re.compile(
    rf"\b(?:the\s+)?(?P<d>{_DAY})\s*(?:of\s+)?(?P<mo>{_M})(?:,?\s*(?P<y>{_YEAR}))?\b", re.I
)
_MONTH_DAY = re.compile(
    rf"\b(?P<mo>{_M})\s+(?:the\s+)?(?P<d>{_DAY})\b(?:,?\s*(?P<y>{_YEAR})\b)?", re.I
)
_MONTH_YEAR = re.compile(
    rf"(?:\b(?P<part>{_PART})\s+)?(?:\b(?P<which>last|this|next)\s+)?"
    rf"\b(?P<mo>{_M})(?:\s+of)?,?\s+(?P<y>{_YEAR})\b",
    re.I,
)
_MONTH = re.compile(
    r"(?:\b(?:in|during|since|until|till|by|from|before|after)\s+"
    rf"|\b(?P<part>{_PART})\s+|\b(?P<which>last|this|next)\s+)(?P<mo>{_M})(?P<y>)(?=\W|$)",
    re.I,
)
_SEASON = re.compile(
    rf"(?:\b(?P<part>{_PART})\s+)?"
    r"(?:\b(?P<pre>in|during|over|since|until|through|by|from)\s+(?:the\s+)?"
    r"|\b(?P<which>last|this|next|past|previous)(?:\s+past)?\s+|\bthe\s+)?"
    rf"\b(?P<s>{_S})(?:\s+(?:of\s+)?(?P<y>{_YEAR})\b)?",
    re.I,
)
_YEAR_ONLY = re.compile(
    rf"(?:\b(?P<part>{_PART})\s+)?\b(?:the\s+)?(?P<y>{_YEAR})(?:(?P<decade>(?<=0)s)|\b)", re.I
)
_YEAR_REL = re.compile(
    rf"(?:\b(?P<part>{_PART})\s+)?\b(?P<w>last|previous|this|next)\s+year\b", re.I
)
_DAY_WORD = re.compile(
    r"\b(?P<w>the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|the\s+other\s+day"
    r"|today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night|tomorrow"
    r"|recently|lately|these\s+days|nowadays|of\s+late)\b",
    re.I,
)
_REL_UNIT = re.compile(
    r"\b(?P<w>last|previous|past|this|next|coming)\s+(?P<u>week|weekend|fortnight|month)\b", re.I
)
_AGO = re.compile(rf"\b(?P<n>{_N})\s+(?P<u>{_U})\s+ago\b", re.I)
_WITHIN = re.compile(
    rf"\b(?:(?:in|over|during|for|within)\s+)?the\s+(?:past|last|previous)\s+"
    rf"(?P<n>{_N})\s+(?P<u>{_U})\b",
    re.I,
)
_IN_FUTURE = re.compile(rf"\bin\s+(?P<n>{_N})\s+(?P<u>{_U})\b(?!\s+(?:before|after|ago))", re.I)
_WEEKDAY = re.compile(rf"\b(?:(?P<w>last|this|next|coming|on)\s+)?(?P<wd>{_W})\b", re.I)
_RELATIVE_TO = re.compile(
    rf"\b(?:the\s+)?(?:(?P<n>{_N})\s+)?(?:(?P<wd>{_W})|(?P<u>{_U}))\s+"
    r"(?P<dir>before|after|prior\s+to|following)\s+(?P<rest>[^?!.;\n]{1,80})",
    re.I,
)

#: explicit dates, which an expression like "the week before …" can be relative to
_ANCHORS: list[tuple[re.Pattern[str], Handler]] = [
    (_ISO, _iso),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY, _day_month),
    (_MONTH_YEAR, _month_year),
    (_YEAR_ONLY, _year),
]
_PATTERNS: list[tuple[re.Pattern[str], Handler]] = [
    *_ANCHORS,
    (_MONTH, _month_year),
    (_SEASON, _season_span),
    (_YEAR_REL, _year_rel),
    (_DAY_WORD, _day_word),
    (_REL_UNIT, _relative_unit),
    (_AGO, _ago),
    (_WITHIN, _within),
    (_IN_FUTURE, _in_future),
    (_WEEKDAY, _weekday),
    (_RELATIVE_TO, _relative_to),
]

_OFFSET = re.compile(
    rf"\b(?P<n>{_N})\s+(?P<u>{_U})\s+(?P<dir>before|after|prior\s+to|following)\s+"
    r"(?P<anchor>(?:the\s+|my\s+|our\s+|his\s+|her\s+|their\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,4})",
    re.I,
)
_LEADING = re.compile(r"(?:\b(?:in|on|during|at|since|from|of|around|about)\s+)$", re.I)
_SPACES = re.compile(r"\s+")
_BEFORE_PUNCT = re.compile(r"\s+([?!.,;:])")


def _parse_anchor(text: str, today: date) -> tuple[date, date, int] | None:
    """A date expression at the very start of ``text``: its range and length."""
    for pattern, handler in _ANCHORS:
        match = pattern.match(text)
        if match:
            try:
                found = handler(match, today)
            except (ValueError, OverflowError, KeyError):
                continue
            if found:
                return found[0], found[1], match.end()
    return None


def _candidates(text: str, today: date) -> list[tuple[int, int, Resolved]]:
    found: list[tuple[int, int, Resolved]] = []
    for pattern, handler in _PATTERNS:
        for match in pattern.finditer(text):
            try:
                resolved = handler(match, today)
            except (ValueError, OverflowError, KeyError):
                continue
            if resolved is None or resolved[0] >= resolved[1]:
                continue
            end = match.end()
            if handler is _relative_to:  # the span ends with the anchor date
                anchor = _parse_anchor(match["rest"], today)
                end = match.start("rest") + (anchor[2] if anchor else 0)
            found.append((match.start(), end, resolved))
    return found


def parse_time(text: str, now: datetime | date) -> TimeQuery:
    """Time expressions in ``text`` resolved against ``now``, and ``text`` without them.

    ``now`` is the moment the text speaks from: the question's date, or an item's.
    """
    text = text[:MAX_CHARS]
    today = now.date() if isinstance(now, datetime) else now
    candidates = _candidates(text, today)
    # longest first, then earliest; keep those that do not overlap a kept one
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    kept: list[tuple[int, int, Resolved]] = []
    for start, end, resolved in candidates:
        if all(end <= s or start >= e for s, e, _r in kept):
            kept.append((start, end, resolved))
    kept.sort(key=lambda c: c[0])
    spans: list[TimeSpan] = []
    for start, end, resolved in kept:
        assert resolved is not None
        since, until, kind = resolved
        try:
            spans.append(TimeSpan(dt(since), dt(until), kind, start, end, text[start:end]))
        except (ValueError, OverflowError):
            continue
    offsets: list[Offset] = []
    taken = [(s.start, s.end) for s in spans]
    for match in _OFFSET.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        unit = unit_of(match["u"])
        days = {"day": 1, "week": 7, "weekend": 7, "fortnight": 14, "month": 30, "year": 365}[unit]
        sign = 1 if match["dir"].lower() in ("after", "following") else -1
        anchor = match["anchor"].strip()
        offsets.append(
            Offset(sign * days * count_of(match["n"]), anchor, match.start(), match.end(), match[0])
        )
    return TimeQuery(tuple(spans), tuple(offsets), _remove(text, spans, offsets))


def _remove(text: str, spans: list[TimeSpan], offsets: list[Offset]) -> str:
    """``text`` without the time expressions (and the preposition in front of each);
    an offset keeps its anchor words, which name the event to search for."""
    cuts = [(s.start, s.end) for s in spans]
    cuts += [(o.start, o.end - len(o.anchor)) for o in offsets]
    cuts.sort()
    pieces: list[str] = []
    position = 0
    for start, end in cuts:
        if start < position:
            start = position
        if end <= start:
            continue
        piece = text[position:start]
        lead = _LEADING.search(piece)
        pieces.append(piece[: lead.start()] if lead else piece)
        position = end
    pieces.append(text[position:])
    return _BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", " ".join(pieces))).strip()


#: a word without which no expression can match: a cheap first look at long texts
_HINT = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
    r"|to(?:day|night|morrow)|yesterday|week|month|year|spring|summer|autumn|fall|winter"
    r"|ago|recent|lately|nowadays|days|other day|of late|last night|this (?:morning|afternoon"
    r"|evening)|fortnight)",
    re.I,
)


def item_mentions(text: str, when: datetime | None) -> tuple[TimeSpan, ...]:
    """The dates an item's own words point at, resolved against its date: "yesterday"
    in a message of 2023-05-08 is 2023-05-07. Vague words ("recently") are left out."""
    if when is None or not text or not _HINT.search(text, 0, MAX_CHARS):
        return ()
    return tuple(s for s in parse_time(text, when).spans if s.kind != "vague")


def date_terms(span: TimeSpan) -> str:
    """Words naming a span's dates, for indexing or matching: ``7 May 2023 2023-05-07``
    for a day, ``May 2023`` for a month, the months of longer spans (up to a year)."""
    since = span.since.date()
    days = (span.until - span.since).days
    if days <= 1:
        return (
            f"{since.day} {MONTH_NAMES[since.month - 1].title()} {since.year} {since.isoformat()}"
        )
    words: list[str] = []
    month = date(since.year, since.month, 1)
    while dt(month) < span.until and len(words) < 24:
        words.append(f"{MONTH_NAMES[month.month - 1].title()} {month.year}")
        month = month_start(month.year, month.month + 1)
    return " ".join(words)
