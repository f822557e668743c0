"""Android's call log database: ``calllog.db`` (Android 7 and later) or ``contacts2.db``.

Android keeps the call log in the ``calls`` table of
``/data/data/com.android.providers.contacts/databases/calllog.db`` (``contacts2.db``
before Android 7), readable from a rooted phone, an emulator or a forensic extraction
(a phone that is not rooted exports the same log with *SMS Backup & Restore*, read by
:mod:`.sms`). The file is recognised by its tables (``calls`` with the call log's
columns ``number``, ``date``, ``duration`` and ``type``), whatever it is called, and
read from a private copy (:mod:`..sqlitecopy`).

Each call is one ``Item`` of kind ``event``, in the shape of the XML backup's calls:
"Missed call with Ana (+15550001), 2 min 5 s", threaded with the texts of the same
number (``sms:<number>``), the contact's name when the log cached one (``name``), the
time (``date``, milliseconds since 1970) and the duration in seconds. Call types:
incoming, outgoing, missed, voicemail, rejected, blocked, answered elsewhere. The key
is the number, the time and the type. A row that cannot be read is one ``Skip`` naming
its ``_id``; a database damaged half-way keeps every call before the damage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import epoch_time, record_uri
from ..sqlitecopy import (
    SQLITE_MAGIC,
    int_value,
    read_copy,
    sqlite_names,
    sqlite_tables,
    table_columns,
    text_value,
)
from .android_sms import phone_key

__all__ = ["AndroidCallsSource"]

#: calls read from one database at most
MAX_ROWS = 5_000_000
_CALL_TYPES = {
    1: "Incoming",
    2: "Outgoing",
    3: "Missed",
    4: "Voicemail",
    5: "Rejected",
    6: "Blocked",
    7: "Answered elsewhere",
}
_WANTED = ("_id", "number", "date", "duration", "type", "name", "geocoded_location", "countryiso")
_NEEDED = {"number", "date", "duration", "type"}


class AndroidCallsSource(Source):
    name = "android_calls"
    description = "Android's call log database (calllog.db, contacts2.db), read from a copy"
    extensions = (".db",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return False
        tables = sqlite_tables(path, head)
        if tables is None:
            return path.name == "calllog.db"
        # contacts2.db also holds raw_contacts; mmssms.db has no calls table
        return "calls" in tables and ("raw_contacts" in tables or "voicemail_status" in tables)

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        with read_copy(path) as connection:
            try:
                tables = sqlite_names(connection)
            except sqlite3.Error as error:
                raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
            if "calls" not in tables:
                raise SourceError(f"{path}: not an Android call log (no table calls)")
            present = table_columns(connection, "calls")
            if not _NEEDED <= present:
                raise SourceError(f"{path}: the calls table lacks {sorted(_NEEDED - present)}")
            picked = ", ".join(
                (
                    f"CASE WHEN length({c}) <= 500 THEN {c} END"
                    if c in ("number", "name", "geocoded_location", "countryiso")
                    else c
                )
                if c in present
                else "NULL"
                for c in _WANTED
            )
            last = None
            try:
                rows = connection.execute(
                    f"SELECT {picked} FROM calls ORDER BY date, _id LIMIT {MAX_ROWS}"
                )
                for row in rows:
                    last = row[0]
                    yield self._call(path, row)
            except sqlite3.Error as error:
                where = f"after call _id {last}" if last is not None else "calls"
                yield Skip(
                    file, where, f"database damaged or unreadable, the rest is lost: {error}"
                )

    def _call(self, path: Path, row: tuple[Any, ...]) -> Parsed:
        cid, number, date, duration, kind, name, place, country = row
        where = f"call _id {int_value(cid)}"
        address = clean_text(text_value(number)).strip() or "unknown"
        when = epoch_time(date, 1000.0)
        if when is None:
            return Skip(str(path), where, "call without a readable date")
        contact = clean_text(text_value(name)).strip()
        code = int_value(kind)
        label = _CALL_TYPES.get(code, "Phone")
        other = contact or address
        text = f"{label} call with {other}"
        if contact:
            text += f" ({address})"
        seconds = int_value(duration)
        if seconds:
            minutes, rest = divmod(seconds, 60)
            text += f", {minutes} min {rest} s" if minutes else f", {rest} s"
        metadata: dict[str, Any] = {"call": label.lower(), "address": address}
        if duration is not None:
            metadata["duration"] = seconds
        for value, field in ((place, "place"), (country, "country")):
            if text_value(value).strip():
                metadata[field] = clean_text(text_value(value)).strip()[:200]
        return Item(
            source=self.name,
            key=f"call/{phone_key(address)}/{int_value(date)}/{code}",
            kind="event",
            text=text,
            timestamp=when,
            author=None,
            participants=(other, "Me"),
            title=f"Call with {other}",
            thread=f"sms:{phone_key(address)}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )
