"""Outlook ``.msg`` files: one message saved from Outlook (drag to the desktop, Save As).

A ``.msg`` is an OLE compound file (MS-OXMSG): each MAPI property of the message is a
stream named ``__substg1.0_<tag><type>`` (``0037001F``: the subject in UTF-16,
``1000001F``: the plain-text body, ``007D001F``: the internet headers it arrived with
...), fixed-size properties (times, code page) sit in ``__properties_version1.0``, and
recipients and attachments are storages of their own. It is read with ``olefile``
(BSD-2-Clause; optional: without it this source is unavailable, with a warning).

The message is rebuilt as an internet mail (the headers it arrived with when the file
keeps them, else From, To, Cc, Subject, Date and Message-ID from its properties; the
plain-text body, else the HTML body as text) and read by the mail reader, so a ``.msg``
becomes the same item as the same mail in an mbox or ``.eml``: same Message-ID key,
thread, direction and people (``metadata["format"]`` is ``"msg"``). Attachment names
are kept (``metadata["attachments"]``); their contents and embedded messages are not
read (counted). A message whose body exists only as compressed RTF keeps its headers
and says so.

Hostile files: olefile checks the compound file's structure (sector chains, loops);
a stream is read only when it is smaller than ``MAX_STREAM_BYTES``; a file that is not
a readable compound file is a ``SourceError`` naming it; a property that cannot be
decoded is left out.
"""

from __future__ import annotations

import codecs
import email.parser
import email.policy
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import olefile

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed, Source, left_out_skip
from ..htmltext import html_to_text
from .item import MailContext, base_uri, build_item, is_sent_folder
from .pst_read import address_field, header_line

