"""iCalendar property values: dates and times with their zones, attendees, text.

Helpers of :mod:`lifelog.sources.calendar.ical`, kept apart so that the source module holds
the reading, expanding and item building.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..contacts.vcard import normalize_email

__all__ = [
    "When",
    "address_of",
    "dates_of",
    "find_zone",
    "format_when",
    "recurrence_key",
    "text_of",
    "when_of",
    "who_of",
]


def find_zone(tzid: str) -> tzinfo | None:
    try:
        return ZoneInfo(tzid.strip('/"'))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@dataclass
class When:
    value: datetime  # aware, or naive for floating times and all-day dates
    all_day: bool
    tzid: str | None = None
    unknown_tzid: bool = False

    @property
    def floating(self) -> bool:
        return self.value.tzinfo is None and not self.all_day


def when_of(component: Any, name: str, zones: dict[str, tzinfo]) -> When | None:
    prop = component.get(name)
    if prop is None or isinstance(prop, list):
        prop = prop[0] if isinstance(prop, list) and prop else prop
        if prop is None:
            return None
    try:
        value = getattr(prop, "dt", None)
        if value is None:
            value = component.decoded(name)
    except Exception:  # broad on purpose: icalendar raises many types on bad values
        return None
    params = getattr(prop, "params", {}) or {}
    tzid = params.get("TZID")
    tzid = str(tzid) if tzid else None
    if isinstance(value, tuple):  # a PERIOD
        value = value[0]
    if isinstance(value, datetime):
        unknown = False
        if tzid and tzid in zones:
            value = value.replace(tzinfo=zones[tzid])
        elif tzid and value.tzinfo is None:
            zone = find_zone(tzid)
            unknown = zone is None
            value = value.replace(tzinfo=zone) if zone else value
        return When(value, False, tzid, unknown)
    if isinstance(value, date):
        return When(datetime(value.year, value.month, value.day), True)
    return None


def recurrence_key(moment: datetime, all_day: bool) -> str:
    if all_day:
        return moment.strftime("%Y%m%d")
    if moment.tzinfo is None:
        return moment.strftime("%Y%m%dT%H%M%S")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def dates_of(component: Any, name: str, zones: dict[str, tzinfo]) -> list[tuple[datetime, bool]]:
    """RDATE / EXDATE values as ``(datetime, is a date)``, all lines together."""
    found: list[tuple[datetime, bool]] = []
    props = component.get(name)
    for prop in props if isinstance(props, list) else [props] if props is not None else []:
        tzid = (getattr(prop, "params", {}) or {}).get("TZID")
        for entry in getattr(prop, "dts", [])[:5000]:
            value = getattr(entry, "dt", None)
            if isinstance(value, tuple):
                value = value[0]
            if isinstance(value, datetime):
                if tzid and str(tzid) in zones:
                    value = value.replace(tzinfo=zones[str(tzid)])
                found.append((value, False))
            elif isinstance(value, date):
                found.append((datetime(value.year, value.month, value.day), True))
    return found


def address_of(prop: Any) -> dict[str, str]:
    params = getattr(prop, "params", {}) or {}
    entry: dict[str, str] = {}
    email = normalize_email(str(prop))
    if email:
        entry["email"] = email
    for key, param in (("name", "CN"), ("status", "PARTSTAT"), ("role", "ROLE")):
        value = params.get(param)
        if value:
            entry[key] = str(value).strip('"')[:200] if key == "name" else str(value).lower()
    return entry


def who_of(entry: dict[str, str]) -> str:
    name, email = entry.get("name"), entry.get("email")
    if name and email and name.lower() != email:
        return f"{name} <{email}>"
    return name or email or "?"


def format_when(when: datetime, end: datetime | None, all_day: bool, zone_name: str | None) -> str:
    if all_day:
        last = end - timedelta(days=1) if end and end - when > timedelta(days=1) else None
        shown = when.strftime("%Y-%m-%d") + (f" \u2013 {last:%Y-%m-%d}" if last else "")
        return f"{shown} (all day)"
    text = when.strftime("%Y-%m-%d %H:%M")
    if end is not None and end > when:
        text += "\u2013" + (
            end.strftime("%H:%M") if end.date() == when.date() else f"{end:%Y-%m-%d %H:%M}"
        )
    return f"{text} ({zone_name})" if zone_name else text


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()
