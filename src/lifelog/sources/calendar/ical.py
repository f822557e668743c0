"""iCalendar files (``.ics``): events, to-dos and journals, recurring events expanded.

Every ``VEVENT`` occurrence becomes an item of kind ``event`` (a ``VTODO`` one of
kind ``task``, a ``VJOURNAL`` entry one of kind ``journal``, its text every
``DESCRIPTION`` it has): ``title`` is the summary; ``text`` the summary, when, where,
organizer, attendees (with their answers), how it repeats, status, categories,
URL and the description; ``timestamp`` the start in UTC; ``author`` the
organizer; ``participants`` the organizer and attendees (names and lower-case
addresses); ``metadata`` the start and end with their offsets, ``all_day``,
``floating`` (no zone), ``timezone``, location, organizer, attendees, status,
categories, ``uid``, ``recurrence_id``, ``rrule`` and the calendar's name.

Times: a ``TZID`` is resolved through the file's own ``VTIMEZONE`` (also
non-Olson names such as Exchange's ``GMT +0100 (Standard) / …`` or Cyrillic
ones), else the IANA database, else Windows zone names; an unknown zone is read
as UTC and named in ``metadata["unknown_timezone"]``. All-day events start at
00:00 UTC of their date; floating times are read as UTC wall time.

Recurrence (``RRULE``, ``RDATE``, ``EXDATE``, and modified occurrences given as
separate components with a ``RECURRENCE-ID``) is expanded by our own bounded
expander (RFC 5545 semantics: BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY, BYDAY with
ordinals, BYHOUR/BYMINUTE/BYSECOND, BYSETPOS, WKST, COUNT, UNTIL): only the first
``LIFELOG_ICS_WINDOW_DAYS`` days from the series' start (default 730) and at most
``LIFELOG_ICS_MAX_OCCURRENCES`` occurrences (default 500) are produced, so a rule
that never ends (or a hostile one) cannot run away. A ``VTODO`` is not expanded.

Keys: the ``UID``, plus ``/`` and the occurrence's original start (UTC) for
recurring events, so a modified occurrence replaces the generated one and a
re-import updates in place. Components without a UID are keyed by summary and
start.

The file is streamed: components are split out one by one and parsed with the
icalendar library, so one broken component is reported (``Skip`` naming its
line) and the rest imported; binary attachments are dropped as they are read.
``VTIMEZONE`` rules other than yearly or monthly are refused (they could make
every time conversion crawl). Components left out on purpose (free/busy blocks,
availability, unknown ``X-`` components) are counted and reported in one ``Skip``
per file ("2 free/busy blocks left out"), so nothing is dropped silently.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, ClassVar

import icalendar

from ...errors import SourceError
from ...records import Item, Skip
from ..base import MAX_ITEM_TEXT as MAX_TEXT
from ..base import (
    Origin,
    Parsed,
    Source,
    clean_text,
    file_uri,
    left_out_skip,
    open_binary,
    to_utc,
)
from .rrule import RuleError, expand, parse_rule
from .values import (
    When,
    address_of,
    dates_of,
    format_when,
    recurrence_key,
    text_of,
    when_of,
    who_of,
)

__all__ = ["IcalSource"]

#: bytes of one component (event, time zone) at most
MAX_COMPONENT = 8 * 1024 * 1024
#: a calendar read from an archive member is held in memory up to this size
MAX_STREAM_BYTES = 256 * 1024 * 1024
#: longest physical line read at once
READ_LIMIT = 1_000_000
DEFAULT_WINDOW_DAYS = 730
DEFAULT_MAX_OCCURRENCES = 500
_WANTED = ("VEVENT", "VTODO", "VJOURNAL", "VTIMEZONE")
#: what the report calls the components left out
_LEFT_OUT_NAMES = {
    "VFREEBUSY": ("free/busy block", "free/busy blocks"),
    "VAVAILABILITY": ("availability block", "availability blocks"),
}


def _setting(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


@dataclass
class _Block:
    kind: str
    line: int
    text: str
    too_large: bool = False


def _blocks(
    handle: IO[bytes], calendar: dict[str, str], left_out: dict[str, int] | None = None
) -> Iterator[_Block]:
    """Top-level VEVENT/VTODO/VJOURNAL/VTIMEZONE components as text, one at a time.

    Folded lines are joined, binary ATTACH values dropped, calendar-level
    ``X-WR-CALNAME``/``X-WR-TIMEZONE`` copied into ``calendar``; other top-level
    components are passed over and counted by name in ``left_out``.
    """
    lines: list[str] = []
    size = 0
    kind: str | None = None
    start = depth = 0
    other = 0  # depth inside a component that is left out
    logical: bytearray | None = None
    logical_line = number = 0

    def finish(raw: bytes, at: int) -> Iterator[_Block]:
        nonlocal kind, size, start, depth, lines, other
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        upper = text.upper()
        if other:
            if upper.startswith("BEGIN:"):
                other += 1
            elif upper.startswith("END:"):
                other -= 1
            return
        if kind is None:
            name = upper[6:].strip() if upper.startswith("BEGIN:") else ""
            if name in _WANTED:
                kind, start, depth, lines, size = name, at, 1, [text], len(text)
            elif name and name != "VCALENDAR":
                other = 1
                if left_out is not None:
                    left_out[name[:40]] = left_out.get(name[:40], 0) + 1
            elif upper.startswith(("X-WR-CALNAME:", "X-WR-TIMEZONE:")):
                name, _, value = text.partition(":")
                calendar[name.upper()] = value.strip()[:500]
            return
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        if upper.startswith("ATTACH") and "BASE64" in upper.split(":", 1)[0]:
            return
        size += len(text) + 2
        if size <= MAX_COMPONENT:
            lines.append(text)
        if depth == 0:
            yield _Block(kind, start, "\r\n".join(lines) + "\r\n", size > MAX_COMPONENT)
            kind, lines = None, []

    while raw := handle.readline(READ_LIMIT):
        number += 1
        line = raw.rstrip(b"\r\n")
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if logical is not None and line[:1] in (b" ", b"\t"):
            if len(logical) <= MAX_COMPONENT:
                logical += line[1:]
            continue
        if logical is not None:
            yield from finish(bytes(logical), logical_line)
        logical, logical_line = bytearray(line), number
    if logical is not None:
        yield from finish(bytes(logical), logical_line)
    if kind is not None:
        yield _Block(kind, start, "", too_large=False)  # cut short: reported by the caller


_RRULE_LINE = re.compile(r"^RRULE[;:](.*)$", re.M | re.I)


def _timezone_problem(text: str) -> str | None:
    """Why a VTIMEZONE must not be used (checked on its text, before parsing), or None."""
    if text.upper().count("BEGIN:") > 2000:
        return "too many rules"
    for rule in _RRULE_LINE.findall(text):
        compact = re.sub(r"\s+", "", rule).upper()
        if "FREQ=YEARLY" not in compact and "FREQ=MONTHLY" not in compact:
            return f"unsupported rule {rule.strip()[:80]!r}"
    return None


def _left_out_words(left_out: dict[str, int]) -> list[tuple[int, str]]:
    """``(count, words)`` for each kind of component left out, in the file's order."""
    words: list[tuple[int, str]] = []
    for name, count in left_out.items():
        one, many = _LEFT_OUT_NAMES.get(name, (f"{name} component", f"{name} components"))
        words.append((count, one if count == 1 else many))
    return words


