"""jCard (RFC 7095): vCard in JSON, as CardDAV servers, RDAP and address-book APIs give it.

A file holds one card (``["vcard", [properties…], []]``) or a JSON list of cards. Each
card is turned back into vCard 4.0 text (RFC 7095 section 4: parameters, structured and
multiple values, the ``group`` parameter, dates and times in the basic format) and read by
:class:`~lifelog.sources.contacts.vcard.VcardSource`, so a jCard contact becomes the very
item its ``.vcf`` form would: kind ``contact``, the same title, text, participants,
e-mail addresses and phone numbers (``metadata["format"]`` is ``"jcard"``).

The file is streamed (:class:`~lifelog.sources.jsonstream.JsonStream`): memory holds one
card. A card that is not shaped as jCard, or too large to decode, is one ``Skip`` naming
its place (``card 3``); the cards after it are read. Binary properties (``photo``,
``logo``, ``sound``, ``key``) are dropped, as the vCard reader drops them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, open_text
from .vcard import MAX_LINE, MAX_PROPERTIES, VcardSource, _Card, _parse_line

__all__ = ["JcardSource", "basic_time", "escape_text", "property_line", "vcard_of"]

_HEAD = re.compile(rb'^\s*\[\s*(?:\[\s*)?"vcard"\s*,', re.I)
#: properties whose values are (or may be) large binary data: never written
_BINARY = frozenset(("photo", "logo", "sound", "key"))
#: value types written in the basic ISO 8601 format of vCard text
_TIME_TYPES = frozenset(("date", "time", "date-time", "date-and-or-time", "timestamp"))
_ZONE = re.compile(r"(Z|[+-]\d\d(?::?\d\d)?)$")


def escape_text(value: str) -> str:
    """A vCard TEXT value: backslash, comma, semicolon and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def basic_time(value: str, kind: str = "date-time") -> str:
    """An ISO 8601 extended date or time (jCard, xCard) in vCard's basic format:
    ``--02-03`` → ``--0203``, ``2009-08-08T14:30-05:00`` → ``20090808T1430-0500``."""
    marker = value[: len(value) - len(value.lstrip("-"))] if kind != "time" else ""
    rest = value[len(marker) :]
    if kind == "time":
        day, separator, clock = "", "", rest
    else:
        day, separator, clock = rest.partition("T")
    zone = _ZONE.search(clock) if clock else None
    if zone is not None and (separator or kind == "time"):
        clock = clock[: zone.start()].replace(":", "") + zone[1].replace(":", "")
    else:
        clock = clock.replace(":", "")
    return marker + day.replace("-", "") + separator + clock


def _scalar(value: Any, kind: str) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"a value of type {type(value).__name__}")
    if kind in _TIME_TYPES:
        return basic_time(value, kind)
    if kind == "utc-offset":
        return value.replace(":", "")
    return escape_text(value)


def _component(value: Any, kind: str) -> str:
    """One component of a structured value; a list is its several values."""
    if isinstance(value, list):
        return ",".join(_scalar(v, kind) for v in value)
    return _scalar(value, kind)


def _param_value(value: str) -> str:
    value = value.replace("\r", " ").replace("\n", " ").replace('"', "'")
    return f'"{value}"' if any(c in value for c in ":;,") else value


def property_line(group: str, name: str, params: dict[str, list[str]], value: str) -> str:
    """One vCard content line (unfolded): ``group.NAME;PARAM=a,b:value``."""
    head = f"{group}.{name.upper()}" if group else name.upper()
    for key, values in params.items():
        if values:
            head += f";{key.upper()}=" + ",".join(_param_value(v) for v in values)
    return f"{head}:{value}"


def _jcard_property(prop: Any) -> str | None:
    """One jCard property (``[name, {params}, type, value, …]``) as a vCard line."""
    if not isinstance(prop, list) or len(prop) < 4:
        raise ValueError("a property is not [name, parameters, type, value]")
    name, params, kind = prop[0], prop[1], prop[2]
    if not isinstance(name, str) or not isinstance(params, dict) or not isinstance(kind, str):
        raise ValueError("a property's name, parameters or type has the wrong shape")
    group, _, name = name.lower().rpartition(".")  # ical.js writes "item1.adr"
    if name in _BINARY or name in ("version", "begin", "end"):
        return None
    kept: dict[str, list[str]] = {}
    for key, raw in params.items():
        if key.lower() == "group" and isinstance(raw, str):
            group = raw
            continue
        values = raw if isinstance(raw, list) else [raw]
        kept[str(key)] = [str(v) for v in values if isinstance(v, str | int | float)][:32]
    kind = kind.lower()
    parts: list[str] = []
    for value in prop[3:]:
        if isinstance(value, list):  # a structured value: components, each maybe several
            parts.append(";".join(_component(c, kind) for c in value))
        else:
            parts.append(_scalar(value, kind))
    return property_line(group, name, kept, ",".join(parts))


def vcard_of(lines: list[str], line: int) -> _Card:
    """The vCard reader's card of ``lines`` (content lines), found at ``line`` of the file."""
    card = _Card(line=line, version="4.0")
    for text in lines[:MAX_PROPERTIES]:
        parsed = _parse_line(text.encode("utf-8")[:MAX_LINE])
        if parsed is not None and parsed[0].name not in ("VERSION", "BEGIN", "END"):
            card.properties.append(parsed[0])
    return card


class JcardSource(VcardSource):
    name = "jcard"
    description = "jCard contacts (RFC 7095, vCard as JSON): read as their vCard would be"
    extensions = (".jcard", ".jcf", ".json")
    form = "jcard"
    supports_stream = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return bool(_HEAD.match(head.removeprefix(b"\xef\xbb\xbf")))

    def sniff_stream(self, name: str, head: bytes) -> bool:
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        with open_text(path) as handle:
            reader = JsonStream(handle)
            if reader.peek() != "[":
                raise SourceError(f"{path}: not a jCard file (expected a JSON array)")
            try:
                yield from self._cards(path, reader)
            except JsonStreamError as error:
                yield error.skip(str(path))

    def _cards(self, path: Path, reader: JsonStream) -> Iterator[Parsed]:
        single = False
        ordinal = 0
        seen: dict[str, int] = {}
        for index in reader.items():
            if index == 0 and reader.peek() == '"':  # one card: ["vcard", [...], []]
                single = True
                if str(reader.value()).lower() != "vcard":
                    raise SourceError(f"{path}: not a jCard file (no 'vcard' at its start)")
                continue
            if single and index != 1:
                continue
            ordinal += 1
            line = _line_of(reader.position())
            try:
                card = ["vcard", reader.value()] if single else reader.value()
            except ValueSkipped as error:
                yield Skip(str(path), f"card {ordinal} (line {line})", str(error))
                continue
            try:
                lines = _jcard_lines(card)
            except ValueError as error:
                yield Skip(str(path), f"card {ordinal} (line {line})", f"malformed jCard: {error}")
                continue
            yield from self._emit(path, vcard_of(lines, line), ordinal, seen)


def _line_of(position: str) -> int:
    """The line of a :meth:`JsonStream.position` (``line L column C (char N)``)."""
    return int(position.split()[1])


def _jcard_lines(card: Any) -> list[str]:
    if not isinstance(card, list) or len(card) < 2 or str(card[0]).lower() != "vcard":
        raise ValueError("not a ['vcard', [properties]] array")
    if not isinstance(card[1], list):
        raise ValueError("its properties are not a list")
    return [line for prop in card[1][: MAX_PROPERTIES * 2] if (line := _jcard_property(prop))]
