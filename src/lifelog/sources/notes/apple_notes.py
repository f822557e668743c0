"""Apple Notes: ``NoteStore.sqlite`` (macOS, and iPhone backups), read from a copy.

The database lives in ``~/Library/Group Containers/group.com.apple.notes/`` on a Mac
(``NoteStore.sqlite`` with its ``-wal``) and, in an iPhone backup, under the hashed name
of ``AppDomainGroup-group.com.apple.notes/NoteStore.sqlite``. It is recognised by its
tables (``ZICCLOUDSYNCINGOBJECT`` and ``ZICNOTEDATA``) whatever it is called, and read
from a private copy (:mod:`..sqlitecopy`).

``ZICCLOUDSYNCINGOBJECT`` holds notes, folders and accounts alike: a note is a row that a
``ZICNOTEDATA`` row points at (``ZNOTE``); its title is ``ZTITLE1`` (``ZTITLE`` before
iOS 13), its folder the row ``ZFOLDER`` names (whose title is ``ZTITLE2``), its dates
Core Data seconds since 2001 in whichever of ``ZCREATIONDATE3``, ``ZCREATIONDATE1``,
``ZCREATIONDATE`` (and ``ZMODIFICATIONDATE1`` ...) the version filled. The body,
``ZICNOTEDATA.ZDATA``, is a gzip-compressed protobuf (``NoteStoreProto``: field 2, the
document; in it field 3, the note; in it field 2, the text): it is inflated up to
``MAX_NOTE_BYTES`` (a bomb is refused) and walked without a protobuf library.

Each note is one item (kind ``note``, source ``apple_notes``): its text (an attachment's
place marked ``[attachment]``), titled, threaded by folder, dated by its creation,
keyed by the note's ``ZIDENTIFIER``. **Left out and counted:** password-protected notes
(their body is encrypted), notes in Recently Deleted. A note whose body cannot be read
is one ``Skip`` naming it; a damaged database keeps the notes before the damage.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
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

__all__ = ["AppleNotesSource", "note_text"]

#: a note's body inflated at most (a gzip bomb is refused)
MAX_NOTE_BYTES = 32 * 1024 * 1024
#: a stored (compressed) body read at most: SQLite's length limit on the copy
MAX_STORED_BYTES = 16 * 1024 * 1024 - 1
#: notes read from one database at most
MAX_ROWS = 5_000_000
_CORE_DATA_EPOCH = 978307200.0
_OBJECTS, _DATA = "ZICCLOUDSYNCINGOBJECT", "ZICNOTEDATA"
_ATTACHMENT = "\ufffc"


class NoteBodyError(ValueError):
    """A note's body cannot be read: said in its Skip."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise NoteBodyError("cut or overlong varint in the note's protobuf")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _field(data: bytes, number: int) -> bytes | None:
    """The first length-delimited field ``number`` of a protobuf message, or None."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        kind, field = key & 7, key >> 3
        if kind == 0:
            _, at = _varint(data, at)
        elif kind == 1:
            at += 8
        elif kind == 5:
            at += 4
        elif kind == 2:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise NoteBodyError("cut field in the note's protobuf")
            if field == number:
                return data[at : at + size]
            at += size
        else:
            raise NoteBodyError(f"unknown protobuf wire type {kind}")
    return None


def note_text(blob: bytes) -> str:
    """The text of a note from its ``ZDATA``: gzip, then NoteStoreProto.document.note.text."""
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header
    try:
        data = inflater.decompress(blob, MAX_NOTE_BYTES)
    except zlib.error as error:
        raise NoteBodyError(f"body is not gzip data: {error}") from error
    if inflater.unconsumed_tail:
        raise NoteBodyError(f"body inflates past {MAX_NOTE_BYTES // 1024**2} MB: not read")
    document = _field(data, 2)
    note = _field(document, 3) if document is not None else None
    text = _field(note, 2) if note is not None else None
    if text is None:
        raise NoteBodyError("no note text in the body's protobuf")
    return text.decode("utf-8", errors="replace")


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, bytes):
        return None
    try:
        seconds = float(value) + _CORE_DATA_EPOCH
    except (TypeError, ValueError):
        return None
    return epoch_time(seconds) if seconds > _CORE_DATA_EPOCH else None


def _first(columns: set[str], *names: str) -> str:
    found = ["n." + name for name in names if name in columns]
    if len(found) > 1:
        return f"COALESCE({', '.join(found)})"
    return found[0] if found else "NULL"


def _short(expression: str) -> str:
    """``expression``, or NULL when longer than a title can be (measured, not loaded)."""
    return f"CASE WHEN length({expression}) <= 10000 THEN {expression} END"


class AppleNotesSource(Source):
    name = "apple_notes"
    description = "Apple Notes (NoteStore.sqlite), read from a copy"
    extensions = (".sqlite",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return False
        tables = sqlite_tables(path, head)
        if tables is None:
            return path.name == "NoteStore.sqlite"
        return {_OBJECTS, _DATA} <= tables

    def parse(self, path: Path) -> Iterator[Parsed]:
        with read_copy(path) as connection:
            try:
                tables = sqlite_names(connection)
            except sqlite3.Error as error:
                raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
            if not {_OBJECTS, _DATA} <= tables:
                raise SourceError(f"{path}: not an Apple Notes database (no {_DATA} table)")
            yield from self._notes(path, connection)

    def _notes(self, path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
        file = str(path)
        objects = table_columns(connection, _OBJECTS)
        data = table_columns(connection, _DATA)
        if "ZNOTE" not in data or "ZDATA" not in data:
            raise SourceError(f"{path}: {_DATA} has no ZNOTE/ZDATA columns")
        folder_join = "LEFT JOIN ZICCLOUDSYNCINGOBJECT f ON f.Z_PK = n.ZFOLDER"
        folder = _short("f.ZTITLE2") if "ZTITLE2" in objects else "NULL"
        if "ZFOLDER" not in objects:
            folder_join, folder = "", "NULL"
        query = (
            f"SELECT n.Z_PK, {_first(objects, 'ZIDENTIFIER')},"
            f" {_short(_first(objects, 'ZTITLE1', 'ZTITLE'))},"
            f" {_first(objects, 'ZCREATIONDATE3', 'ZCREATIONDATE1', 'ZCREATIONDATE')},"
            f" {_first(objects, 'ZMODIFICATIONDATE1', 'ZMODIFICATIONDATE')},"
            f" {_first(objects, 'ZISPASSWORDPROTECTED')}, {_first(objects, 'ZMARKEDFORDELETION')},"
            f" {folder}, CASE WHEN length(d.ZDATA) <= {MAX_STORED_BYTES} THEN d.ZDATA END,"
            " length(d.ZDATA)"
            f" FROM ZICNOTEDATA d JOIN ZICCLOUDSYNCINGOBJECT n ON n.Z_PK = d.ZNOTE {folder_join}"
            f" ORDER BY n.Z_PK LIMIT {MAX_ROWS}"
        )
        left: Counter[str] = Counter()
        last = None
        try:
            for row in connection.execute(query):
                last = row[0]
                record = self._note(path, row, left)
                if record is not None:
                    yield record
        except sqlite3.Error as error:
            where = f"after note {last}" if last is not None else "notes"
            yield Skip(file, where, f"database damaged or unreadable, the rest is lost: {error}")
        if left:
            yield left_out_skip(file, "notes", [(n, what) for what, n in sorted(left.items())])

    def _note(self, path: Path, row: tuple[Any, ...], left: Counter[str]) -> Parsed | None:
        pk, identifier, title, created, modified, locked, deleted, folder, blob, size = row
        where = f"note {int_value(pk)}"
        if int_value(locked):
            left["password-protected notes"] += 1
            return None
        if int_value(deleted):
            left["notes in Recently Deleted"] += 1
            return None
        if blob is None and int_value(size) > MAX_STORED_BYTES:
            return Skip(str(path), where, f"body of {int_value(size):,} bytes: not read")
        if not isinstance(blob, bytes) or not blob:
            return Skip(str(path), where, "note without a body")
        if blob[:2] != b"\x1f\x8b" and blob[:1] != b"\x78":
            left["password-protected notes"] += 1  # encrypted bodies are not gzip
            return None
        try:
            text = note_text(blob)
        except NoteBodyError as error:
            return Skip(str(path), where, str(error))
        text = clean_text(text.replace(_ATTACHMENT, "[attachment]")).strip()
        if not text:
            return Skip(str(path), where, "empty note")
        name = clean_text(text_value(title)).strip() or text.splitlines()[0][:200]
        metadata: dict[str, Any] = {"note_pk": int_value(pk)}
        folder_name = clean_text(text_value(folder)).strip()
        if folder_name:
            metadata["folder"] = folder_name[:200]
        changed = _when(modified)
        if changed is not None:
            metadata["modified"] = changed.isoformat()
        key = text_value(identifier) or f"pk/{int_value(pk)}"
        when = _when(created) or changed
        return Item(
            source=self.name,
            key=key,
            kind="note",
            text=cap_text(text, metadata),
            timestamp=when.astimezone(UTC) if when else None,
            author="Me",
            title=name[:300],
            thread=f"apple_notes:{folder_name or 'Notes'}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )
