"""vCard contacts (``.vcf``, versions 2.1, 3.0 and 4.0): one item per contact.

A parser of our own (no dependency), written for the files phones and mail
programs really write: folded lines (a leading space or tab), version 2.1
``ENCODING=QUOTED-PRINTABLE`` values with soft line breaks and a ``CHARSET``,
bare 2.1 type parameters (``TEL;CELL;PREF``), quoted 4.0 parameters
(``TYPE="work,voice"``), ``VALUE=uri`` telephone numbers (``tel:+1-418…;ext=102``),
backslash escapes, Apple ``itemN.`` groups with their ``X-ABLabel``, raw 8-bit
text in UTF-8 or windows-1252. Binary properties (``PHOTO``, ``LOGO``, ``SOUND``,
``KEY``) are dropped as they are read, so a card with a large photo costs no
memory.

Each contact is an item of kind ``contact``: ``title`` is ``FN`` (else the name
built from ``N``, else the organisation, an e-mail address or a number); ``text``
is a readable card (name, nickname, organisation, job title, e-mail addresses,
phone numbers, addresses, birthday, anniversaries, related people, web sites,
chat handles, categories, note); ``participants`` are the name and the e-mail
addresses. ``metadata["emails"]`` (lower case) and ``metadata["phones"]``
(digits, with ``+`` and the country code when the card has one; ``00`` becomes
``+``; extensions dropped) anchor the people directory; also ``names``,
``organization``, ``birthday``, ``uid``, ``categories``, ``urls``.
``timestamp`` is ``REV`` (last revision) when present, else none.

Keys: ``uid:<UID>`` when the card has one; else the name plus the first address
or number (``#2``, ``#3`` … for repeats within a file). A card cut short by the
end of the file is imported with what was read (``metadata["incomplete"]``) and
reported; a card with nothing in it is reported and skipped.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, ClassVar

from ...records import Item, Skip
from ..base import Origin, Parsed, Source, clean_text, file_uri, open_binary
from ..dates import parse_note_date

__all__ = ["VcardSource", "normalize_email", "normalize_phone"]

#: a logical line (after unfolding) longer than this is cut
MAX_LINE = 1_000_000
#: properties kept per card at most
MAX_PROPERTIES = 2000
#: longest physical line read at once
READ_LIMIT = 1_000_000

_BINARY = frozenset((b"PHOTO", b"LOGO", b"SOUND", b"KEY"))
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_EXTENSION = re.compile(r";|,|#|ext\.?|(?<![a-z])x(?=\s*\d)|postfix", re.I)
_LABEL = re.compile(r"_\$!<(.*)>!\$_")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+")
_IM = {
    "IMPP": "Chat",
    "X-AIM": "AIM",
    "X-JABBER": "Jabber",
    "X-SKYPE": "Skype",
    "X-SKYPE-USERNAME": "Skype",
    "X-MSN": "MSN",
    "X-YAHOO": "Yahoo",
    "X-ICQ": "ICQ",
    "X-GOOGLE-TALK": "Google Talk",
    "X-MS-IMADDRESS": "Chat",
    "X-TWITTER": "Twitter",
}
_RELATED = {
    "RELATED": None,
    "X-ABRELATEDNAMES": None,
    "X-EVOLUTION-SPOUSE": "spouse",
    "X-EVOLUTION-MANAGER": "manager",
    "X-EVOLUTION-ASSISTANT": "assistant",
    "X-MS-SPOUSE": "spouse",
    "X-MS-MANAGER": "manager",
    "X-MS-ASSISTANT": "assistant",
    "X-SPOUSE": "spouse",
    "X-MANAGER": "manager",
    "X-ASSISTANT": "assistant",
}
_ANNIVERSARY = ("ANNIVERSARY", "X-ANNIVERSARY", "X-MS-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY")
_IGNORED_TYPES = frozenset(("internet", "pref", "voice", "x400", "encoding", "charset"))


def normalize_email(value: str) -> str | None:
    """``Mailto:Alice@Example.ORG`` -> ``alice@example.org``; None when not an address."""
    text = value.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if _EMAIL.fullmatch(text) and len(text) <= 320 else None


def normalize_phone(value: str) -> str | None:
    """A phone number as ``+`` and digits (E.164-like) or bare digits; None if too short.

    ``tel:+1-418-656-9254;ext=102`` -> ``+14186569254``; ``0049 30 1234`` ->
    ``+49301234``; ``(111) 555-1111`` -> ``1115551111`` (no country code known).
    """
    text = value.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    text = _EXTENSION.split(text, maxsplit=1)[0]
    plus = text.lstrip().startswith("+")
    digits = "".join(c for c in text if c.isdigit() and c.isascii())
    if digits.startswith("00") and not plus:
        digits, plus = digits[2:], True
    if len(digits) < 3 or len(digits) > 20:
        return None
    return ("+" if plus else "") + digits


@dataclass
class _Property:
    group: str
    name: str
    params: dict[str, list[str]]
    value: str


@dataclass
class _Card:
    line: int
    version: str = "3.0"
    properties: list[_Property] = field(default_factory=list)
    errors: bool = False
    cut: bool = False


def _split_unquoted(data: bytes, separator: int, limit: int = -1) -> list[bytes]:
    """Split ``data`` on ``separator`` outside double quotes."""
    parts: list[bytes] = []
    start = 0
    quoted = False
    for index, byte in enumerate(data):
        if byte == 0x22:
            quoted = not quoted
        elif byte == separator and not quoted:
            parts.append(data[start:index])
            start = index + 1
            if limit > 0 and len(parts) == limit:
                break
    parts.append(data[start:])
    return parts


def _head_of(line: bytes) -> bytes:
    """The name and parameters of a content line (before the first unquoted ``:``)."""
    quoted = False
    for index, byte in enumerate(line[:4096]):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:
            return line[:index]
    return line[:4096]


def _logical_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Unfolded content lines with their first line number; binary values emptied."""
    current: bytearray | None = None
    start = 0
    binary = quoted_printable = False
    number = 0
    while raw := handle.readline(READ_LIMIT):
        number += 1
        line = raw.rstrip(b"\r\n")
        if current is not None and line[:1] in (b" ", b"\t"):
            if not binary and len(current) < MAX_LINE:
                current += line[1:]
            continue
        if current is not None and quoted_printable and current.endswith(b"="):
            del current[-1:]  # a quoted-printable soft line break
            if len(current) < MAX_LINE:
                current += line.strip()
            continue
        if current is not None:
            yield start, bytes(current[:MAX_LINE])
        head = _head_of(line).upper()
        name = head.split(b";", 1)[0].rsplit(b".", 1)[-1]
        binary = name in _BINARY
        quoted_printable = b"QUOTED-PRINTABLE" in head
        current = bytearray(line[:MAX_LINE] if not binary else line[: len(head) + 1])
        start = number
    if current is not None:
        yield start, bytes(current[:MAX_LINE])


