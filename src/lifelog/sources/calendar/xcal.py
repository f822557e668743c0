"""xCal (RFC 6321): iCalendar in XML (``<icalendar xmlns="urn:ietf:params:xml:ns:icalendar-2.0">``).

RFC 6321 and jCal (RFC 7265) map iCalendar the same way: a component is its name, its
properties (each a name, parameters, a value type and values) and its sub-components.
Each xCal component is turned into its jCal form (``<recur>`` into a recurrence object,
``<period>`` into start/end, ``<geo>`` into two floats, ``<request-status>`` into its
parts, several ``<parameters>`` values into a list) and read by
:class:`~lifelog.sources.calendar.jcal.JcalSource`, so an xCal event becomes the very
item its ``.ics`` form would (recurrences expanded, time zones resolved,
``metadata["format"]`` is ``"xcal"``). Elements of other namespaces are left out.

The file is parsed incrementally (``iterparse``), each component dropped once
converted, so memory holds one component plus the calendar's iCalendar text (at most
``MAX_CALENDAR_BYTES``, for the reader's two passes). The standard library's expat
neither fetches external entities nor expands entity bombs past its limits. A
component that cannot be converted is one ``Skip`` naming it; malformed XML is one
``Skip`` at its line and column, after the components read before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from xml.etree import ElementTree

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed, open_binary
from .jcal import JcalSource

__all__ = ["XcalSource", "jcal_component"]

NAMESPACE = "urn:ietf:params:xml:ns:icalendar-2.0"
_HEAD = re.compile(rb"<(?:\w+:)?icalendar\b[^>]*urn:ietf:params:xml:ns:icalendar-2\.0", re.S)
_VALUE_TYPES = frozenset(
    (
        "binary",
        "boolean",
        "cal-address",
        "date",
        "date-time",
        "duration",
        "float",
        "integer",
        "period",
        "recur",
        "text",
        "time",
        "uri",
        "utc-offset",
        "unknown",
    )
)
_NUMBERS = {"integer": int, "float": float}
#: recurrence parts whose values are numbers in jCal
_RECUR_NUMBERS = frozenset(
    ("count", "interval", "bysecond", "byminute", "byhour", "bymonthday", "byyearday")
    + ("byweekno", "bymonth", "bysetpos")
)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _ours(element: ElementTree.Element) -> bool:
    tag = element.tag
    return isinstance(tag, str) and (not tag.startswith("{") or tag[1:].startswith(NAMESPACE))


def _text(element: ElementTree.Element) -> str:
    return "".join(element.itertext())


def _children(element: ElementTree.Element) -> list[ElementTree.Element]:
    return [child for child in element if _ours(child)]


def _value(element: ElementTree.Element) -> Any:
    kind = _local(element.tag)
    if kind == "recur":
        recur: dict[str, Any] = {}
        for part in _children(element):
            name = _local(part.tag)
            raw = _text(part).strip()
            value: Any = raw
            if name in _RECUR_NUMBERS:
                try:
                    value = int(raw)
                except ValueError:
                    value = raw
            if name in recur:
                recur[name] = [*(recur[name] if isinstance(recur[name], list) else [recur[name]])]
                recur[name].append(value)
            else:
                recur[name] = value
        return recur
    if kind == "period":
        parts = {_local(p.tag): _text(p).strip() for p in _children(element)}
        return [parts.get("start", ""), parts.get("end") or parts.get("duration", "")]
    text = _text(element)
    if kind in _NUMBERS:
        try:
            return _NUMBERS[kind](text.strip())
        except ValueError:
            return text.strip()
    if kind == "boolean":
        return text.strip().lower() == "true"
    return text if kind == "text" else text.strip()


def _property(element: ElementTree.Element) -> list[Any] | None:
    name = _local(element.tag)
    params: dict[str, Any] = {}
    values: list[ElementTree.Element] = []
    for child in _children(element):
        if _local(child.tag) == "parameters":
            for param in _children(child):
                found = [_text(v).strip() for v in _children(param)] or [_text(param).strip()]
                params[_local(param.tag)] = found[0] if len(found) == 1 else found
        else:
            values.append(child)
    if not values:
        return None
    if name == "geo":  # <latitude>, <longitude>
        parts = {_local(v.tag): _text(v).strip() for v in values}
        return [name, params, "float", [float(parts["latitude"]), float(parts["longitude"])]]
    if name == "request-status":  # <code>, <description>, <data>
        return [name, params, "text", [_text(v).strip() for v in values]]
    kinds = [_local(v.tag) for v in values]
    kind = kinds[0] if kinds[0] in _VALUE_TYPES else "unknown"
    return [name, params, kind, *(_value(v) for v in values)]


def jcal_component(element: ElementTree.Element) -> list[Any]:
    """One xCal component (``<vevent>`` ...) as its jCal array."""
    properties: list[Any] = []
    components: list[Any] = []
    for part in _children(element):
        section = _local(part.tag)
        if section == "properties":
            properties.extend(p for e in _children(part) if (p := _property(e)) is not None)
        elif section == "components":
            components.extend(jcal_component(c) for c in _children(part))
    return [_local(element.tag), properties, components]


class XcalSource(JcalSource):
    name = "xcal"
    description = "xCal calendars (RFC 6321, iCalendar as XML): read as their .ics would be"
    extensions = (".xcs", ".xml")
    form: ClassVar[str] = "xcal"
    supports_stream = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return bool(_HEAD.search(head[:4096]))

    def sniff_stream(self, name: str, head: bytes) -> bool:
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        handle = open_binary(path)
        with handle:
            events = ElementTree.iterparse(handle, events=("start", "end"))
            problems: list[Skip] = []
            stack: list[str] = []
            properties: list[Any] = []

            def components() -> Iterator[Any]:
                """The current calendar's components, as jCal, until its end."""
                try:
                    for event, element in events:
                        if event == "start":
                            stack.append(_local(element.tag))
                            continue
                        stack.pop()
                        if len(stack) == 3 and stack[2] == "components" and _ours(element):
                            try:
                                yield jcal_component(element)
                            except (ValueError, KeyError, TypeError) as error:
                                label = f"component {_local(element.tag)}"
                                problems.append(Skip(str(path), label, f"not read: {error}"))
                            element.clear()
                        elif len(stack) == 1 and _local(element.tag) == "vcalendar":
                            element.clear()
                            return
                except ElementTree.ParseError as error:
                    line, column = error.position
                    problems.append(
                        Skip(
                            str(path),
                            f"line {line} column {column + 1}",
                            f"malformed XML ({error}); the rest is not read",
                        )
                    )

            try:
                for event, element in events:
                    if event == "start":
                        stack.append(_local(element.tag))
                        if len(stack) == 1 and stack[0] != "icalendar":
                            raise SourceError(f"{path}: not an xCal file (no <icalendar>)")
                        if stack == ["icalendar", "vcalendar", "components"]:
                            found = components()
                            yield from self._calendar(path, properties, found, problems=problems)
                            properties = []
                        continue
                    stack.pop()
                    if stack == ["icalendar", "vcalendar"] and _local(element.tag) == "properties":
                        properties = [p for e in _children(element) if (p := _property(e))]
                        element.clear()
            except ElementTree.ParseError as error:
                line, column = error.position
                problems.append(
                    Skip(
                        str(path),
                        f"line {line} column {column + 1}",
                        f"malformed XML ({error}); the rest is not read",
                    )
                )
            yield from problems
