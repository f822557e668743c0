"""xCard (RFC 6351): vCard in XML (``<vcards xmlns="urn:ietf:params:xml:ns:vcard-4.0">``).

Each ``<vcard>`` is turned back into vCard 4.0 text (RFC 6351 section 5: ``<parameters>``,
structured values such as ``<n>`` and ``<adr>`` whose components keep their order and
empty places, several values of one property, ``<group name="…">``) and read by
:class:`~lifelog.sources.contacts.vcard.VcardSource`, so an xCard contact becomes the item
its ``.vcf`` form would (``metadata["format"]`` is ``"xcard"``). Elements of other
namespaces inside a card (RFC 6351's extension point) are left out.

The file is parsed incrementally (``iterparse``), each card dropped once read, so memory
holds one card. The standard library's expat neither fetches external entities nor
expands entity bombs past its limits. A card with nothing readable is one ``Skip``;
malformed XML is one ``Skip`` at its line and column, after the cards before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed, open_binary
from .jcard import basic_time, escape_text, property_line, vcard_of
from .vcard import MAX_PROPERTIES, VcardSource

__all__ = ["XcardSource"]

NAMESPACE = "urn:ietf:params:xml:ns:vcard-4.0"
_HEAD = re.compile(rb"<(?:\w+:)?vcards\b[^>]*urn:ietf:params:xml:ns:vcard-4\.0", re.S)
#: value elements (RFC 6351 section 5's value types)
_VALUE_TYPES = frozenset(
    (
        "text",
        "uri",
        "date",
        "time",
        "date-time",
        "date-and-or-time",
        "timestamp",
        "boolean",
        "integer",
        "float",
        "utc-offset",
        "language-tag",
        "unknown",
    )
)
_TIME_TYPES = frozenset(("date", "time", "date-time", "date-and-or-time", "timestamp"))
_BINARY = frozenset(("photo", "logo", "sound", "key"))
#: properties whose several ``<text>`` values are components (``;``), not a list (``,``)
_COMPONENT_LISTS = frozenset(("org",))


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _ours(element: ElementTree.Element) -> bool:
    tag = element.tag
    return isinstance(tag, str) and (not tag.startswith("{") or tag[1:].startswith(NAMESPACE))


def _value(element: ElementTree.Element) -> str:
    text = "".join(element.itertext())
    kind = _local(element.tag)
    if kind in _TIME_TYPES:
        return basic_time(text.strip(), kind)
    if kind == "utc-offset":
        return text.strip().replace(":", "")
    return escape_text(text)


def _property(element: ElementTree.Element, group: str) -> str | None:
    name = _local(element.tag)
    if name in _BINARY or name in ("version", "begin", "end"):
        return None
    params: dict[str, list[str]] = {}
    values: list[ElementTree.Element] = []
    for child in element:
        if not _ours(child):
            continue
        if _local(child.tag) == "parameters":
            for param in child:
                params.setdefault(_local(param.tag), []).extend(
                    "".join(v.itertext()).strip() for v in param
                )
        else:
            values.append(child)
    if not values:
        return None
    if all(_local(v.tag) in _VALUE_TYPES for v in values):
        joiner = ";" if name in _COMPONENT_LISTS else ","
        value = joiner.join(_value(v) for v in values)
    else:  # a structured value: named components, in order, each maybe repeated
        components: list[list[str]] = []
        last = ""
        for child in values:
            tag = _local(child.tag)
            text = escape_text("".join(child.itertext()))
            if components and tag == last:
                components[-1].append(text)
            else:
                components.append([text])
            last = tag
        value = ";".join(",".join(v for v in c if v) for c in components)
    return property_line(group, name, params, value)


def _card_lines(card: ElementTree.Element) -> list[str]:
    lines: list[str] = []
    for element in card:
        if len(lines) >= MAX_PROPERTIES:
            break
        if not _ours(element):
            continue
        if _local(element.tag) == "group":
            group = str(element.get("name") or "")
            lines += [line for p in element if _ours(p) and (line := _property(p, group))]
        elif line := _property(element, ""):
            lines.append(line)
    return lines


class XcardSource(VcardSource):
    name = "xcard"
    description = "xCard contacts (RFC 6351, vCard as XML): read as their vCard would be"
    extensions = (".xml", ".xcard")
    form = "xcard"
    supports_stream = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return bool(_HEAD.search(head[:4096]))

    def sniff_stream(self, name: str, head: bytes) -> bool:
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        seen: dict[str, int] = {}
        ordinal = 0
        handle = open_binary(path)
        with handle:
            events = ElementTree.iterparse(handle, events=("start", "end"))
            depth = 0
            try:
                for event, element in events:
                    if event == "start":
                        depth += 1
                        if depth == 1 and _local(element.tag) != "vcards":
                            raise SourceError(f"{path}: not an xCard file (no <vcards>)")
                        continue
                    depth -= 1
                    if depth != 1 or _local(element.tag) != "vcard":
                        continue
                    ordinal += 1
                    card = vcard_of(_card_lines(element), 0)
                    yield from self._emit(path, card, ordinal, seen)
                    element.clear()
            except ElementTree.ParseError as error:
                line, column = error.position
                yield Skip(
                    str(path),
                    f"line {line} column {column + 1}",
                    f"malformed XML ({error}); the rest is not read",
                )