__all__ = ["OutlookMsgSource"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: a property stream larger than this is not read (a body is cut by the mail reader anyway)
MAX_STREAM_BYTES = 32 * 1024 * 1024
#: recipients and attachments read at most
MAX_PARTS = 2000
_PREFIX = "__substg1.0_"
_PROPERTIES = "__properties_version1.0"
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
#: PT_SYSTIME and PT_LONG properties read from the fixed-size property stream
_SUBMIT_TIME, _DELIVERY_TIME, _CODEPAGE, _INTERNET_CPID, _RECIPIENT_TYPE = (
    0x0039,
    0x0E06,
    0x3FFD,
    0x3FDE,
    0x0C15,
)


def _codec(codepage: int | None) -> str:
    names = {65001: "utf-8", 20127: "ascii", 1200: "utf-16-le", 28591: "latin-1"}
    name = names.get(codepage or 0) or (f"cp{codepage}" if codepage else "cp1252")
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


class _Storage:
    """One storage of the message (the root, a recipient, an attachment)."""

    def __init__(self, ole: olefile.OleFileIO, path: list[str], header: int) -> None:
        self.ole = ole
        self.path = path
        self.fixed = self._fixed(header)

    def _read(self, name: str) -> bytes | None:
        entry = [*self.path, name]
        try:
            if self.ole.get_type(entry) != olefile.STGTY_STREAM:
                return None
            if self.ole.get_size(entry) > MAX_STREAM_BYTES:
                return None
            data: bytes = self.ole.openstream(entry).read(MAX_STREAM_BYTES)
            return data
        except (OSError, ValueError, IndexError, struct.error, TypeError):
            return None

    def _fixed(self, header: int) -> dict[int, bytes]:
        """The fixed-size properties: property id -> the 8 bytes of its value."""
        data = self._read(_PROPERTIES) or b""
        found: dict[int, bytes] = {}
        for at in range(header, len(data) - 15, 16):
            tag = struct.unpack_from("<I", data, at)[0]
            found[tag >> 16] = data[at + 8 : at + 16]
        return found

    def number(self, prop: int) -> int | None:
        value = self.fixed.get(prop)
        return struct.unpack("<i", value[:4])[0] if value else None

    def time(self, prop: int) -> datetime | None:
        value = self.fixed.get(prop)
        if not value:
            return None
        ticks = struct.unpack("<Q", value)[0]
        if not 0 < ticks < 0x7FFF_FFFF_FFFF_FFFF:
            return None
        try:
            moment = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
        except OverflowError:
            return None
        return moment if 1970 <= moment.year < 3000 else None

    def text(self, prop: int, codec: str) -> str:
        """A string property (Unicode ``001F``, else 8-bit ``001E`` in ``codec``)."""
        unicode = self._read(f"{_PREFIX}{prop:04X}001F")
        if unicode is not None:
            return unicode.decode("utf-16-le", errors="replace").split("\x00", 1)[0]
        eight = self._read(f"{_PREFIX}{prop:04X}001E")
        if eight is not None:
            return eight.decode(codec, errors="replace").split("\x00", 1)[0]
        return ""

    def binary(self, prop: int) -> bytes | None:
        return self._read(f"{_PREFIX}{prop:04X}0102")

    def children(self, prefix: str) -> list[list[str]]:
        found = []
        for entry in self.ole.listdir(streams=False, storages=True):
            if (
                len(entry) == len(self.path) + 1
                and entry[: len(self.path)] == self.path
                and entry[-1].startswith(prefix)
            ):
                found.append(entry)
        return sorted(found)[:MAX_PARTS]


class OutlookMsgSource(Source):
    name = "outlook_msg"
    description = "Outlook .msg messages (OLE compound files), read as mail"
    extensions = (".msg",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(OLE_MAGIC):
            return False
        if path.suffix.lower() == ".msg":
            return True
        try:  # a .msg saved without its extension: Outlook's property streams
            with olefile.OleFileIO(str(path)) as ole:
                return bool(ole.exists(f"{_PREFIX}001A001F") or ole.exists(f"{_PREFIX}001A001E"))
        except Exception:  # noqa: BLE001 - sniffing a damaged compound file must not fail
            return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        try:
            ole = olefile.OleFileIO(file)
        except Exception as error:  # olefile raises many types on damaged files
            raise SourceError(
                f"{path}: not a readable Outlook message ({type(error).__name__}: {error})"
            ) from error
        with ole:
            try:
                raw, extra, left = self._message(ole)
            except Exception as error:  # noqa: BLE001 - a damaged file is one Skip
                yield Skip(file, "message", f"unreadable message: {type(error).__name__}: {error}")
                return
        context = MailContext(self.name, base_uri(path), sent=is_sent_folder(path.parent.name))
        try:
            record = build_item(raw, context, file=file, position="message", extra=extra)
        except Exception as error:  # noqa: BLE001 - one bad message is one Skip
            record = Skip(file, "message", f"unreadable message: {type(error).__name__}: {error}")
        yield record
        if any(count for count, _ in left):
            yield left_out_skip(file, "attachments", left)

    def _message(self, ole: olefile.OleFileIO) -> tuple[bytes, dict[str, Any], list[Any]]:
        root = _Storage(ole, [], 32)
        codec = _codec(root.number(_CODEPAGE) or root.number(_INTERNET_CPID))

        def text(prop: int) -> str:
            return root.text(prop, codec)

        message_class = text(0x001A)
        headers = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text(0x007D))
        lines: list[bytes] = []
        wanted = ("from", "to", "cc", "date", "message-id", "in-reply-to", "references")
        kept = {name: str(headers[name]) for name in wanted if headers[name]}
        recipients: dict[int, list[str]] = {1: [], 2: [], 3: []}
        for entry in root.children("__recip_version1.0_"):
            person = _Storage(ole, entry, 8)
            kind = person.number(_RECIPIENT_TYPE) or 1
            address = person.text(0x39FE, codec) or person.text(0x3003, codec)
            recipients.setdefault(kind, []).append(
                address_field(person.text(0x3001, codec), address)
            )
        sender = address_field(text(0x0C1A), text(0x5D01) or text(0x0C1F) or text(0x0065))
        fields = {
            "from": sender,
            "to": ", ".join(recipients[1]) or text(0x0E04).replace(";", ","),
            "cc": ", ".join(recipients[2]) or text(0x0E03).replace(";", ","),
            "message-id": text(0x1035),
            "in-reply-to": text(0x1042),
        }
        moment = root.time(_SUBMIT_TIME) or root.time(_DELIVERY_TIME)
        if moment is not None:
            fields["date"] = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
        for name in ("from", "to", "cc", "date", "message-id", "in-reply-to", "references"):
            value = kept.get(name) or fields.get(name, "")
            if value:
                lines.append(
                    header_line(name.title() if name != "message-id" else "Message-ID", value)
                )
        lines.append(header_line("Subject", text(0x0037) or text(0x0E1D)))
        extra: dict[str, Any] = {"format": "msg"}
        if message_class:
            extra["message_class"] = message_class[:100]
        body = text(0x1000)
        if not body.strip():
            html = root.binary(0x1013)
            if html is None:
                html_text = text(0x1013)
            else:
                cpid = root.number(_INTERNET_CPID)
                html_text = html.decode(_codec(cpid) if cpid else "utf-8", errors="replace")
            if html_text.strip():
                body = html_to_text(html_text)[1]
            elif root.binary(0x1009) is not None:
                body = ""
                extra["body"] = "only in compressed RTF: not read"
        names: list[str] = []
        embedded = 0
        for entry in root.children("__attach_version1.0_"):
            part = _Storage(ole, entry, 8)
            if ole.exists([*entry, f"{_PREFIX}3701000D"]):
                embedded += 1
            name = part.text(0x3707, codec) or part.text(0x3704, codec) or part.text(0x3001, codec)
            if name:
                names.append(name[:200])
        if names:
            extra["attachments"] = names[:50]
        lines.append(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n")
        lines.append(b"Content-Transfer-Encoding: 8bit\r\n\r\n")
        raw = b"".join(lines) + body.replace("\r\n", "\n").encode("utf-8", "replace")
        left = [(len(names), "attachment contents"), (embedded, "embedded messages")]
        return raw, extra, left
