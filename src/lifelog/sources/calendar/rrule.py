"""A bounded RFC 5545 recurrence-rule expander (for the iCalendar source).

Why not ``dateutil.rrule``: it searches for the next occurrence without an upper
bound, so an impossible rule (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``, a
``BYSETPOS`` past the set) keeps it busy until the year 9999 — seconds to
minutes per event, a denial of service in a hostile file. Here every loop walks
periods inside a window that the caller bounds, so the work is at most
proportional to the window, whatever the rule.

Everything is computed on naive wall-clock datetimes (the event's own zone):
a daily 09:00 meeting stays at 09:00 across daylight-saving changes, as RFC 5545
requires. Supported: FREQ (all seven), INTERVAL, COUNT, UNTIL, BYMONTH, BYWEEKNO,
BYYEARDAY, BYMONTHDAY, BYDAY (with ordinals in MONTHLY/YEARLY), BYHOUR, BYMINUTE,
BYSECOND, BYSETPOS and WKST. Sub-daily frequencies are walked step by step,
at most ``MAX_STEPS`` steps.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import product

__all__ = ["MAX_STEPS", "Rule", "RuleError", "expand", "parse_rule"]

#: steps walked at most for HOURLY, MINUTELY and SECONDLY rules
MAX_STEPS = 200_000
_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?")


class RuleError(ValueError):
    """A recurrence rule that cannot be read."""


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None  # naive, in the event's wall-clock time
    bymonth: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int | None, int], ...] = ()
    byhour: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    bysecond: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0


def _ints(value: str, low: int, high: int, signed: bool = False) -> tuple[int, ...]:
    found: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            number = int(part)
        except ValueError as error:
            raise RuleError(f"not a number: {part!r}") from error
        if not (low <= abs(number) <= high if signed else low <= number <= high):
            raise RuleError(f"out of range: {number}")
        found.append(number)
    return tuple(sorted(set(found)))[:400]


def _until(value: str, zone: tzinfo | None, floating: bool) -> datetime:
    match = _UNTIL.fullmatch(value.strip())
    if match is None:
        raise RuleError(f"bad UNTIL {value!r}")
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    try:
        if match[4] is None:
            return datetime(year, month, day, 23, 59, 59)
        moment = datetime(year, month, day, int(match[4]), int(match[5]), int(match[6] or 0))
    except ValueError as error:
        raise RuleError(f"bad UNTIL {value!r}") from error
    if match[7] and not floating and zone is not None:
        try:
            return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return moment
    return moment


def parse_rule(text: str, zone: tzinfo | None = None, floating: bool = True) -> Rule:
    """Read an RRULE value leniently (spaces, case, unknown parts are forgiven)."""
    parts: dict[str, str] = {}
    for piece in re.sub(r"\s+", "", text).upper().split(";"):
        key, _, value = piece.partition("=")
        if key and value:
            parts.setdefault(key, value)
    freq = parts.get("FREQ", "")
    if freq not in _FREQS:
        raise RuleError(f"unknown FREQ {freq!r}")
    try:
        interval = max(1, min(int(parts.get("INTERVAL", "1") or 1), 100_000))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
    except ValueError as error:
        raise RuleError(f"bad INTERVAL or COUNT in {text[:80]!r}") from error
    if count is not None and count < 1:
        raise RuleError("COUNT below 1")
    byday: list[tuple[int | None, int]] = []
    for part in parts.get("BYDAY", "").split(","):
        if not part:
            continue
        match = _BYDAY.fullmatch(part)
        if match is None:
            raise RuleError(f"bad BYDAY {part!r}")
        ordinal = int(match[1]) if match[1] else None
        if ordinal is not None and not 1 <= abs(ordinal) <= 53:
            raise RuleError(f"bad BYDAY ordinal {part!r}")
        byday.append((ordinal, _DAYS[match[2]]))
    return Rule(
        freq=freq,
        interval=interval,
        count=count,
        until=_until(parts["UNTIL"], zone, floating) if "UNTIL" in parts else None,
        bymonth=_ints(parts.get("BYMONTH", ""), 1, 12),
        byweekno=_ints(parts.get("BYWEEKNO", ""), 1, 53, signed=True),
        byyearday=_ints(parts.get("BYYEARDAY", ""), 1, 366, signed=True),
        bymonthday=_ints(parts.get("BYMONTHDAY", ""), 1, 31, signed=True),
        byday=tuple(dict.fromkeys(byday)),
        byhour=_ints(parts.get("BYHOUR", ""), 0, 23),
        byminute=_ints(parts.get("BYMINUTE", ""), 0, 59),
        bysecond=_ints(parts.get("BYSECOND", ""), 0, 60),
        bysetpos=_ints(parts.get("BYSETPOS", ""), 1, 366, signed=True),
        wkst=_DAYS.get(parts.get("WKST", "MO"), 0),
    )


# -- day-level filters ---------------------------------------------------------------


def _week_one(year: int, wkst: int) -> date:
    """First day of week 1: the week (starting ``wkst``) holding 4+ days of ``year``."""
    jan1 = date(year, 1, 1)
    offset = (jan1.weekday() - wkst) % 7
    return jan1 - timedelta(days=offset) if offset <= 3 else jan1 + timedelta(days=7 - offset)


def _week_number(day: date, wkst: int) -> tuple[int, int]:
    """``(week number, weeks in that week-year)`` of ``day``, RFC 5545 style."""
    year = day.year
    if year > 1 and day < _week_one(year, wkst):
        year -= 1
    elif year < 9999 and day >= _week_one(year + 1, wkst):
        year += 1
    first = _week_one(year, wkst)
    following = _week_one(year + 1, wkst) if year < 9999 else date(9999, 12, 31)
    return (day - first).days // 7 + 1, max(1, (following - first).days // 7)


def _nth(day: date, ordinal: int, first: date, last: date) -> bool:
    """Whether ``day`` is the ``ordinal``-th of its weekday between first and last."""
    if ordinal > 0:
        return (day - first).days // 7 + 1 == ordinal
    return (last - day).days // 7 + 1 == -ordinal


def _matches(day: date, rule: Rule, byday_scope: str) -> bool:
    if rule.bymonth and day.month not in rule.bymonth:
        return False
    if rule.byweekno:
        week, weeks = _week_number(day, rule.wkst)
        if week not in rule.byweekno and (week - weeks - 1) not in rule.byweekno:
            return False
    if rule.byyearday:
        yearday = day.timetuple().tm_yday
        days = 366 if calendar.isleap(day.year) else 365
        if yearday not in rule.byyearday and (yearday - days - 1) not in rule.byyearday:
            return False
    if rule.bymonthday:
        days = calendar.monthrange(day.year, day.month)[1]
        if day.day not in rule.bymonthday and (day.day - days - 1) not in rule.bymonthday:
            return False
    if rule.byday:
        for ordinal, weekday in rule.byday:
            if day.weekday() != weekday:
                continue
            if ordinal is None or byday_scope == "none":
                return True
            if byday_scope == "month":
                first = day.replace(day=1)
                last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
            else:
                first, last = date(day.year, 1, 1), date(day.year, 12, 31)
            if _nth(day, ordinal, first, last):
                return True
        return False
    return True


def _defaults(rule: Rule, start: datetime) -> Rule:
    """Fill the day rules a bare FREQ implies from DTSTART (as RFC 5545 does)."""
    if rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday:
        return rule
    if rule.freq == "YEARLY":
        months = rule.bymonth or (start.month,)
        return replace(rule, bymonth=months, bymonthday=(start.day,))
    if rule.freq == "MONTHLY":
        return replace(rule, bymonthday=(start.day,))
    if rule.freq == "WEEKLY":
        return replace(rule, byday=((None, start.weekday()),))
    return rule


def _times(rule: Rule, start: datetime) -> list[time]:
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    seconds = tuple(min(s, 59) for s in rule.bysecond) or (start.second,)
    return [time(h, m, s) for h, m, s in product(hours, minutes, seconds)][:1440]


def _period_days(rule: Rule, anchor: date) -> list[date]:
    if rule.freq == "YEARLY":
        first, last = date(anchor.year, 1, 1), date(anchor.year, 12, 31)
    elif rule.freq == "MONTHLY":
        first = anchor.replace(day=1)
        last = anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
    elif rule.freq == "WEEKLY":
        first = anchor - timedelta(days=(anchor.weekday() - rule.wkst) % 7)
        last = first + timedelta(days=6)
    else:
        first = last = anchor
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _next_anchor(rule: Rule, anchor: date, step: int) -> date:
    if rule.freq == "YEARLY":
        return date(anchor.year + step * rule.interval, 1, 1)
    if rule.freq == "MONTHLY":
        months = anchor.year * 12 + anchor.month - 1 + step * rule.interval
        return date(months // 12, months % 12 + 1, 1)
    if rule.freq == "WEEKLY":
        start = anchor - timedelta(days=(anchor.weekday() - rule.wkst) % 7)
        return start + timedelta(weeks=step * rule.interval)
    return anchor + timedelta(days=step * rule.interval)


def _select(candidates: list[datetime], positions: tuple[int, ...]) -> list[datetime]:
    """BYSETPOS: the n-th (or n-th from the end) candidates of one period."""
    if not positions:
        return candidates
    chosen: set[datetime] = set()
    for position in positions:
        index = position - 1 if position > 0 else len(candidates) + position
        if 0 <= index < len(candidates):
            chosen.add(candidates[index])
    return sorted(chosen)


def expand(rule: Rule, start: datetime, end: datetime, limit: int) -> list[datetime]:
    """Occurrences of ``rule`` from ``start`` (naive wall time) up to ``end``.

    At most ``limit`` values; ``start`` itself is always the first (RFC 5545),
    and counts towards COUNT.
    """
    stop = min(end, rule.until) if rule.until is not None else end
    wanted = min(limit, rule.count) if rule.count is not None else limit
    found: list[datetime] = [start]
    if rule.freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        return _expand_fine(rule, start, stop, wanted)
    rule = _defaults(rule, start)
    scope = "month" if rule.freq == "MONTHLY" or rule.bymonth else "year"
    scope = scope if rule.freq in ("MONTHLY", "YEARLY") else "none"
    times = _times(rule, start)
    anchor = start.date()
    step = 0
    while len(found) < wanted:
        anchor = _next_anchor(rule, start.date(), step) if step else anchor
        step += 1
        if anchor > stop.date() + timedelta(days=1) or anchor.year >= 9999:
            break
        days = [d for d in _period_days(rule, anchor) if _matches(d, rule, scope)]
        candidates = [datetime.combine(d, t) for d in days for t in times]
        for moment in _select(candidates, rule.bysetpos):
            if moment <= start:
                continue
            if moment > stop or len(found) >= wanted:
                return found
            found.append(moment)
    return found


def _expand_fine(rule: Rule, start: datetime, stop: datetime, wanted: int) -> list[datetime]:
    unit = {"HOURLY": 3600, "MINUTELY": 60, "SECONDLY": 1}[rule.freq]
    delta = timedelta(seconds=unit * rule.interval)
    found = [start]
    if rule.bysetpos and not set(rule.bysetpos) & {1, -1}:
        return found  # a one-instant period has no second position
    day_rule = replace(rule, byweekno=())
    scope = "month" if rule.bymonth else "year"
    days: dict[date, bool] = {}
    moment = start
    for _ in range(MAX_STEPS):
        moment += delta
        if moment > stop or len(found) >= wanted:
            break
        if rule.byhour and moment.hour not in rule.byhour:
            continue
        if rule.byminute and moment.minute not in rule.byminute:
            continue
        if rule.bysecond and moment.second not in rule.bysecond:
            continue
        day = moment.date()
        if day not in days:
            if len(days) > 100_000:
                days.clear()
            days[day] = _matches(day, day_rule, scope if rule.byday else "none")
        if days[day]:
            found.append(moment)
    return found
