"""Android's own message database, ``mmssms.db``: texts (``sms``) and MMS (``pdu``).

Android keeps every text in ``/data/data/com.android.providers.telephony/databases/
mmssms.db`` (readable from a rooted phone, an emulator or a forensic extraction; a
phone that is not rooted exports the same messages with *SMS Backup & Restore*, read by
:mod:`.sms`). The file is recognised by its tables (``sms`` with ``threads`` or
``canonical_addresses``), whatever it is called, and read from a private copy
(:mod:`.sqlitecopy`).

Each row of ``sms`` becomes one ``Item`` (kind ``message``), in the same shape as the
XML backup's: threaded per correspondent (``sms:<number>``), author ``"Me"`` for a sent
message (``type`` 2, 4, 5, 6) else the number (the database holds no contact names:
they are in ``contacts2.db``), ``date`` in milliseconds since 1970. The key is the
number, the time and the direction, as the XML backup's is. Each MMS (``pdu``) is one
item too: its ``text/plain`` parts joined (``part.text``), its other parts (pictures,
audio) named in ``metadata["attachments"]`` (their files are not in the database), its
sender and recipients from ``addr`` (type 137 from, 151 to, 130 cc); ``date`` is in
seconds. A row that cannot be read is one ``Skip`` naming its ``_id``; a database
damaged half-way keeps every row before the damage.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import cap_text, epoch_time, record_uri
from ..sqlitecopy import (
    SQLITE_MAGIC,
    int_value,
    read_copy,
    sqlite_names,
    sqlite_tables,
    table_columns,
    text_value,
)

__all__ = ["AndroidSmsSource", "phone_key"]

#: messages read from one database at most
MAX_ROWS = 5_000_000
#: parts and addresses kept per MMS
MAX_PARTS = 200
_SENT = {2, 4, 5, 6}
_DIRECTIONS = {1: "received", 2: "sent", 3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
_MMS_BOXES = {1: "received", 2: "sent", 3: "draft", 4: "outbox"}
_PHONE = re.compile(r"[+\d\s().\-/]+")
_OWN = "insert-address-token"


def phone_key(address: str) -> str:
    """A number as threads and keys spell it: digits and ``+`` only ("+351 912-345 678" is
    "+351912345678"); an address that is not a number (a name, an email) in lower case.
    The call log threads its calls with the same number's texts through it."""
    address = address.strip()
    if _PHONE.fullmatch(address):
        return re.sub(r"[^\d+]", "", address) or address
    return address.lower()


