"""Signal Desktop's database, ``sql/db.sqlite`` in Signal's folder: decrypted, or with its key.

Signal Desktop keeps every message in a SQLCipher database
(``~/.config/Signal/sql/db.sqlite`` on Linux, ``~/Library/Application Support/Signal/``
on a Mac, ``%APPDATA%\\Signal\\`` on Windows). It is read in two forms (source
``signal_desktop``):

* **decrypted** (``sigexport --manual`` leaves ``db-decrypted.sqlite``; ``sqlcipher`` with
  the key can export a plain copy): any SQLite file with Signal's tables (``messages``,
  ``conversations`` with ``identityKeys``, ``sessions`` or ``sticker_packs``), whatever
  it is called, read from a private copy (:mod:`..sqlitecopy`);
* **encrypted, with its key**: ``db.sqlite`` under ``sql/`` beside Signal's
  ``config.json``. The key is the 64 hexadecimal digits of ``config.json``'s ``"key"``
  (Signal Desktop before 2024 kept it there); newer versions seal it as
  ``"encryptedKey"`` with Electron's safeStorage, opened here as Chromium does on Linux
  and macOS: with the keychain's "Signal Safe Storage" password given in
  ``LIFELOG_SIGNAL_SAFE_STORAGE``, or, on Linux without a keyring, with Chromium's fixed
  one. ``LIFELOG_SIGNAL_KEY`` gives the key itself (Windows seals it with DPAPI, which
  only that Windows account can open). The database is opened read-only with SQLCipher
  (the library lifelog's own store uses) and queried in place; a wrong key is one clear
  error. Quit Signal first: it keeps the database open.

Each message of type ``incoming`` or ``outgoing`` (and each call, as a line) is one item
keyed by Signal's own message id, threaded per conversation, the author from the
conversation table (``Me`` for outgoing), attachment names and quoted text in the
metadata. Key changes, profile changes, group updates and other bookkeeping rows are
counted as left out. Over-long values are refused in the query (``CASE WHEN length(…)``:
SQLite measures a value without loading it), so a hostile database cannot hand back a
gigabyte-long body, and one such message is marked, not the end of the import.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

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

__all__ = ["SignalDesktopSource", "signal_key"]

#: messages read from one database at most
MAX_ROWS = 10_000_000
#: characters of one text value read at most (4 bytes each at most: SQLite's 16 MiB limit)
MAX_TEXT_CHARS = 4_000_000
#: seconds reading one encrypted database may take at most
MAX_SECONDS = 600.0
_KEY = re.compile(r"[0-9a-fA-F]{64}")
_KEPT_TYPES = {"incoming", "outgoing", "call-history"}
_CONVERSATION_FIELDS = ("id", "type", "name", "profileName", "e164", "serviceId", "uuid")
_MESSAGE_FIELDS = (
    "id",
    "conversationId",
    "type",
    "body",
    "sent_at",
    "received_at",
    "source",
    "sourceServiceId",
    "sourceUuid",
    "json",
)
#: text columns guarded in the query: column -> (most characters read, what stands instead)
_GUARD = {
    "body": (MAX_TEXT_CHARS, "'[message too long: not read]'"),
    "json": (MAX_TEXT_CHARS, "NULL"),
}


def _errors() -> tuple[type[Exception], ...]:
    try:
        import sqlcipher3
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, sqlcipher3.Error)


_DB_ERRORS = _errors()


def _config(path: Path) -> Path:
    return path.parent.parent / "config.json"


def _unseal(sealed: str, password: str | None) -> str | None:
    """Signal's ``encryptedKey`` opened as Electron's safeStorage seals it on Linux and
    macOS (Chromium's OSCrypt: ``v10``/``v11``, then AES-128-CBC with a key derived by
    PBKDF2-SHA1 from a password and ``saltysalt``, the IV sixteen spaces). The password is
    the one given (the keychain's "Signal Safe Storage", read with ``secret-tool`` or
    ``security``), else Chromium's fixed ``peanuts`` of Linux without a keyring."""
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:
        return None
    try:
        data = bytes.fromhex(sealed)
    except ValueError:
        return None
    if data[:3] not in (b"v10", b"v11") or (len(data) - 3) % 16 or len(data) > 4096:
        return None
    candidates = [(password, 1), (password, 1003)] if password else [("peanuts", 1)]
    for secret, rounds in candidates:
        assert secret is not None
        derived = hashlib.pbkdf2_hmac("sha1", secret.encode(), b"saltysalt", rounds, 16)
        decryptor = Cipher(algorithms.AES(derived), modes.CBC(b" " * 16)).decryptor()
        plain = decryptor.update(data[3:]) + decryptor.finalize()
        pad = plain[-1] if plain else 0
        if 1 <= pad <= 16 and plain.endswith(bytes([pad]) * pad):
            key = plain[:-pad].decode("ascii", errors="replace")
            if _KEY.fullmatch(key):
                return key
    return None


