"""Android texts and calls saved by "SMS Backup & Restore" (SyncTech) as XML.

The app writes ``sms-<date>.xml``::

    <smses count="2">
      <sms address="+15555550100" date="1567890000000" type="1" body="Hi"
           contact_name="Alice" readable_date="..." />
      <mms date="1567890000000" msg_box="2" address="+1555~+1666" m_id="..." contact_name="A, B">
        <parts><part ct="text/plain" text="Hello all" /><part ct="image/jpeg" cl="IMG.jpg"
               data="base64..." /></parts>
        <addrs><addr address="+1555" type="137" /><addr address="+1666" type="151" /></addrs>
      </mms>
    </smses>

and ``calls-<date>.xml`` (``<calls><call number date duration type contact_name/>``).

Each ``sms`` and ``mms`` becomes one ``Item`` (kind ``message``) threaded per
correspondent (``sms:<number>``; a group MMS per set of numbers); each ``call``
one ``Item`` of kind ``event``. The author is ``"Me"`` for sent messages, else
the contact name, else the number. ``date`` is milliseconds since 1970 (UTC).
The export carries no message ids for SMS: the key is the number, the time and
the direction (plus an ordinal when several messages share all three); an MMS
is keyed by its ``m_id``. MMS text parts are joined; other parts (pictures,
audio) are named in ``metadata["attachments"]`` and their base64 data is never
kept.

The file is streamed with expat (bounded memory: one record at a time, the
base64 data of pictures dropped as soon as it is read). Documents with a
DOCTYPE or entity declarations are refused (no entity expansion, no external
entities). Two known quirks of the app are repaired on the fly: emoji written
as two surrogate character references (``&#55357;&#56832;``) are combined,
and character references or raw bytes that XML forbids (control characters)
are dropped. A file that is malformed half-way keeps every record before the
damage and reports the rest as one ``Skip`` naming the line.
"""

from __future__ import annotations

import codecs
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, open_binary
from ..jsonstream import cap_text, epoch_time, record_uri

__all__ = ["SmsSource"]

