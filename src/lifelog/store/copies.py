"""Backups, restores and a new key: the store's file copied or re-encrypted whole.

- :func:`backup_to` copies the database with SQLite's online backup API from a
  read-only connection of its own: one step, inside one read transaction, so the copy
  is the last commit as it was, while other connections (an import, the server) go on
  writing to the write-ahead log. The copy is encrypted with the same key (a fresh
  salt) and checked before it counts.
- :func:`exclusive` proves nobody else has the database open (leaving write-ahead
  logging needs every other connection gone) and keeps it so, for a rekey or a
  restore that replaces the file.
- :func:`rekey` re-encrypts every page with a new key (``PRAGMA rekey``) in one
  rollback-journal transaction: stopped at any point, the file opens with the old key
  or with the new one, never half of each.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import CONFIG_NAME, DB_NAME, MemoryConfig, load_config, save_config
from ..errors import LifelogError, NotFoundError, StoreError, UserError
from .db import Connection, Keying, connect, file_salt, is_damage, key_check
from .keys import key_path, keying_from, keying_json, pending_key_path

__all__ = [
    "BackupInfo",
    "backup_memory",
    "backup_to",
    "exclusive",
    "key_pragma",
    "rekey",
    "rekey_memory",
    "restore_memory",
    "verify_copy",
    "write_secret",
]


def key_pragma(keying: Keying) -> str:
    """The value ``PRAGMA key`` / ``PRAGMA rekey`` take for ``keying``."""
    if keying.raw_key is not None:
        return f"\"x'{keying.raw_key}'\""
    if keying.passphrase is not None:
        return "'" + keying.passphrase.replace("'", "''") + "'"
    raise StoreError("an unencrypted database has no key to change")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def verify_copy(path: Path, keying: Keying) -> int:
    """Open the copy at ``path`` with ``keying`` and run SQLite's quick check; return how
    many items it holds. Raises ``StoreError`` (or ``PassphraseError``) if it fails."""
    conn = connect(path, keying=keying, readonly=True)
    try:
        result = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        if result != ["ok"]:
            raise StoreError(f"{path} failed SQLite's check: {'; '.join(result[:3])}")
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    except Exception as error:
        if is_damage(error):
            raise StoreError(f"{path} failed SQLite's check: {error}") from error
        raise
    finally:
        conn.close()


def backup_to(source: Connection, target: Path, keying: Keying) -> int:
    """Copy the database ``source`` reads into a new file ``target`` encrypted with
    ``keying``; checked, flushed to disk. Returns how many items the copy holds."""
    if target.exists():
        raise UserError(f"{target} exists already")
    dest = connect(target, keying=keying)
    try:
        source.backup(dest)  # pages=-1: one step, one read transaction, one snapshot
        dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no WAL
    finally:
        dest.close()
    os.chmod(target, 0o600)
    _fsync(target)
    return verify_copy(target, keying)


@contextmanager
def exclusive(
    conn: Connection, path: Path, *, keep: bool = True, wait: float | None = None
) -> Iterator[Connection]:
    """Hold ``conn`` as the only connection to its database, in rollback-journal mode,
    for the block; back to write-ahead logging after (unless not ``keep``: the file
    is being replaced). ``UserError`` when another connection (another lifelog, the
    server) has it open, once it has been waited for ``wait`` seconds (``None``: the
    connection's busy timeout, 30 s from :func:`~lifelog.store.db.connect`)."""
    before = None
    if wait is not None:
        before = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        conn.execute(f"PRAGMA busy_timeout = {max(0, round(wait * 1000)):d}")
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except Exception as error:
        if "locked" in str(error) or "busy" in str(error):
            mode = "wal"
        else:
            raise
    finally:
        if before is not None:
            conn.execute(f"PRAGMA busy_timeout = {before:d}")
    if str(mode).lower() != "delete":
        raise UserError(
            f"{path} is in use by another process (lifelog serve, an import): stop it and try again"
        )
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("COMMIT")  # the exclusive lock stays, in this locking mode
    try:
        yield conn
    finally:
        if keep:
            conn.execute("PRAGMA locking_mode = NORMAL")
            conn.execute("PRAGMA journal_mode = WAL")


def rekey(conn: Connection, path: Path, new: Keying, *, wait: float | None = None) -> None:
    """Re-encrypt the database ``conn`` has open with ``new``'s key (one transaction);
    another connection to it is waited for ``wait`` seconds (see :func:`exclusive`)."""
    with exclusive(conn, path, wait=wait):
        conn.execute(f"PRAGMA rekey = {key_pragma(new)}")


# -- a memory's folder: the database, memory.json and the key file ---------------------

BACKUP_INFO = "backup.json"


def backup_memory(home: Path, store: Any, config: MemoryConfig, target: Path) -> BackupInfo:
    """Write a backup of the memory at ``home`` to the new folder ``target``: the
    database (same key, checked) and ``memory.json``; never the key file or the
    server's token. Written to ``<target>.partial`` and renamed when whole."""
    target = target.expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"{target} exists and is not an empty folder")
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, mode=0o700)
    reader = store.reader()
    try:
        if reader is not None:
            items = backup_to(reader, partial / DB_NAME, store.keying)
        else:
            with store.lock:
                items = backup_to(store.conn, partial / DB_NAME, store.keying)
    finally:
        if reader is not None:
            reader.close()
    copy = MemoryConfig(
        version=config.version,
        encryption=config.encryption,
        settings=dict(config.settings),
        cipher=keying_json(partial / DB_NAME, store.keying),
    )
    save_config(partial, copy)
    info = BackupInfo(
        path=target,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        source=str(home.absolute()),
        items=items,
        encryption=config.encryption,
        bytes=(partial / DB_NAME).stat().st_size,
    )
    (partial / BACKUP_INFO).write_text(json.dumps(info.as_json(), indent=2) + "\n")
    if target.exists():
        target.rmdir()
    partial.rename(target)
    return info


@dataclass(slots=True)
class BackupInfo:
    path: Path
    created: str
    source: str
    items: int
    encryption: str
    bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "from": self.source,
            "items": self.items,
            "encryption": self.encryption,
            "bytes": self.bytes,
        }


def restore_memory(
    backup: Path, home: Path, keying_of: Callable[[MemoryConfig], Keying], *, force: bool
) -> int:
    """Put the backup folder ``backup`` in place of the memory at ``home``; return the
    items it holds. The backup is checked with the key first (``keying_of`` gives the
    key for its ``memory.json``); a memory that holds items is replaced only with
    ``force``, and only while nothing else has it open."""
    backup = backup.expanduser()
    if not (backup / DB_NAME).is_file():
        raise NotFoundError(f"{backup} is not a lifelog backup (no {DB_NAME} in it)")
    try:
        config = load_config(backup)
    except FileNotFoundError:
        raise NotFoundError(f"{backup} is not a lifelog backup (no memory.json)") from None
    keying = keying_of(config)
    items = verify_copy(backup / DB_NAME, keying)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    staged = home / (DB_NAME + ".restoring")
    shutil.copyfile(backup / DB_NAME, staged)
    os.chmod(staged, 0o600)
    _fsync(staged)
    try:
        with _replacing(home, keying_of, force=force):
            for suffix in ("-wal", "-shm", "-journal"):
                (home / (DB_NAME + suffix)).unlink(missing_ok=True)
            os.replace(staged, home / DB_NAME)
            save_config(home, config)
    finally:
        staged.unlink(missing_ok=True)
    return items


@contextmanager
def _replacing(
    home: Path, keying_of: Callable[[MemoryConfig], Keying], *, force: bool
) -> Iterator[None]:
    """Hold the memory at ``home`` (if there is one) so that nothing else has it open
    while its files are replaced; refuse one that holds items unless ``force``."""
    db = home / DB_NAME
    if not db.exists() or db.stat().st_size == 0:
        if (home / CONFIG_NAME).exists() and not force:
            raise UserError(f"{home} holds a memory: add --force to replace it")
        yield
        return
    try:
        current = load_config(home)
        conn = connect(db, keying=keying_of(current))
    except (FileNotFoundError, LifelogError):
        if not force:
            raise UserError(
                f"{home} holds a memory that cannot be opened: add --force to replace it"
            ) from None
        yield  # damaged, or another key: --force replaces it as it is
        return
    try:
        items = int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    except Exception as error:
        if not is_damage(error):
            conn.close()
            raise
        items = -1
    try:
        if items != 0 and not force:
            raise UserError(
                f"{home} holds a memory"
                + (f" of {items:,} items" if items > 0 else "")
                + ": add --force to replace it with the backup"
            )
        with exclusive(conn, db, keep=False):
            yield
    finally:
        conn.close()


def rekey_memory(home: Path, store: Any, config: MemoryConfig, new: Keying) -> None:
    """Change the key of the memory at ``home`` whose store is ``store``. The new key's
    check is written to ``memory.json`` beside the old one first, a new key file beside
    the old one (``key.new``), then the database is re-encrypted, then both settle: a
    stop at any point leaves a memory that opens (see :mod:`lifelog.store.keys`)."""
    salt = file_salt(store.path)
    if salt is None or not store.keying.encrypted:
        raise UserError("only an encrypted memory has a key to change")
    cipher = dict(config.cipher or store.keying.cipher.as_json())
    cipher.update(salt=salt.hex(), key_check=key_check(salt, store.keying))
    cipher["key_check_next"] = key_check(salt, new)
    config.cipher = cipher
    save_config(home, config)
    if new.raw_key is not None:
        write_secret(pending_key_path(home), new.raw_key + "\n")
    with store.lock:
        rekey(store.conn, store.path, new)
    cipher = dict(cipher)
    cipher["key_check"] = cipher.pop("key_check_next")
    config.cipher = cipher
    save_config(home, config)
    if new.raw_key is not None:
        write_secret(key_path(home), new.raw_key + "\n")
        pending_key_path(home).unlink(missing_ok=True)
    store.keying = keying_from(config, new)


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (0600) through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