def signal_key(path: Path) -> str | None:
    """The hex key of the encrypted database at ``path``: ``LIFELOG_SIGNAL_KEY``, else
    ``config.json``'s ``"key"``, else its ``"encryptedKey"`` opened with
    ``LIFELOG_SIGNAL_SAFE_STORAGE`` (or Linux's keyring-less default); None when none
    gives one."""
    given = os.environ.get("LIFELOG_SIGNAL_KEY", "").strip()
    if given:
        return given
    try:
        config = json.loads(_config(path).read_bytes()[:1_000_000])
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(config, dict):
        return None
    key = config.get("key")
    if isinstance(key, str):
        return key
    sealed = config.get("encryptedKey")
    if isinstance(sealed, str):
        password = os.environ.get("LIFELOG_SIGNAL_SAFE_STORAGE", "").strip() or None
        return _unseal(sealed, password)
    return None


@contextmanager
def _encrypted(path: Path) -> Iterator[Any]:
    """A read-only SQLCipher connection to Signal's encrypted database at ``path``."""
    key = signal_key(path)
    if key is None:
        raise SourceError(
            f"{path}: Signal Desktop's database is encrypted and its key could not be read"
            " from config.json (newer Signal seals it as encryptedKey with the system"
            " keychain): set LIFELOG_SIGNAL_SAFE_STORAGE to the keychain's 'Signal Safe"
            " Storage' password (secret-tool lookup application Signal; on a Mac: security"
            " find-generic-password -ws 'Signal Safe Storage'), or LIFELOG_SIGNAL_KEY to the"
            " key's 64 hexadecimal digits, or import a decrypted copy (sigexport --manual)"
        )
    if not _KEY.fullmatch(key):
        raise SourceError(f"{path}: the Signal key must be 64 hexadecimal digits")
    try:
        import sqlcipher3
    except ImportError as error:
        raise SourceError(
            f"{path}: reading Signal's encrypted database needs sqlcipher3"
        ) from error
    uri = "file:" + quote(str(path.resolve())) + "?mode=ro"
    try:
        connection = sqlcipher3.connect(uri, uri=True)
    except sqlcipher3.Error as error:
        raise SourceError(f"{path}: cannot open the Signal database: {error}") from error
    try:
        connection.execute(f"PRAGMA key = \"x'{key}'\"")
        connection.execute("PRAGMA cipher_page_size = 4096")
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA query_only = ON")
        deadline = time.monotonic() + MAX_SECONDS
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.Error as error:
            raise SourceError(
                f"{path}: cannot read the Signal database with this key (wrong key, or Signal"
                f" still running?): {error}"
            ) from error
        yield connection
    finally:
        connection.close()


def _guarded(column: str, most: int, instead: str = "NULL") -> str:
    """``column``, or ``instead`` when it is longer than ``most`` (measured, not loaded)."""
    return f"CASE WHEN length({column}) <= {most} THEN {column} ELSE {instead} END"


def _picked(present: set[str], fields: tuple[str, ...]) -> str:
    return ", ".join(
        (_guarded(c, *_GUARD[c]) if c in _GUARD else c) if c in present else "NULL" for c in fields
    )