READ_BYTES = 1 << 18
HEAD_BYTES = 65536
#: parts and addresses kept per MMS; the rest are ignored
MAX_PARTS = 200
_DECLARATION = re.compile(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]{1,40})[\"']")
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_REF = re.compile(rb"&#(x[0-9a-fA-F]{1,8}|[0-9]{1,10});(?:&#(x[0-9a-fA-F]{1,8}|[0-9]{1,10});)?")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PHONE = re.compile(r"[+\d\s().\-/]+")
_SMS_TYPES = {1: "received", 2: "sent", 3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
_MMS_BOXES = {1: "received", 2: "sent", 3: "draft", 4: "outbox"}
_CALL_TYPES = {
    1: "Incoming",
    2: "Outgoing",
    3: "Missed",
    4: "Voicemail",
    5: "Rejected",
    6: "Blocked",
    7: "Answered elsewhere",
}
_NULL = {"", "null", "(Unknown)", "(unknown)"}
_OWN = "insert-address-token"


class _Refused(Exception):
    """The document declares a DOCTYPE or entities."""


def _code(raw: bytes) -> int:
    return int(raw[1:], 16) if raw[:1] in (b"x", b"X") else int(raw)


def _allowed(value: int) -> bool:
    return (
        value in (0x9, 0xA, 0xD)
        or 0x20 <= value <= 0xD7FF
        or 0xE000 <= value <= 0xFFFD
        or 0x10000 <= value <= 0x10FFFF
    )


def _fix_ref(match: re.Match[bytes]) -> bytes:
    first = _code(match.group(1))
    second = _code(match.group(2)) if match.group(2) else None
    if second is not None and 0xD800 <= first <= 0xDBFF and 0xDC00 <= second <= 0xDFFF:
        return b"&#%d;" % (0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
    out = b""
    for value in (first, second):
        if value is None:
            continue
        if _allowed(value):
            out += b"&#%d;" % value
        elif 0xD800 <= value <= 0xDFFF:
            out += b"&#65533;"  # a lone surrogate: the replacement character
    return out


def _repair(data: bytes) -> bytes:
    """Fix the character references and raw bytes that SMS Backup & Restore gets wrong."""
    if b"&#" in data:
        data = _REF.sub(_fix_ref, data)
    return _RAW_CONTROL.sub(b"", data)


def _value(attrs: Mapping[str, str], key: str) -> str | None:
    value = attrs.get(key)
    return None if value is None or value.strip() in _NULL else value


def _int(attrs: Mapping[str, str], key: str) -> int | None:
    value = _value(attrs, key)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _number(address: str) -> str:
    """A phone number without spaces and punctuation (emails and names lower-cased)."""
    address = address.strip()
    if _PHONE.fullmatch(address):
        return re.sub(r"[^\d+]", "", address) or address
    return address.lower()


def _when(attrs: Mapping[str, str]) -> datetime | None:
    stamp = _int(attrs, "date")
    if stamp is None:
        return None
    return epoch_time(stamp, 1000.0 if stamp > 1e11 else 1.0)


@dataclass(slots=True)
class _Record:
    tag: str
    attrs: dict[str, str]
    line: int
    parts: list[dict[str, str]] = field(default_factory=list)
    addrs: list[dict[str, str]] = field(default_factory=list)


class _Collector:
    """expat handlers that turn elements into records, dropping what is not needed."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.records: list[_Record] = []
        self.mms: _Record | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        if name in ("sms", "call"):
            self.records.append(_Record(name, attrs, line))
        elif name == "mms":
            self.mms = _Record(name, attrs, line)
        elif self.mms is not None and name == "part" and len(self.mms.parts) < MAX_PARTS:
            attrs.pop("data", None)
            self.mms.parts.append(attrs)
        elif self.mms is not None and name == "addr" and len(self.mms.addrs) < MAX_PARTS:
            self.mms.addrs.append(attrs)

    def end(self, name: str) -> None:
        if name == "mms" and self.mms is not None:
            self.records.append(self.mms)
            self.mms = None


def _refuse(*_args: Any) -> Any:
    raise _Refused("the document declares a DOCTYPE or entities")


class SmsSource(Source):
    name = "sms"
    description = "SMS Backup & Restore XML (texts, MMS and call logs from Android)"
    extensions = (".xml",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".xml":
            return False
        return b"<smses" in head or b"<calls" in head

    def parse(self, path: Path) -> Iterator[Parsed]:
        handle = open_binary(path)
        with handle:
            try:
                head = handle.read(HEAD_BYTES)
            except OSError as error:
                raise SourceError(f"{path}: cannot read: {error}") from error
            if _FORBIDDEN.search(head):
                raise SourceError(
                    f"{path}: refused: the XML declares a DOCTYPE or entities "
                    "(SMS Backup & Restore files never do; entity expansion is not allowed)"
                )
            found = _DECLARATION.search(head[:200])
            encoding = found.group(1).decode("ascii") if found else "utf-8"
            try:
                decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            except LookupError:
                decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            yield from self._stream(path, handle, head, decoder)

    def _stream(self, path: Path, handle: Any, head: bytes, decoder: Any) -> Iterator[Parsed]:
        parser = expat.ParserCreate("UTF-8")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        collector = _Collector(parser)
        parser.StartElementHandler = collector.start
        parser.EndElementHandler = collector.end
        parser.StartDoctypeDeclHandler = _refuse
        parser.EntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse
        recent: OrderedDict[str, int] = OrderedDict()
        pending = b""
        chunk = head
        while True:
            final = not chunk
            text = decoder.decode(chunk, final=final)
            data = pending + text.encode("utf-8", errors="replace")
            cut = -1 if final else data.find(b"&", max(0, len(data) - 40))
            if cut >= 0:
                data, pending = data[:cut], data[cut:]
            else:
                pending = b""
            try:
                parser.Parse(_repair(data), final)
            except expat.ExpatError as error:
                yield from self._drain(path, collector, recent)
                reason = expat.errors.messages.get(error.code, str(error))
                yield Skip(
                    str(path),
                    f"line {error.lineno} column {error.offset}",
                    f"malformed XML: {reason}; the rest of the file is not read",
                )
                return
            except _Refused as refused:
                yield from self._drain(path, collector, recent)
                yield Skip(str(path), f"line {parser.CurrentLineNumber}", str(refused))
                return
            yield from self._drain(path, collector, recent)
            if final:
                return
            try:
                chunk = handle.read(READ_BYTES)
            except OSError as error:
                yield Skip(str(path), f"line {parser.CurrentLineNumber}", f"read error: {error}")
                return

    def _drain(
        self, path: Path, collector: _Collector, recent: OrderedDict[str, int]
    ) -> Iterator[Parsed]:
        records, collector.records = collector.records, []
        for record in records:
            where = f"line {record.line}"
            try:
                if record.tag == "sms":
                    yield self._sms(path, record, where, recent)
                elif record.tag == "mms":
                    yield self._mms(path, record, where, recent)
                else:
                    yield self._call(path, record, where, recent)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                yield Skip(str(path), where, f"malformed {record.tag}: {error}")

    @staticmethod
    def _unique(key: str, recent: OrderedDict[str, int]) -> str:
        """``key``, with an ordinal when an earlier record (among the recent ones) had it."""
        seen = recent.get(key, 0)
        recent[key] = seen + 1
        recent.move_to_end(key)
        if len(recent) > 10_000:
            recent.popitem(last=False)
        return f"{key}/{seen}" if seen else key

    def _item(self, path: Path, key: str, where: str, **fields: Any) -> Item:
        metadata: dict[str, Any] = fields.pop("metadata")
        text = cap_text(clean_text(fields.pop("text")), metadata)
        return Item(
            source=self.name,
            key=key,
            text=text,
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
            **fields,
        )

    def _sms(self, path: Path, record: _Record, where: str, recent: Any) -> Parsed:
        attrs = record.attrs
        address = _value(attrs, "address")
        if address is None:
            return Skip(str(path), where, "sms without an address")
        number = _number(address)
        contact = _value(attrs, "contact_name")
        kind = _int(attrs, "type") or 1
        direction = _SMS_TYPES.get(kind, str(kind))
        metadata: dict[str, Any] = {"address": address, "direction": direction}
        if contact:
            metadata["contact"] = contact
        subject = _value(attrs, "subject")
        if subject:
            metadata["subject"] = subject
        other = contact or address
        key = self._unique(
            f"sms/{number}/{attrs.get('date', '')}/{'in' if kind == 1 else 'out'}", recent
        )
        return self._item(
            path,
            key,
            where,
            kind="message",
            text=attrs.get("body") or "",
            timestamp=_when(attrs),
            author=other if kind == 1 else "Me",
            participants=(other, "Me"),
            title=other,
            thread=f"sms:{number}",
            metadata=metadata,
        )

    def _mms(self, path: Path, record: _Record, where: str, recent: Any) -> Parsed:
        attrs = record.attrs
        addresses = [a for a in (_value(attrs, "address") or "").split("~") if a.strip()]
        contacts = (_value(attrs, "contact_name") or "").split(", ")
        names = (
            dict(zip(addresses, contacts, strict=True)) if len(contacts) == len(addresses) else {}
        )
        sender: str | None = None
        for addr in record.addrs:
            value = _value(addr, "address")
            if value and value != _OWN and value not in addresses:
                addresses.append(value)
            if value and value != _OWN and _int(addr, "type") == 137:
                sender = value
        box = _int(attrs, "msg_box") or 1
        texts: list[str] = []
        attachments: list[str] = []
        for part in record.parts:
            content_type = (part.get("ct") or "").lower()
            if content_type == "application/smil":
                continue
            if content_type.startswith("text/plain"):
                value = _value(part, "text")
                if value:
                    texts.append(value)
                continue
            label = _value(part, "cl") or _value(part, "name") or _value(part, "fn")
            attachments.append(label or content_type or "attachment")
        metadata: dict[str, Any] = {"direction": _MMS_BOXES.get(box, str(box)), "mms": True}
        if addresses:
            metadata["addresses"] = addresses[:50]
        if attachments:
            metadata["attachments"] = attachments[:50]
        subject = _value(attrs, "sub")
        if subject:
            metadata["subject"] = subject
        text = "\n".join(texts) or " ".join(f"[attachment: {a}]" for a in attachments)
        people = [names.get(a, a) for a in addresses]
        author = "Me" if box != 1 else (names.get(sender, sender) if sender else None)
        numbers = sorted({_number(a) for a in addresses}) or ["unknown"]
        m_id = _value(attrs, "m_id")
        key = (
            f"mms/{m_id}"
            if m_id
            else self._unique(f"mms/{'~'.join(numbers)}/{attrs.get('date', '')}/{box}", recent)
        )
        return self._item(
            path,
            key,
            where,
            kind="message",
            text=text,
            timestamp=_when(attrs),
            author=author,
            participants=tuple([*people[:50], "Me"]),
            title=", ".join(people[:10]) or None,
            thread=f"sms:{'~'.join(numbers)}",
            metadata=metadata,
        )

    def _call(self, path: Path, record: _Record, where: str, recent: Any) -> Parsed:
        attrs = record.attrs
        address = _value(attrs, "number") or "unknown"
        contact = _value(attrs, "contact_name")
        kind = _int(attrs, "type") or 0
        label = _CALL_TYPES.get(kind, "Phone")
        other = contact or address
        duration = _int(attrs, "duration")
        text = f"{label} call with {other}"
        if contact:
            text += f" ({address})"
        if duration:
            minutes, seconds = divmod(duration, 60)
            text += f", {minutes} min {seconds} s" if minutes else f", {seconds} s"
        metadata: dict[str, Any] = {"call": label.lower(), "address": address}
        if duration is not None:
            metadata["duration"] = duration
        key = self._unique(f"call/{_number(address)}/{attrs.get('date', '')}/{kind}", recent)
        return self._item(
            path,
            key,
            where,
            kind="event",
            text=text,
            timestamp=_when(attrs),
            author=None,
            participants=(other, "Me"),
            title=f"Call with {other}",
            thread=f"sms:{_number(address)}",
            metadata=metadata,
        )
