"""Time zones and date formats for the sample life, without the system tz database.

The sample life must be byte-identical on every machine, so it cannot depend on
whichever ``tzdata`` happens to be installed. The few zones it needs are written
out here with their daylight-saving rules (US: second Sunday of March to first
Sunday of November at 02:00 local; EU: last Sunday of March to last Sunday of
October at 01:00 UTC), which hold for every year the life covers.
"""

from __future__ import annotations

import calendar
import time
from functools import cache

__all__ = [
    "EPOCH_START",
    "EPOCH_END",
    "asctime",
    "epoch",
    "local_parts",
    "offset_minutes",
    "rfc2822",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: zone name -> (standard offset in minutes, daylight-saving rule or None)
ZONES: dict[str, tuple[int, str | None]] = {
    "America/New_York": (-300, "us"),
    "America/Los_Angeles": (-480, "us"),
    "Europe/Lisbon": (0, "eu"),
    "Europe/London": (0, "eu"),
    "Europe/Berlin": (60, "eu"),
    "Asia/Kolkata": (330, None),
    "UTC": (0, None),
}


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> int:
    """Seconds since 1970 for a UTC wall time."""
    return calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))


EPOCH_START = epoch(2019, 1, 1)
EPOCH_END = epoch(2024, 12, 31, 23, 59, 59)


def _nth_sunday(year: int, month: int, nth: int) -> int:
    """Day of the month of the ``nth`` Sunday (``nth=-1``: the last one)."""
    weeks = calendar.monthcalendar(year, month)
    sundays = [week[6] for week in weeks if week[6]]
    return sundays[nth if nth < 0 else nth - 1]


@cache
def _dst_window(rule: str, standard: int, year: int) -> tuple[int, int]:
    """The UTC epoch seconds at which daylight saving starts and ends in ``year``."""
    if rule == "us":
        start_local = epoch(year, 3, _nth_sunday(year, 3, 2), 2)
        end_local = epoch(year, 11, _nth_sunday(year, 11, 1), 2)
        # start at 02:00 standard time, end at 02:00 daylight time
        return start_local - standard * 60, end_local - (standard + 60) * 60
    return epoch(year, 3, _nth_sunday(year, 3, -1), 1), epoch(
        year, 10, _nth_sunday(year, 10, -1), 1
    )


def offset_minutes(zone: str, utc: int) -> int:
    """The UTC offset of ``zone`` at the instant ``utc``."""
    standard, rule = ZONES[zone]
    if rule is None:
        return standard
    year = time.gmtime(utc).tm_year
    start, end = _dst_window(rule, standard, year)
    return standard + 60 if start <= utc < end else standard


def local_parts(zone: str, utc: int) -> tuple[time.struct_time, int]:
    """The local broken-down time of ``utc`` in ``zone`` and the offset used."""
    offset = offset_minutes(zone, utc)
    return time.gmtime(utc + offset * 60), offset


def rfc2822(zone: str, utc: int) -> str:
    """An RFC 5322 date as mail clients write it: ``Sat, 05 Jan 2019 10:00:00 -0500``."""
    t, offset = local_parts(zone, utc)
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {sign}{hours:02d}{minutes:02d}"
    )


def asctime(utc: int) -> str:
    """The ctime-style date of an mbox ``From`` line, in UTC: ``Sat Jan  5 10:00:00 2019``."""
    t = time.gmtime(utc)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {t.tm_year}"
    )