class SignalDesktopSource(Source):
    name = "signal_desktop"
    description = "Signal Desktop's database (db.sqlite): decrypted, or with its key"
    extensions = (".sqlite",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return (
                path.name == "db.sqlite"
                and path.parent.name == "sql"
                and len(head) >= 16
                and _config(path).is_file()
            )
        tables = sqlite_tables(path, head)
        if tables is None:
            return False
        return {"messages", "conversations"} <= tables and bool(
            {"identityKeys", "sessions", "sticker_packs"} & tables
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            with path.open("rb") as handle:
                plain = handle.read(16) == SQLITE_MAGIC
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        if plain:
            with read_copy(path) as connection:
                yield from self._read(path, connection)
        else:
            with _encrypted(path) as connection:
                yield from self._read(path, connection)

    def _read(self, path: Path, connection: Any) -> Iterator[Parsed]:
        try:
            tables = sqlite_names(connection)
        except _DB_ERRORS as error:
            raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
        if not {"messages", "conversations"} <= tables:
            raise SourceError(f"{path}: not a Signal Desktop database (no messages table)")
        people = self._conversations(connection)
        yield from self._messages(path, connection, people)

    @staticmethod
    def _conversations(connection: Any) -> dict[str, dict[str, str]]:
        present = table_columns(connection, "conversations")
        picked = ", ".join(
            _guarded(c, 1000) if c in present else "NULL" for c in _CONVERSATION_FIELDS
        )
        found: dict[str, dict[str, str]] = {}
        try:
            for row in connection.execute(f"SELECT {picked} FROM conversations LIMIT 1000000"):
                values = {
                    k: clean_text(text_value(v))
                    for k, v in zip(_CONVERSATION_FIELDS, row, strict=True)
                }
                found[values["id"]] = values
        except _DB_ERRORS:
            pass  # names are a nicety: messages are read without them
        return found

    def _messages(
        self, path: Path, connection: Any, people: dict[str, dict[str, str]]
    ) -> Iterator[Parsed]:
        file = str(path)
        by_handle: dict[str, str] = {}
        for person in people.values():
            name = person["name"] or person["profileName"] or person["e164"]
            for handle in (person["serviceId"], person["uuid"], person["e164"]):
                if handle and name:
                    by_handle[handle] = name
        picked = _picked(table_columns(connection, "messages"), _MESSAGE_FIELDS)
        left: Counter[str] = Counter()
        last = None
        try:
            rows = connection.execute(
                f"SELECT {picked} FROM messages ORDER BY sent_at, rowid LIMIT {MAX_ROWS}"
            )
            for row in rows:
                last = row[0]
                kind = text_value(row[2])
                if kind not in _KEPT_TYPES:
                    left[kind or "untyped"] += 1
                    continue
                yield self._message(path, row, people, by_handle)
        except _DB_ERRORS as error:
            where = f"after message {last}" if last is not None else "messages"
            yield Skip(file, where, f"database damaged or unreadable, the rest is lost: {error}")
        if left:
            counts = [(n, f"{kind} rows") for kind, n in sorted(left.items())]
            yield left_out_skip(file, "bookkeeping", counts)

    def _message(
        self,
        path: Path,
        row: tuple[Any, ...],
        people: dict[str, dict[str, str]],
        by_handle: dict[str, str],
    ) -> Parsed:
        mid, conversation, kind, body, sent_at, received_at, source, service, uuid, raw = row
        mid = text_value(mid)
        where = f"message {mid}"
        if not mid:
            return Skip(str(path), "message", "message without an id")
        details: dict[str, Any] = {}
        if isinstance(raw, str) and len(raw) < 4_000_000:
            try:
                loaded = json.loads(raw)
            except (ValueError, RecursionError):
                loaded = None
            if isinstance(loaded, dict):
                details = loaded
        chat = people.get(text_value(conversation), {})
        chat_name = chat.get("name") or chat.get("profileName") or chat.get("e164") or ""
        metadata: dict[str, Any] = {"conversation": text_value(conversation)}
        if chat.get("type") == "group":
            metadata["group"] = True
        text = text_value(body)
        if kind == "call-history":
            text = text or "[call]"
            metadata["call"] = True
        attachments = [
            str(a.get("fileName"))[:200]
            for a in details.get("attachments") or []
            if isinstance(a, dict) and a.get("fileName")
        ][:50]
        if attachments:
            metadata["attachments"] = attachments
        if not text.strip():
            text = " ".join(f"[attachment: {name}]" for name in attachments)
        if not text.strip():
            return Skip(str(path), where, "message without text or attachments")
        quote = details.get("quote")
        if isinstance(quote, dict) and isinstance(quote.get("text"), str):
            metadata["quote"] = quote["text"][:2000]
        author: str | None = "Me"
        if kind != "outgoing":
            handle = text_value(service) or text_value(uuid) or text_value(source)
            author = by_handle.get(handle) or handle or chat_name or None
        millis = int_value(sent_at) or int_value(received_at)
        return Item(
            source=self.name,
            key=mid,
            kind="message",
            text=cap_text(clean_text(text), metadata),
            timestamp=epoch_time(millis, 1000.0),
            author=author,
            participants=tuple(p for p in dict.fromkeys((author or "", chat_name, "Me")) if p),
            title=chat_name or None,
            thread=f"signal:{text_value(conversation)}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )
