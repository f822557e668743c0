"""Opening the SQLite file: SQLCipher encryption, WAL, pragmas.

The key is either a passphrase (run through SQLCipher's own PBKDF2 with a
per-database salt) or 32 random bytes from a key file, used as a raw key.
Temporary tables and sort spills stay in memory, so no plaintext ever touches
the disk.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3

from ..errors import PassphraseError, StoreError

__all__ = ["Connection", "connect", "create_key_file", "read_key_file"]

Connection = Any  # sqlcipher3.Connection; the module ships no type information

DatabaseError: type[Exception] = sqlcipher3.DatabaseError


def create_key_file(path: Path) -> str:
    """Write a new random 256-bit key, readable only by the owner (0600)."""
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def read_key_file(path: Path) -> str:
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise PassphraseError(f"cannot read key file {path}: {error.strerror}") from error
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key.lower()):
        raise PassphraseError(f"key file {path} is not a lifelog key (64 hex digits)")
    return key


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(
    path: Path,
    *,
    passphrase: str | None = None,
    raw_key: str | None = None,
    readonly: bool = False,
) -> Connection:
    """Open (or create) the database, apply the key and the pragmas."""
    try:
        if readonly:
            conn = sqlcipher3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30
            )
        else:
            conn = sqlcipher3.connect(str(path), check_same_thread=False, timeout=30)
    except sqlcipher3.Error as error:
        raise StoreError(f"cannot open {path}: {error}") from error
    if raw_key is not None:
        conn.execute(f"PRAGMA key = \"x'{raw_key}'\"")
    elif passphrase is not None:
        conn.execute(f"PRAGMA key = {_quote(passphrase)}")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as error:
        conn.close()
        if raw_key is not None or passphrase is not None:
            raise PassphraseError(f"cannot decrypt {path}: wrong passphrase or key file") from error
        raise StoreError(
            f"cannot read {path}: it is encrypted (set LIFELOG_PASSPHRASE) or damaged"
        ) from error
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA mmap_size = 0")
    return conn


def is_sqlite_error(error: BaseException) -> bool:
    return isinstance(error, sqlcipher3.Error | sqlite3.Error)
