"""jCal (RFC 7265): iCalendar in JSON, as CalDAV servers (SabreDAV, Nextcloud) and
calendar APIs give it.

A file holds one calendar (``["vcalendar", [properties…], [components…]]``), a JSON list
of calendars, or ical.js's ``["icalendar", calendar…]``. Each component is turned back into
iCalendar text by the icalendar library's own jCal reader (``Component.from_jcal``, RFC 7265
section 4), and the calendar is then read by :class:`~lifelog.sources.calendar.ical.
IcalSource`: events, to-dos and journals become the very items their ``.ics`` form would
(recurrences expanded, time zones resolved, ``metadata["format"]`` is ``"jcal"``).

The components of a calendar are decoded one at a time
(:class:`~lifelog.sources.jsonstream.JsonStream`); one that is not valid jCal, or too
large, is one ``Skip`` naming it (``component 3 (vevent)``) and the others are read. The
iCalendar text of one calendar is held for the two passes the reader makes (time zones and
modified occurrences first), at most ``MAX_CALENDAR_BYTES``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import icalendar

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, open_text
from .ical import IcalSource

__all__ = ["JcalSource"]

#: iCalendar text of one calendar held at most (the rest is reported, not read)
MAX_CALENDAR_BYTES = 64 * 1024 * 1024
#: components read from one calendar at most
MAX_COMPONENTS = 200_000
_HEAD = re.compile(rb'^\s*\[\s*(?:\[\s*)?"(?:vcalendar|icalendar)"\s*,', re.I)
_ROOT = "vcalendar"
_AT_LINE = re.compile(r"^(\w+) at line (\d+)$")


class _Calendar:
    """The iCalendar text of one jCal calendar, built component by component."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.lines = 0
        self.starts: list[int] = []  # the first line of each component in the text
        self.labels: list[str] = []  # ... and its place in the jCal file
        self.full = False

    def add(self, text: bytes, label: str | None) -> bool:
        if self.size + len(text) > MAX_CALENDAR_BYTES:
            self.full = True
            return False
        if label is not None:
            self.starts.append(self.lines + 1)
            self.labels.append(label)
        self.chunks.append(text)
        self.size += len(text)
        self.lines += text.count(b"\n")
        return True

    def place(self, line: int) -> str | None:
        at = bisect.bisect_right(self.starts, line) - 1
        return self.labels[at] if at >= 0 else None


def _ical(value: Any) -> bytes:
    """One jCal component as iCalendar text (CRLF lines)."""
    if not hasattr(icalendar.Component, "from_jcal"):
        raise SourceError(
            "reading jCal needs an icalendar with jCal support (pip install -U icalendar)"
        )
    component = icalendar.Component.from_jcal(value)
    text: bytes = component.to_ical()
    return text if text.endswith(b"\n") else text + b"\r\n"


class JcalSource(IcalSource):
    name = "jcal"
    description = "jCal calendars (RFC 7265, iCalendar as JSON): read as their .ics would be"
    extensions = (".jcal", ".json")
    form: ClassVar[str] = "jcal"
    supports_stream = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return bool(_HEAD.match(head.removeprefix(b"\xef\xbb\xbf")))

    def sniff_stream(self, name: str, head: bytes) -> bool:
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        with open_text(path) as handle:
            reader = JsonStream(handle)
            if reader.peek() != "[":
                raise SourceError(f"{path}: not a jCal file (expected a JSON array)")
            try:
                yield from self._root(path, reader)
            except JsonStreamError as error:
                yield error.skip(str(path))

    def _root(self, path: Path, reader: JsonStream) -> Iterator[Parsed]:
        single = wrapped = False
        properties: Any = []
        number = 0
        for index in reader.items():
            if index == 0 and reader.peek() == '"':
                head = str(reader.value()).lower()
                if head not in (_ROOT, "icalendar"):
                    raise SourceError(f"{path}: not a jCal file (starts with {head[:40]!r})")
                single, wrapped = head == _ROOT, head != _ROOT
                continue
            if single:  # one calendar: its properties, then its components one at a time
                if index == 1:
                    properties = reader.value()
                elif index == 2 and reader.peek() == "[":
                    yield from self._streamed(path, reader, properties)
                continue
            number += 1
            label = f"calendar {number}"
            try:
                calendar = reader.value()
            except ValueSkipped as error:
                yield Skip(str(path), label, str(error))
                continue
            if not (isinstance(calendar, list) and len(calendar) == 3 and calendar[0] == _ROOT):
                yield Skip(str(path), label, "not a ['vcalendar', [...], [...]] array")
                continue
            components = calendar[2] if isinstance(calendar[2], list) else []
            yield from self._calendar(path, calendar[1], iter(components), prefix=f"{label}: ")
        if wrapped and number == 0:
            yield Skip(str(path), "calendar 1", "no calendar in the file")

    def _streamed(self, path: Path, reader: JsonStream, properties: Any) -> Iterator[Parsed]:
        problems: list[Skip] = []

        def streamed() -> Iterator[Any]:
            for index in reader.items():
                try:
                    yield reader.value()
                except ValueSkipped as error:
                    problems.append(Skip(str(path), f"component {index + 1}", str(error)))
                    yield None

        components = streamed()
        yield from self._calendar(path, properties, components, problems=problems)
        for _ in components:  # what was left unread when the calendar was full
            pass

    def _calendar(
        self,
        path: Path,
        properties: Any,
        components: Iterator[Any],
        prefix: str = "",
        problems: list[Skip] | None = None,
    ) -> Iterator[Parsed]:
        problems = problems if problems is not None else []
        calendar = _Calendar()
        try:
            head = _ical(["vcalendar", properties if isinstance(properties, list) else [], []])
        except (ValueError, TypeError, KeyError) as error:
            yield Skip(str(path), f"{prefix}calendar properties", f"not read: {error}")
            head = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        calendar.add(head.rsplit(b"END:VCALENDAR", 1)[0], None)
        for number, component in enumerate(components, 1):
            yield from problems
            problems.clear()
            if component is None:
                continue
            name = component[0] if isinstance(component, list) and component else "?"
            label = f"{prefix}component {number} ({str(name)[:40]})"
            if number > MAX_COMPONENTS:
                yield Skip(str(path), label, f"more than {MAX_COMPONENTS:,} components; not read")
                break
            try:
                text = _ical(component)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
                yield Skip(str(path), label, f"malformed jCal component: {error}")
                continue
            if not calendar.add(text, label):
                yield Skip(
                    str(path),
                    label,
                    f"calendar larger than {MAX_CALENDAR_BYTES // 1024**2} MB of iCalendar;"
                    " this component and the rest are not read",
                )
                break
        yield from problems
        calendar.add(b"END:VCALENDAR\r\n", None)
        for record in self._parse(path, b"".join(calendar.chunks)):
            if isinstance(record, Skip):
                found = _AT_LINE.match(record.position)
                place = calendar.place(int(found[2])) if found else None
                if place is not None:
                    record = Skip(record.file, place, record.reason)
            yield record
