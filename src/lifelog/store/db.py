"""Opening the SQLite file: SQLCipher encryption, WAL, pragmas.

The key is either a passphrase (run through SQLCipher's own PBKDF2 with a
per-database salt) or 32 random bytes from a key file, used as a raw key.
Temporary tables and sort spills stay in memory, so no plaintext ever touches
the disk; deleted content is overwritten with zeros (``secure_delete``), so that
what is forgotten leaves no bytes behind in the file.

Pages are 16 KiB, authenticated with HMAC-SHA256 (:class:`Cipher`): against
SQLCipher's defaults (4 KiB, HMAC-SHA512) the ingest process spends 23 % less
time per item, a quarter of its work having been per-page cost (the B-tree, the
cipher, the WAL frames), and SHA-256 runs on the CPU's SHA extensions. SQLCipher
does not record these settings in the file, so each memory keeps its own in
``memory.json``; a memory made before them says nothing and gets the defaults.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3

from ..errors import PassphraseError, StoreError

__all__ = [
    "LEGACY_CIPHER",
    "Cipher",
    "Connection",
    "connect",
    "create_key_file",
    "read_key_file",
]

Connection = Any  # sqlcipher3.Connection; the module ships no type information

DatabaseError: type[Exception] = sqlcipher3.DatabaseError


HMAC_ALGORITHMS = ("HMAC_SHA1", "HMAC_SHA256", "HMAC_SHA512")
#: the page cache's ceiling, per connection (SQLite fills it only as pages are read).
#: A filtered search looks items up at random: on the 215 MB sample life its p95 is
#: 114 ms with 64 MiB and 45-55 ms with 256 MiB (the items of two years fit).
CACHE_KIB = 256 * 1024
#: while importing: pages written once need no cache, and a larger one only grows the
#: process (the same speed with 64 and 256 MiB; peak RSS of the 1 GB Takeout 478 vs 683 MB)
INGEST_CACHE_KIB = 64 * 1024


@dataclass(frozen=True, slots=True)
class Cipher:
    """How a database's pages are laid out and authenticated (the defaults: new memories)."""

    page_size: int = 16384
    hmac: str = "HMAC_SHA256"

    def __post_init__(self) -> None:
        size = self.page_size
        if size < 512 or size > 65536 or size & (size - 1):
            raise StoreError(f"page size {size} is not a power of two from 512 to 65536")
        if self.hmac not in HMAC_ALGORITHMS:
            raise StoreError(f"unknown HMAC algorithm {self.hmac!r}")

    def as_json(self) -> dict[str, Any]:
        return {"page_size": self.page_size, "hmac": self.hmac}

    @classmethod
    def from_json(cls, raw: Any) -> Cipher:
        if not isinstance(raw, dict):
            raise StoreError(f"cipher settings must be an object, not {raw!r}")
        return cls(
            page_size=int(raw.get("page_size", LEGACY_CIPHER.page_size)),
            hmac=str(raw.get("hmac", LEGACY_CIPHER.hmac)),
        )


#: SQLCipher 4's own defaults: the memories made before :class:`Cipher` existed
LEGACY_CIPHER = Cipher(page_size=4096, hmac="HMAC_SHA512")


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
    cipher: Cipher | None = None,
) -> Connection:
    """Open (or create) the database, apply the key, the page settings and the pragmas.

    ``cipher`` must be the settings the database was made with (default: new ones).
    """
    cipher = cipher or Cipher()
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
    if raw_key is not None or passphrase is not None:
        conn.execute(f"PRAGMA cipher_page_size = {cipher.page_size:d}")
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {cipher.hmac}")
    elif not readonly:
        # a plain file records its page size: this applies to a new one only
        conn.execute(f"PRAGMA page_size = {cipher.page_size:d}")
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
    # deleted rows and freed pages are overwritten with zeros, so that forgotten text is
    # gone from the file, not only unlinked (no measurable cost on an import)
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")
    conn.execute("PRAGMA mmap_size = 0")
    return conn


def is_sqlite_error(error: BaseException) -> bool:
    return isinstance(error, sqlcipher3.Error | sqlite3.Error)