def _decode(value: bytes, params: dict[str, list[str]]) -> tuple[str, bool]:
    """``(text, had errors)``: the declared charset, else UTF-8, else windows-1252."""
    encoding = (params.get("ENCODING") or [""])[0].upper()
    if encoding == "QUOTED-PRINTABLE" or "QUOTED-PRINTABLE" in params.get("TYPE", []):
        value = quopri.decodestring(value)
    declared = (params.get("CHARSET") or [""])[0]
    for candidate in (declared, "utf-8") if declared else ("utf-8",):
        try:
            return value.decode(candidate), False
        except (LookupError, UnicodeDecodeError):
            continue
    if declared.lower().replace("-", "") != "utf8" and not _UTF8_SEQUENCE.search(value):
        return value.decode("cp1252", errors="replace"), False  # legacy 8-bit text
    return value.decode("utf-8", errors="replace"), True  # UTF-8 with a damaged byte


def _parse_line(line: bytes) -> tuple[_Property, bool] | None:
    head = _head_of(line)
    if len(head) == len(line) or not head:
        return None  # no ":" - not a content line
    value = line[len(head) + 1 :]
    pieces = _split_unquoted(head, 0x3B)
    group, _, name = pieces[0].decode("ascii", errors="replace").strip().rpartition(".")
    params: dict[str, list[str]] = {}
    for piece in pieces[1:64]:
        text = piece.decode("utf-8", errors="replace").strip()
        key, equals, raw = text.partition("=")
        if not equals:  # a bare version 2.1 parameter: TEL;CELL;PREF
            key, raw = (
                ("ENCODING" if key.upper() in ("QUOTED-PRINTABLE", "BASE64", "B") else "TYPE"),
                key,
            )
        values = [v.strip().strip('"') for v in raw.split(",") if v.strip().strip('"')]
        params.setdefault(key.strip().upper(), []).extend(values[:32])
    if "TYPE" in params:
        params["TYPE"] = [t for v in params["TYPE"] for t in v.split(",") if t]
    text, errors = _decode(value, params)
    return _Property(group.upper(), name.upper(), params, text), errors


def _unescape(value: str, version: str) -> str:
    if version.startswith("2"):
        return value.replace("\\;", ";").replace("\\,", ",")
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] in "nN" else m[1], value, flags=re.S)


def _components(value: str, version: str) -> list[str]:
    """A structured value (N, ADR, ORG) split on unescaped ``;``."""
    return [_unescape(p, version).strip() for p in re.split(r"(?<!\\);", value)]


def _types(prop: _Property, labels: dict[str, str]) -> str:
    kinds = [t.lower() for t in prop.params.get("TYPE", []) if t.lower() not in _IGNORED_TYPES]
    if prop.group and prop.group in labels:
        kinds.append(labels[prop.group])
    return f" ({', '.join(dict.fromkeys(kinds))})" if kinds else ""


class VcardSource(Source):
    name = "vcard"
    description = "vCard contacts (.vcf 2.1/3.0/4.0): names, addresses, numbers"
    extensions: ClassVar[tuple[str, ...]] = (".vcf", ".vcard")
    #: ``metadata["format"]`` of the items (the JSON and XML forms read through this class)
    form: ClassVar[str] = "vcard"

    supports_stream: ClassVar[bool] = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return self.sniff_stream(str(path), head)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \r\n\t")[:11].upper()
        return PurePosixPath(name).suffix.lower() in self.extensions or start == b"BEGIN:VCARD"

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        yield from self._parse(Origin(name, origin_uri), stream)

    def parse(self, path: Path) -> Iterator[Parsed]:
        handle = open_binary(path)
        with handle:
            yield from self._parse(path, handle)

    def _parse(self, path: Path | Origin, handle: IO[bytes]) -> Iterator[Parsed]:
        card: _Card | None = None
        depth = 0
        ordinal = 0
        seen: dict[str, int] = {}
        for number, line in _logical_lines(handle):
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            upper = line.strip().upper()
            if upper == b"BEGIN:VCARD":
                if card is None:
                    card, depth = _Card(line=number), 1
                else:
                    depth += 1  # an embedded card (2.1 AGENT): not read
                continue
            if upper == b"END:VCARD":
                if card is not None:
                    depth -= 1
                    if depth == 0:
                        ordinal += 1
                        yield from self._emit(path, card, ordinal, seen)
                        card = None
                continue
            if card is None or depth > 1:
                continue
            parsed = _parse_line(line)
            if parsed is None:
                continue
            prop, errors = parsed
            card.errors = card.errors or errors
            if prop.name == "VERSION":
                card.version = prop.value.strip()[:8]
            elif len(card.properties) < MAX_PROPERTIES:
                card.properties.append(prop)
        if card is not None:
            ordinal += 1
            card.cut = True
            yield from self._emit(path, card, ordinal, seen)

    def _emit(
        self, path: Path | Origin, card: _Card, ordinal: int, seen: dict[str, int]
    ) -> Iterator[Parsed]:
        file = str(path)
        position = f"card {ordinal} (line {card.line})" if card.line else f"card {ordinal}"
        version = card.version
        labels = {
            p.group: (_LABEL.sub(r"\1", _unescape(p.value, version)).strip().lower())
            for p in card.properties
            if p.name == "X-ABLABEL" and p.group
        }
        values: dict[str, list[_Property]] = {}
        for prop in card.properties:
            if prop.name.encode() not in _BINARY and (prop.value.strip() or prop.name == "N"):
                values.setdefault(prop.name, []).append(prop)

        def first(name: str) -> str | None:
            for prop in values.get(name, []):
                text = _unescape(prop.value, version).strip()
                if text:
                    return text[:2000]
            return None

        lines: list[str] = []
        metadata: dict[str, Any] = {"format": self.form, "file": path.name, "version": version}
        fn = first("FN")
        names = _components(values["N"][0].value, version) if "N" in values else []
        if names and len(names) < 5:
            names += [""] * (5 - len(names))
        built = " ".join(p for p in (names[3:4] + names[1:3] + names[0:1] + names[4:5]) if p)
        display = fn or built or None
        nicknames = [_unescape(p.value, version).strip() for p in values.get("NICKNAME", [])]
        organization = [
            ", ".join(c for c in _components(p.value, version) if c) for p in values.get("ORG", [])
        ]
        organization = [o for o in dict.fromkeys(organization) if o]
        emails: list[str] = []
        phones: list[str] = []
        if display:
            lines.append(display)
        if built and built != display:
            lines.append(f"Name: {built}")
        for nick in nicknames:
            lines.append(f"Nickname: {nick}")
        for org in organization:
            lines.append(f"Organization: {org}")
        for name, label in (("TITLE", "Job title"), ("ROLE", "Role")):
            for prop in values.get(name, []):
                lines.append(f"{label}: {_unescape(prop.value, version).strip()}")
        for prop in values.get("EMAIL", []):
            address = normalize_email(_unescape(prop.value, version))
            if address:
                emails.append(address)
                lines.append(f"Email: {address}{_types(prop, labels)}")
        for prop in values.get("TEL", []):
            raw = _unescape(prop.value, version).strip()
            phone = normalize_phone(raw)
            if phone:
                phones.append(phone)
            lines.append(f"Phone: {raw.removeprefix('tel:')}{_types(prop, labels)}")
        for prop in values.get("ADR", []):
            parts = [c for c in _components(prop.value, version) if c]
            if parts:
                lines.append(f"Address: {', '.join(parts)}{_types(prop, labels)}")
        birthday = first("BDAY")
        if birthday:
            lines.append(f"Birthday: {birthday}")
            metadata["birthday"] = birthday
        for name in _ANNIVERSARY:
            if value := first(name):
                lines.append(f"Anniversary: {value}")
        for name, default in _RELATED.items():
            for prop in values.get(name, []):
                kind = labels.get(prop.group) or default or ", ".join(prop.params.get("TYPE", []))
                who = _unescape(prop.value, version).strip()
                lines.append(f"Related: {who}" + (f" ({kind})" if kind else ""))
        for prop in values.get("X-ABDATE", []):
            lines.append(f"Date: {prop.value.strip()}{_types(prop, labels)}")
        urls = [_unescape(p.value, version).strip() for p in values.get("URL", [])]
        for url in dict.fromkeys(urls):
            lines.append(f"Web: {url}")
        for name, label in _IM.items():
            for prop in values.get(name, []):
                lines.append(f"{label}: {_unescape(prop.value, version).strip()}")
        categories = [
            c.strip()
            for p in values.get("CATEGORIES", [])
            for c in re.split(r"(?<!\\),", p.value)
            if c.strip()
        ]
        if categories:
            lines.append(f"Categories: {', '.join(categories)}")
        for prop in values.get("NOTE", []):
            lines.append(f"Note: {_unescape(prop.value, version).strip()}")
        if not (display or emails or phones or organization):
            yield Skip(file, position, "contact has no name, address, number or organisation")
            return
        if card.cut:
            yield Skip(file, position, "card not terminated (file cut short?); kept what was read")
            metadata["incomplete"] = True
        title = display or (organization[0] if organization else None) or (emails or phones)[0]
        extra: tuple[tuple[str, Any], ...] = (
            ("emails", list(dict.fromkeys(emails))),
            ("phones", list(dict.fromkeys(phones))),
            ("names", list(dict.fromkeys(n for n in [fn, built, *nicknames] if n))),
            ("organization", organization[0] if organization else None),
            ("uid", first("UID")),
            ("categories", categories),
            ("urls", list(dict.fromkeys(urls))),
        )
        for name, value in extra:
            if value:
                metadata[name] = value
        if card.errors:
            metadata["encoding_errors"] = True
        uid = metadata.get("uid")
        if uid:
            key = f"uid:{uid}"
        else:
            base = f"{display or ''}|{(emails or phones or organization or [''])[0]}"
            seen[base] = seen.get(base, 0) + 1
            key = base if seen[base] == 1 else f"{base} #{seen[base]}"
        revision = first("REV")
        yield Item(
            source=self.name,
            key=key,
            kind="contact",
            text=clean_text("\n".join(lines)),
            timestamp=parse_note_date(revision) if revision else None,
            participants=tuple(dict.fromkeys([*([display] if display else []), *emails])),
            title=title[:500],
            uri=file_uri(path, f"card {ordinal}"),
            locator=position,
            metadata=metadata,
        )