class AndroidSmsSource(Source):
    name = "android_sms"
    description = "Android's message database (mmssms.db): texts and MMS, read from a copy"
    extensions = (".db",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return False
        tables = sqlite_tables(path, head)
        if tables is None:
            return path.name == "mmssms.db"
        return "sms" in tables and ("threads" in tables or "canonical_addresses" in tables)

    def parse(self, path: Path) -> Iterator[Parsed]:
        with read_copy(path) as connection:
            try:
                tables = sqlite_names(connection)
            except sqlite3.Error as error:
                raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
            if "sms" not in tables:
                raise SourceError(f"{path}: not an Android message database (no table sms)")
            yield from self._texts(path, connection)
            if {"pdu", "part", "addr"} <= tables:
                yield from self._mms(path, connection)

    def _texts(self, path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
        file = str(path)
        present = table_columns(connection, "sms")
        wanted = ("_id", "address", "date", "type", "body", "subject", "read", "thread_id")
        picked = ", ".join(c if c in present else "NULL" for c in wanted)
        last = None
        try:
            rows = connection.execute(f"SELECT {picked} FROM sms ORDER BY _id LIMIT {MAX_ROWS}")
            for row in rows:
                last = row[0]
                yield self.text_value(path, row)
        except sqlite3.Error as error:
            where = f"after sms _id {last}" if last is not None else "sms"
            yield Skip(file, where, f"database damaged or unreadable, the rest is lost: {error}")

    def text_value(self, path: Path, row: tuple[Any, ...]) -> Parsed:
        sid, address, date, kind, body, subject, read, thread_id = row
        where = f"sms _id {sid}"
        address = clean_text(text_value(address)).strip()
        if not address:
            return Skip(str(path), where, "sms without an address")
        when = epoch_time(date, 1000.0 if int_value(date) > 1e11 else 1.0)
        number = phone_key(address)
        code = int_value(kind) or 1
        sent = code in _SENT
        metadata: dict[str, Any] = {
            "address": address,
            "direction": _DIRECTIONS.get(code, str(code)),
            "android_thread": int_value(thread_id),
        }
        if text_value(subject).strip():
            metadata["subject"] = clean_text(text_value(subject))[:500]
        if read is not None:
            metadata["read"] = bool(int_value(read))
        text = cap_text(clean_text(text_value(body)), metadata)
        return Item(
            source=self.name,
            key=f"sms/{number}/{int_value(date)}/{'out' if sent else 'in'}/{sid}",
            kind="message",
            text=text,
            timestamp=when,
            author="Me" if sent else address,
            participants=(address, "Me"),
            title=address,
            thread=f"sms:{number}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )

    def _mms(self, path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
        file = str(path)
        last = None
        try:
            pdus = connection.execute(
                f"SELECT _id, date, msg_box, m_id, sub FROM pdu ORDER BY _id LIMIT {MAX_ROWS}"
            ).fetchall()
            for pid, date, box, m_id, subject in pdus:
                last = pid
                parts = connection.execute(
                    "SELECT ct, text, cl, name FROM part WHERE mid = ? ORDER BY seq, _id LIMIT ?",
                    (pid, MAX_PARTS),
                ).fetchall()
                addrs = connection.execute(
                    "SELECT address, type FROM addr WHERE msg_id = ? ORDER BY _id LIMIT ?",
                    (pid, MAX_PARTS),
                ).fetchall()
                yield self._one_mms(path, pid, date, box, m_id, subject, parts, addrs)
        except sqlite3.Error as error:
            where = f"after pdu _id {last}" if last is not None else "pdu"
            yield Skip(file, where, f"database damaged or unreadable, the rest is lost: {error}")

    def _one_mms(
        self,
        path: Path,
        pid: Any,
        date: Any,
        box: Any,
        m_id: Any,
        subject: Any,
        parts: list[Any],
        addrs: list[Any],
    ) -> Parsed:
        where = f"pdu _id {pid}"
        texts: list[str] = []
        attachments: list[str] = []
        for content_type, text, location, name in parts:
            kind = text_value(content_type).lower()
            if kind == "application/smil":
                continue
            if kind.startswith("text/plain"):
                if text_value(text).strip():
                    texts.append(text_value(text))
                continue
            label = text_value(location) or text_value(name) or kind or "attachment"
            attachments.append(label[:200])
        sender = None
        others: list[str] = []
        for address, kind in addrs:
            value = clean_text(text_value(address)).strip()
            if not value or value == _OWN:
                continue
            if int_value(kind) == 137:
                sender = value
            if value not in others:
                others.append(value)
        code = int_value(box) or 1
        if not texts and not attachments:
            return Skip(str(path), where, "MMS without text or parts")
        metadata: dict[str, Any] = {"direction": _MMS_BOXES.get(code, str(code)), "mms": True}
        if others:
            metadata["addresses"] = others[:50]
        if attachments:
            metadata["attachments"] = attachments[:50]
        if text_value(subject).strip():
            metadata["subject"] = clean_text(text_value(subject))[:500]
        text = "\n".join(texts) or " ".join(f"[attachment: {a}]" for a in attachments)
        numbers = sorted({phone_key(a) for a in others}) or ["unknown"]
        key = (
            f"mms/{text_value(m_id)}"
            if text_value(m_id)
            else f"mms/{'~'.join(numbers)}/{int_value(date)}"
        )
        return Item(
            source=self.name,
            key=key,
            kind="message",
            text=cap_text(clean_text(text), metadata),
            timestamp=epoch_time(date, 1000.0 if int_value(date) > 1e11 else 1.0),
            author="Me" if code != 1 else sender,
            participants=(*others[:50], "Me"),
            title=", ".join(others[:5]) or None,
            thread=f"sms:{'~'.join(numbers)}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )
