"""iMessage and SMS from a Mac's (or an unencrypted iPhone backup's) ``chat.db``.

``~/Library/Messages/chat.db`` is a SQLite database; the tables read are
``message`` (``guid``, ``text``, ``attributedBody``, ``date``, ``is_from_me``,
``handle_id``, ``service`` ...), ``handle`` (phone numbers and addresses),
``chat`` (``guid``, ``chat_identifier``, ``display_name``), ``chat_message_join``,
``chat_handle_join`` and, when present, ``attachment`` /
``message_attachment_join``. The live database is never opened: it is copied
(with its ``-wal`` journal, so recent messages are included) to a private
temporary folder, and the copy is read.

Each message becomes one ``Item`` keyed by its ``guid`` (globally unique),
threaded per chat (``imessage:<chat guid>``), author ``"Me"`` or the sender's
handle (phone number or address). Dates count from 2001-01-01 UTC (Apple's
epoch): in seconds in databases before macOS 10.13, in nanoseconds since;
both are recognised by size. Since macOS Ventura the text is often only in
``attributedBody``, an ``NSAttributedString`` in Apple's typedstream format; the
string is taken from it best-effort (the bytes after the ``NSString`` class
name, with their typedstream length). Tapbacks (reactions) are kept with
``metadata["reaction"]``; attachment names go to ``metadata["attachments"]``
and a message with no text gets ``[attachment: name]``; group events (renames,
members joining or leaving) are kept with ``metadata["system"] = True``.
Columns missing from older schemas are read as NULL.

The database is recognised by its tables (``message``, ``chat``, ``handle``,
``chat_message_join``), whatever the file is called: a renamed copy, or an iPhone
backup's hashed ``3d0d7e5fb2ce288813306e4d4636395e047a3d28``.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import cap_text, record_uri
from ..sqlitecopy import sqlite_tables

__all__ = ["APPLE_EPOCH", "ImessageSource", "apple_time", "typedstream_text"]

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_SQLITE = b"SQLite format 3\x00"
#: the tables that make a database Messages' (macOS chat.db, iOS sms.db)
_TABLES = frozenset(("message", "chat", "handle", "chat_message_join"))
#: the file name of sms.db in an iPhone backup (SHA-1 of "HomeDomain-Library/SMS/sms.db")
_BACKUP_NAME = "3d0d7e5fb2ce288813306e4d4636395e047a3d28"
_COLUMNS = (
    "guid",
    "text",
    "attributedBody",
    "date",
    "date_edited",
    "is_from_me",
    "handle_id",
    "service",
    "cache_has_attachments",
    "associated_message_type",
    "associated_message_guid",
    "item_type",
    "group_action_type",
    "group_title",
    "thread_originator_guid",
    "subject",
)
_TAPBACKS = {
    2000: "loved",
    2001: "liked",
    2002: "disliked",
    2003: "laughed",
    2004: "emphasized",
    2005: "questioned",
    2006: "reacted",
    3000: "removed love",
    3001: "removed like",
    3002: "removed dislike",
    3003: "removed laugh",
    3004: "removed emphasis",
    3005: "removed question",
    3006: "removed reaction",
}


def apple_time(value: Any) -> datetime | None:
    """An Apple-epoch date (seconds, or nanoseconds in newer databases) as aware UTC."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    seconds = value / 1e9 if value > 1e11 else float(value)
    if seconds > 32e9:  # past the year 3000
        return None
    return APPLE_EPOCH + timedelta(seconds=seconds)


def _typedstream_int(blob: bytes, at: int) -> tuple[int, int] | None:
    """A typedstream integer at ``at``: ``(value, next offset)``."""
    if at >= len(blob):
        return None
    marker = blob[at]
    if marker == 0x81:
        if at + 3 > len(blob):
            return None
        return int.from_bytes(blob[at + 1 : at + 3], "little"), at + 3
    if marker == 0x82:
        if at + 5 > len(blob):
            return None
        return int.from_bytes(blob[at + 1 : at + 5], "little"), at + 5
    return marker, at + 1


def typedstream_text(blob: Any) -> str | None:
    """The plain text of an ``attributedBody`` (typedstream ``NSAttributedString``), or None."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        return None
    data = bytes(blob)
    for name in (b"NSString", b"NSMutableString"):
        found = data.find(name)
        if found < 0:
            continue
        # after the class name: version and reference bytes, then "+" (the C-string type)
        plus = data.find(b"+", found + len(name), found + len(name) + 12)
        if plus < 0:
            continue
        parsed = _typedstream_int(data, plus + 1)
        if parsed is None:
            return None
        length, start = parsed
        if length <= 0 or start + length > len(data):
            return None
        return data[start : start + length].decode("utf-8", errors="replace")
    return None


class ImessageSource(Source):
    name = "imessage"
    description = "iMessage / SMS database from macOS (chat.db), read from a copy"
    extensions = (".db",)

    def sniff(self, path: Path, head: bytes) -> bool:
        """By the database's tables, whatever the file is called (a copy, an iPhone
        backup's ``3d0d7e5fb2ce288813306e4d4636395e047a3d28``); a database with Messages'
        own name (``chat.db``, ``sms.db``) is claimed whatever its tables, so that what
        is wrong with it is reported."""
        if not head.startswith(_SQLITE):
            return False
        if path.name.lower() in ("chat.db", "sms.db", _BACKUP_NAME):
            return True
        tables = sqlite_tables(path, head)
        return tables is not None and _TABLES <= tables

    def parse(self, path: Path) -> Iterator[Parsed]:
        with tempfile.TemporaryDirectory(prefix="lifelog-imessage-") as folder:
            copy = Path(folder) / "chat.db"
            try:
                shutil.copyfile(path, copy)
                journal = path.with_name(path.name + "-wal")
                if journal.is_file():  # recent messages not yet checkpointed into the file
                    shutil.copyfile(journal, copy.with_name(copy.name + "-wal"))
            except OSError as error:
                raise SourceError(f"{path}: cannot copy the database: {error}") from error
            try:
                connection = sqlite3.connect(copy)
            except sqlite3.Error as error:
                raise SourceError(f"{path}: cannot open the database: {error}") from error
            try:
                yield from self._read(path, connection)
            except sqlite3.DatabaseError as error:
                raise SourceError(f"{path}: not a readable Messages database: {error}") from error
            finally:
                connection.close()

    @staticmethod
    def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
        return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}

    def _read(self, path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        missing = {"message", "handle"} - tables
        if missing:
            raise SourceError(
                f"{path}: not a Messages database (no table {', '.join(sorted(missing))})"
            )
        handles = {
            row[0]: str(row[1])
            for row in connection.execute("SELECT ROWID, id FROM handle")
            if row[1] is not None
        }
        chats: dict[int, tuple[str, str | None, list[str]]] = {}
        if {"chat", "chat_handle_join"} <= tables:
            members: dict[int, list[str]] = {}
            for chat_id, handle_id in connection.execute(
                "SELECT chat_id, handle_id FROM chat_handle_join"
            ):
                if handle_id in handles:
                    members.setdefault(chat_id, []).append(handles[handle_id])
            chat_columns = self._columns(connection, "chat")
            name_column = "display_name" if "display_name" in chat_columns else "NULL"
            for row in connection.execute(
                f"SELECT ROWID, guid, chat_identifier, {name_column} FROM chat"
            ):
                title = row[3] or row[2]
                chats[row[0]] = (str(row[1] or row[2] or row[0]), title, members.get(row[0], []))
        present = self._columns(connection, "message")
        select = ", ".join(c if c in present else f"NULL AS {c}" for c in _COLUMNS)
        join = ""
        if "chat_message_join" in tables:
            join = (
                ", (SELECT chat_id FROM chat_message_join j"
                " WHERE j.message_id = message.ROWID LIMIT 1) AS chat_id"
            )
        else:
            join = ", NULL AS chat_id"
        attachments = {"attachment", "message_attachment_join"} <= tables
        cursor = connection.execute(f"SELECT ROWID, {select}{join} FROM message ORDER BY ROWID")
        names = ["rowid", *_COLUMNS, "chat_id"]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            where = f"message ROWID {row['rowid']}"
            try:
                files = self._attachments(connection, row) if attachments else []
                yield self._message(path, row, handles, chats, files, where)
            except (ValueError, TypeError, KeyError, sqlite3.Error) as error:
                yield Skip(str(path), where, f"malformed message: {error}")

    @staticmethod
    def _attachments(connection: sqlite3.Connection, row: Mapping[str, Any]) -> list[str]:
        if not row["cache_has_attachments"]:
            return []
        names: list[str] = []
        for transfer, filename in connection.execute(
            "SELECT a.transfer_name, a.filename FROM attachment a"
            " JOIN message_attachment_join j ON j.attachment_id = a.ROWID"
            " WHERE j.message_id = ? LIMIT 50",
            (row["rowid"],),
        ):
            name = transfer or (str(filename).rsplit("/", 1)[-1] if filename else None)
            if name:
                names.append(str(name))
        return names

    def _message(
        self,
        path: Path,
        row: Mapping[str, Any],
        handles: Mapping[int, str],
        chats: Mapping[int, tuple[str, str | None, list[str]]],
        files: list[str],
        where: str,
    ) -> Parsed:
        guid = row["guid"]
        if not guid:
            return Skip(str(path), where, "message without a guid")
        text = row["text"] if isinstance(row["text"], str) else None
        metadata: dict[str, Any] = {}
        if not text and row["attributedBody"] is not None:
            text = typedstream_text(row["attributedBody"])
            if text:
                metadata["from_attributed_body"] = True
        text = (text or "").replace("\ufffc", "").strip("\n")
        if files:
            metadata["attachments"] = files
            if not text.strip():
                text = " ".join(f"[attachment: {name}]" for name in files)
        reaction = _TAPBACKS.get(row["associated_message_type"] or 0)
        if reaction:
            metadata["reaction"] = reaction
            if row["associated_message_guid"]:
                metadata["reaction_to"] = str(row["associated_message_guid"])
        if row["item_type"]:
            metadata["system"] = True
            if not text.strip():
                title = row["group_title"]
                text = f"[renamed the conversation to “{title}”]" if title else "[group event]"
        if row["service"]:
            metadata["service"] = str(row["service"])
        if row["thread_originator_guid"]:
            metadata["reply_to"] = str(row["thread_originator_guid"])
        if row["subject"]:
            metadata["subject"] = str(row["subject"])
        from_me = bool(row["is_from_me"])
        sender = handles.get(row["handle_id"]) if row["handle_id"] else None
        chat = chats.get(row["chat_id"]) if row["chat_id"] is not None else None
        if chat is not None:
            chat_guid, title, members = chat
        else:
            chat_guid, title, members = (f"handle:{sender}" if sender else "unknown"), sender, []
        people = list(dict.fromkeys([*(members or ([sender] if sender else [])), "Me"]))
        author = "Me" if from_me else sender
        return Item(
            source=self.name,
            key=str(guid),
            kind="message",
            text=cap_text(clean_text(text), metadata),
            timestamp=apple_time(row["date"]),
            author=author,
            participants=tuple(people[:50]),
            title=title,
            thread=f"imessage:{chat_guid}",
            uri=record_uri(path, f"message {guid}"),
            locator=f"message {guid}",
            metadata=metadata,
        )
