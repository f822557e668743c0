"""Reading a private copy of a SQLite database that another program keeps open.

Browsers (and Messages) keep their databases open while they run, and on
Windows locked. Opening the live file could block that program, be blocked by
it, or (with a WAL) write beside it. So :func:`read_copy` reads the original
only as bytes and gives the caller a connection to a copy:

* When the database is small enough (``MAX_IN_MEMORY``, 128 MiB; a browser's
  history is typically 5-100 MB) and has no pending journal, its bytes are read
  once and handed to SQLite with ``Connection.deserialize``: the copy lives only
  in memory and nothing of it is written to disk. (A WAL-mode header is switched
  to rollback mode in that copy: an in-memory database cannot use a WAL.)
* Otherwise (a bigger file, or a ``-wal`` / ``-journal`` beside it holding the
  latest writes) the database and its journal are copied into a private
  temporary folder (``mkdtemp``: mode 0700, so no other user can read the
  plaintext copy), SQLite applies the journal to the copy, the result is backed
  up into memory and the folder is deleted at once; only files larger than
  ``MAX_IN_MEMORY`` are read from the folder, deleted when reading ends.

The copy is opened with ``trusted_schema`` off, ``query_only`` on, a bound on the
length of any value and a progress handler that stops queries after
``MAX_SECONDS``: a hostile database cannot run code, hang or flood memory.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import SourceError

__all__ = [
    "MAX_IN_MEMORY",
    "SQLITE_MAGIC",
    "int_value",
    "read_copy",
    "schema_has",
    "sqlite_names",
    "sqlite_tables",
    "table_columns",
    "text_value",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
#: databases up to this size (with their journal; none pending) are copied into memory only
MAX_IN_MEMORY = 128 * 1024 * 1024
#: seconds one database may be read for at most
MAX_SECONDS = 600.0
#: longest string or blob SQLite may hand back (hostile databases)
MAX_VALUE_BYTES = 16 * 1024 * 1024
#: bytes searched for table names when sniffing a SQLite file
SNIFF_BYTES = 1 << 20
#: seconds listing a database's tables may take at most (sniffing)
SNIFF_SECONDS = 2.0
#: table names listed at most
MAX_TABLES = 10_000


def _copy_file(source: Path, target: Path) -> None:
    with source.open("rb") as reader, target.open("wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)


def _harden(connection: sqlite3.Connection) -> None:
    """Limits that keep a hostile database from running code, hanging or flooding memory."""
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.execute("PRAGMA query_only = ON")
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    deadline = time.monotonic() + MAX_SECONDS
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)


@contextmanager
def read_copy(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a private copy of the SQLite database at ``path``.

    In memory when it fits (``MAX_IN_MEMORY``, no pending journal); otherwise via a
    0700 temporary folder that is removed as early as possible. See the module
    docstring for why. Raises ``SourceError`` when the file cannot be copied.
    """
    journals: list[tuple[str, Path]] = []
    try:
        size = path.stat().st_size
        for suffix in ("-wal", "-journal"):
            journal = path.with_name(path.name + suffix)
            if journal.is_file() and journal.stat().st_size > 0:
                journals.append((suffix, journal))
                size += journal.stat().st_size
    except OSError as error:
        raise SourceError(f"{path}: cannot read: {error}") from error
    if not journals and size <= MAX_IN_MEMORY:
        try:
            data = bytearray(size)  # read(n) would first allocate n bytes, whatever the size
            with path.open("rb") as handle:
                got = handle.readinto(data)
            del data[got:]
        except OSError as error:
            raise SourceError(
                f"{path}: cannot read the database (is the browser holding it locked?"
                f" close it, or copy the file first): {error}"
            ) from error
        if data[18:20] == b"\x02\x02":  # WAL mode: an in-memory database cannot use a WAL
            data[18:20] = b"\x01\x01"
        connection = sqlite3.connect(":memory:")
        try:
            connection.deserialize(data)  # SQLite takes its own copy
        except sqlite3.Error as error:
            connection.close()
            raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
        del data
        try:
            _harden(connection)
        except sqlite3.Error as error:
            connection.close()
            raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
        try:
            yield connection
        finally:
            connection.close()
        return
    folder = Path(tempfile.mkdtemp(prefix="lifelog-browser-"))  # created 0700
    try:
        os.chmod(folder, 0o700)
        copy = folder / "history.sqlite"
        try:
            _copy_file(path, copy)
            for suffix, journal in journals:
                _copy_file(journal, copy.with_name(copy.name + suffix))
        except OSError as error:
            raise SourceError(
                f"{path}: cannot copy the database (is the browser holding it locked?"
                f" close it, or copy the file first): {error}"
            ) from error
        # read-write on the private copy, so SQLite can apply its WAL or hot journal
        try:
            disk = sqlite3.connect(copy)
        except sqlite3.Error as error:
            raise SourceError(f"{path}: cannot open the copy: {error}") from error
        try:
            disk.execute("PRAGMA trusted_schema = OFF")
            disk.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as error:
            disk.close()
            raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
        connection = disk
        if size <= MAX_IN_MEMORY:
            memory = sqlite3.connect(":memory:")
            try:
                disk.backup(memory)
            except sqlite3.Error as error:
                memory.close()
                disk.close()
                raise SourceError(f"{path}: cannot read the database: {error}") from error
            disk.close()
            shutil.rmtree(folder, ignore_errors=True)  # the plaintext copy is gone now
            connection = memory
        try:
            _harden(connection)
            yield connection
        finally:
            connection.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def schema_has(path: Path, markers: tuple[bytes, ...]) -> bool:
    """Whether every marker (``b"CREATE TABLE urls"`` ...) is in the file's first MiB, where
    SQLite keeps the schema of a database with a few dozen tables: sniffing without opening."""
    try:
        with path.open("rb") as handle:
            schema = handle.read(SNIFF_BYTES)
    except OSError:
        return False
    return all(marker in schema for marker in markers)


def sqlite_tables(path: Path, head: bytes) -> frozenset[str] | None:
    """The names of the tables of the SQLite database at ``path`` (whose first bytes are
    ``head``), or None when it is not one or cannot be opened.

    How every SQLite-based source recognises its file: by its tables, whatever the
    file is called (``History-57.0.2987.133``, an iPhone backup's hashed name). Cheap
    and bounded: the file is opened read-only and immutable (no lock, no journal, no
    write beside it), only ``sqlite_master`` is read, with ``trusted_schema`` off and
    a time limit; the answer is kept per file, size and modification time.
    """
    if not head.startswith(SQLITE_MAGIC):
        return None
    try:
        status = path.stat()
    except OSError:
        return None
    return _tables(str(path.resolve()), status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=256)
def _tables(path: str, size: int, mtime_ns: int) -> frozenset[str] | None:
    del size, mtime_ns  # part of the cache key only
    uri = f"file:{quote(path)}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
        deadline = time.monotonic() + SNIFF_SECONDS
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT ?", (MAX_TABLES,)
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return frozenset(str(row[0]) for row in rows if isinstance(row[0], str))


# -- reading rows of an open copy (shared by the browser and phone databases) ------------


def text_value(value: Any) -> str:
    """A TEXT (or BLOB) column as text; anything else as ``""``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return ""


def int_value(value: Any) -> int:
    """An INTEGER column as an int; anything else (NULL, text, a bool) as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def table_columns(connection: sqlite3.Connection, table: str) -> set[str]:
    """The column names of ``table`` in an open database."""
    return {str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})")}


def sqlite_names(connection: sqlite3.Connection) -> set[str]:
    """The tables of an open database."""
    return {
        str(row[0])
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