class IcalSource(Source):
    name = "ical"
    description = "iCalendar (.ics) events, to-dos and journals; recurring events expanded"
    extensions: ClassVar[tuple[str, ...]] = (".ics", ".ical", ".icalendar")
    #: ``metadata["format"]`` of the items (jCal is read through this class too)
    form: ClassVar[str] = "ical"

    supports_stream: ClassVar[bool] = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return self.sniff_stream(str(path), head)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \r\n\t")[:15].upper()
        suffix = PurePosixPath(name).suffix.lower()
        return suffix in self.extensions or start.startswith(b"BEGIN:VCALENDAR")

    def _read(
        self,
        path: Path | Origin,
        calendar: dict[str, str],
        held: bytes | None,
        left_out: dict[str, int] | None = None,
    ) -> Iterator[_Block]:
        if held is not None:  # an archive member, held in memory (read in two passes)
            yield from _blocks(io.BytesIO(held), calendar, left_out)
            return
        assert isinstance(path, Path)
        handle = open_binary(path)
        with handle:
            yield from _blocks(handle, calendar, left_out)

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        """A calendar inside an archive: held in memory (at most ``MAX_STREAM_BYTES``),
        since time zones and modified occurrences are read in a first pass."""
        data = stream.read(MAX_STREAM_BYTES + 1)
        if len(data) > MAX_STREAM_BYTES:
            raise SourceError(
                f"{name}: calendar larger than {MAX_STREAM_BYTES // 1024**2} MB inside an"
                " archive; extract it and import the file"
            )
        yield from self._parse(Origin(name, origin_uri), data)

    @staticmethod
    def _component(text: str) -> Any:
        try:
            return icalendar.Component.from_ical(text)
        except Exception:  # broad on purpose: icalendar raises many types on malformed input
            return None

    def parse(self, path: Path) -> Iterator[Parsed]:
        yield from self._parse(path, None)

    def _parse(self, path: Path | Origin, held: bytes | None) -> Iterator[Parsed]:
        window = _setting("LIFELOG_ICS_WINDOW_DAYS", DEFAULT_WINDOW_DAYS, 1, 36_500)
        limit = _setting("LIFELOG_ICS_MAX_OCCURRENCES", DEFAULT_MAX_OCCURRENCES, 1, 100_000)
        file = str(path)
        calendar: dict[str, str] = {}
        zones: dict[str, tzinfo] = {}
        overridden: set[tuple[str, str]] = set()
        # first pass: time zones, and the occurrences that modified components replace
        for block in self._read(path, calendar, held):
            if block.kind == "VTIMEZONE" and block.text:
                problem = _timezone_problem(block.text)
                component = None if problem else self._component(block.text)
                tzid = text_of(component.get("TZID")) if component is not None else ""
                if problem or component is None or not tzid:
                    reason = problem or "malformed"
                    yield Skip(
                        file, f"VTIMEZONE at line {block.line}", f"time zone not used: {reason}"
                    )
                    continue
                try:
                    zones[tzid] = component.to_tz()
                except Exception as error:  # broad on purpose: dateutil/icalendar on bad rules
                    yield Skip(
                        file, f"VTIMEZONE at line {block.line}", f"time zone not used: {error}"
                    )
            elif block.kind == "VEVENT" and "RECURRENCE-ID" in block.text.upper():
                component = self._component(block.text)
                when = when_of(component, "RECURRENCE-ID", zones) if component is not None else None
                if when is not None and component.get("UID") is not None:
                    key = recurrence_key(when.value, when.all_day)
                    overridden.add((text_of(component.get("UID")), key))
        seen: dict[str, int] = {}
        left_out: dict[str, int] = {}
        for block in self._read(path, calendar, held, left_out):
            if block.kind == "VTIMEZONE":
                continue
            position = f"{block.kind} at line {block.line}"
            if not block.text:
                yield Skip(file, position, f"{block.kind} never ends (file cut short?)")
                continue
            if block.too_large:
                yield Skip(file, position, f"component larger than {MAX_COMPONENT} bytes")
                continue
            component = self._component(block.text)
            if component is None:
                yield Skip(file, position, "malformed component")
                continue
            yield from self._occurrences(
                path, position, component, calendar, zones, overridden, seen, window, limit
            )
        if left_out:
            yield left_out_skip(file, "calendar", _left_out_words(left_out))

    def _occurrences(
        self,
        path: Path | Origin,
        position: str,
        component: Any,
        calendar: dict[str, str],
        zones: dict[str, tzinfo],
        overridden: set[tuple[str, str]],
        seen: dict[str, int],
        window: int,
        limit: int,
    ) -> Iterator[Parsed]:
        file = str(path)
        task = component.name in ("VTODO", "VJOURNAL")  # no start needed, not expanded
        start = when_of(component, "DTSTART", zones)
        if start is None and not task:
            yield Skip(file, position, "event without a readable DTSTART")
            return
        end = when_of(component, "DUE" if task else "DTEND", zones)
        duration: timedelta | None = None
        if start is not None and end is not None and end.all_day == start.all_day:
            try:
                duration = end.value - start.value
            except TypeError:  # naive and aware
                duration = None
        if start is not None and duration is None and not task:
            try:
                decoded = component.decoded("DURATION") if "DURATION" in component else None
            except Exception:  # broad on purpose: a damaged value
                decoded = None
            if isinstance(decoded, timedelta):
                duration = decoded
            elif start.all_day:
                duration = timedelta(days=1)
        uid = text_of(component.get("UID"))
        summary = text_of(component.get("SUMMARY"))
        recurrence = when_of(component, "RECURRENCE-ID", zones)
        rule_text = component.get("RRULE")
        if isinstance(rule_text, list):
            rule_text = rule_text[0] if rule_text else None
        raw_rule = ""
        if rule_text is not None:
            raw = rule_text.to_ical() if hasattr(rule_text, "to_ical") else str(rule_text)
            raw_rule = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            raw_rule = raw_rule.replace("\\;", ";").replace("\\,", ",")  # a broken value
        rdates = dates_of(component, "RDATE", zones)
        base = uid
        if not base:
            stamp = start.value.isoformat() if start else ""
            base = f"nouid:{summary[:200]}|{stamp}"
            seen[base] = seen.get(base, 0) + 1
            base = base if seen[base] == 1 else f"{base} #{seen[base]}"
        if start is None or task or not (raw_rule or rdates):
            occurrence = (
                recurrence_key(recurrence.value, recurrence.all_day) if recurrence else None
            )
            key = f"{base}/{occurrence}" if occurrence else base
            yield self._item(path, component, key, start, duration, calendar, occurrence, "")
            return
        moments, problem = self._expand(component, start, raw_rule, rdates, zones, window, limit)
        if problem:
            yield Skip(file, position, problem)
        own = recurrence_key(recurrence.value, recurrence.all_day) if recurrence else None
        for moment in moments:
            occurrence = recurrence_key(moment, start.all_day)
            if (uid, occurrence) in overridden and occurrence != own:
                continue  # another component modifies this occurrence
            current = When(moment, start.all_day, start.tzid, start.unknown_tzid)
            yield self._item(
                path,
                component,
                f"{base}/{occurrence}",
                current,
                duration,
                calendar,
                occurrence,
                raw_rule,
            )

    @staticmethod
    def _expand(
        component: Any,
        start: When,
        raw_rule: str,
        rdates: list[tuple[datetime, bool]],
        zones: dict[str, tzinfo],
        window: int,
        limit: int,
    ) -> tuple[list[datetime], str | None]:
        zone = start.value.tzinfo
        wall = start.value.replace(tzinfo=None)
        horizon = wall + timedelta(days=window)
        problem = None
        walls = [wall]
        if raw_rule:
            try:
                rule = parse_rule(raw_rule, zone, zone is None)
                walls = expand(rule, wall, horizon, limit)
            except (RuleError, OverflowError, ValueError) as error:
                problem = f"unreadable RRULE ({error}); only the first occurrence kept"
        moments = [w.replace(tzinfo=zone) for w in walls]
        for value, _is_date in rdates:
            try:
                local = value.astimezone(zone) if value.tzinfo and zone else value
                local_wall = local.replace(tzinfo=None)
            except (OverflowError, ValueError):
                continue
            if wall <= local_wall <= horizon:
                moments.append(local_wall.replace(tzinfo=zone))
        excluded = {
            recurrence_key(v, start.all_day)
            for v, is_date in dates_of(component, "EXDATE", zones)
            if not is_date
        }
        excluded_days = {v.date() for v, is_date in dates_of(component, "EXDATE", zones) if is_date}
        unique: dict[str, datetime] = {}
        for moment in moments:
            key = recurrence_key(moment, start.all_day)
            if key in excluded or moment.date() in excluded_days:
                continue
            unique.setdefault(key, moment)
        ordered = sorted(unique.values(), key=lambda m: to_utc(m) or m)
        return ordered[:limit], problem

    def _item(
        self,
        path: Path | Origin,
        component: Any,
        key: str,
        start: When | None,
        duration: timedelta | None,
        calendar: dict[str, str],
        occurrence: str | None,
        rule: str,
    ) -> Item:
        journal = component.name == "VJOURNAL"
        task = component.name == "VTODO"
        summary = text_of(component.get("SUMMARY"))
        description = text_of(component.get("DESCRIPTION"))
        if journal:  # a journal entry may hold several DESCRIPTIONs: all of its text
            found = component.get("DESCRIPTION")
            texts = found if isinstance(found, list) else [found] if found is not None else []
            description = "\n\n".join(t for t in (text_of(v) for v in texts[:1000]) if t)
        location = text_of(component.get("LOCATION"))
        status = text_of(component.get("STATUS")).upper()
        organizer = address_of(component["ORGANIZER"]) if "ORGANIZER" in component else {}
        attendees_raw = component.get("ATTENDEE")
        attendees = [
            address_of(a)
            for a in (attendees_raw if isinstance(attendees_raw, list) else [attendees_raw])[:500]
            if a is not None
        ]
        categories: list[str] = []
        for prop in (lambda v: v if isinstance(v, list) else [v] if v is not None else [])(
            component.get("CATEGORIES")
        ):
            categories.extend(str(c) for c in getattr(prop, "cats", [prop]))
        end = start.value + duration if start is not None and duration is not None else None
        zone_name = start.tzid if start is not None and not start.all_day else None
        untitled = "(untitled journal entry)" if journal else "(untitled task)"
        lines = [summary or (untitled if task or journal else "(untitled event)")]
        if start is not None and journal:
            lines.append(f"Date: {format_when(start.value, None, start.all_day, None)}")
        elif start is not None:
            label = "Starts" if task else "When"
            lines.append(f"{label}: {format_when(start.value, end, start.all_day, zone_name)}")
        if task and end is not None:
            lines.append(
                f"Due: {format_when(end, None, start is not None and start.all_day, zone_name)}"
            )
        if location:
            lines.append(f"Where: {location}")
        if organizer:
            lines.append(f"Organizer: {who_of(organizer)}")
        if attendees:
            shown = [
                who_of(a) + (f" ({a['status']})" if a.get("status") else "") for a in attendees
            ]
            lines.append("Attendees: " + ", ".join(shown))
        if rule:
            lines.append(f"Repeats: {rule}")
        if status and status not in ("CONFIRMED", "NEEDS-ACTION"):
            lines.append(f"Status: {status.lower()}")
        if categories:
            lines.append("Categories: " + ", ".join(categories))
        url = text_of(component.get("URL"))
        if url:
            lines.append(f"URL: {url}")
        if description:
            lines.extend(["", description])
        text = clean_text("\n".join(lines))
        metadata: dict[str, Any] = {
            "format": self.form,
            "file": path.name,
            "component": component.name,
        }
        if start is not None:
            metadata["start"] = start.value.isoformat()
            metadata["all_day"] = start.all_day
            if start.floating:
                metadata["floating"] = True
            if start.tzid:
                metadata["timezone"] = start.tzid
            if start.unknown_tzid:
                metadata["unknown_timezone"] = start.tzid
        if end is not None:
            metadata["end"] = end.isoformat()
        for name, value in (
            ("uid", text_of(component.get("UID"))),
            ("location", location),
            ("status", status.lower()),
            ("organizer", organizer),
            ("attendees", attendees),
            ("categories", categories),
            ("url", url),
            ("recurrence_id", occurrence),
            ("rrule", rule),
            ("calendar", calendar.get("X-WR-CALNAME")),
        ):
            if value:
                metadata[name] = value
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
            metadata["truncated"] = True
        moment: datetime | None = to_utc(start.value) if start is not None else None
        if task or journal:
            for name in ("DUE", "COMPLETED", "CREATED", "DTSTAMP"):
                if moment is not None:
                    break
                other = when_of(component, name, {})
                moment = to_utc(other.value) if other else None
        first_line = description.split("\n", 1)[0] if journal else ""
        people = [organizer, *attendees]
        participants = tuple(
            dict.fromkeys(v for p in people for v in (p.get("name"), p.get("email")) if v)
        )
        locator = f"UID {metadata['uid']}" if "uid" in metadata else f"line of {summary[:60]!r}"
        if occurrence:
            locator += f" @ {occurrence}"
        return Item(
            source=self.name,
            key=key,
            kind="journal" if journal else "task" if task else "event",
            text=text,
            timestamp=moment,
            author=(organizer.get("name") or organizer.get("email")) if organizer else None,
            participants=participants[:200],
            title=(summary or first_line or text.split("\n", 1)[0])[:500],
            thread=f"ical:{metadata['uid']}" if "uid" in metadata else None,
            uri=file_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )
