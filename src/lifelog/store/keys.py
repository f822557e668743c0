"""A memory's key as its folder holds it: the key file, the cipher settings and the
key check in ``memory.json``, and a key file being replaced by ``lifelog rekey``.

``memory.json`` keeps, under ``cipher``, the database's salt and a check of the key
(:func:`lifelog.store.db.key_check`): never the key, and nothing that makes guessing
a passphrase cheaper than against the database itself. With it a wrong key is told
from a damaged file even when the file's first page (the salt) is gone.

A new key file is written beside the old one as ``<key>.new`` before the database is
re-encrypted, and moved over the old one after: a rekey stopped in between leaves a
database that only the new key opens and the new key beside it, which
:func:`pending_key` finds and :func:`settle_pending_key` puts in place.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import KEY_NAME, MemoryConfig
from .db import LEGACY_CIPHER, Cipher, Keying, file_salt, key_check, read_key_file

__all__ = [
    "key_path",
    "keying_for",
    "keying_from",
    "keying_json",
    "needs_key_check",
    "pending_key",
    "pending_key_path",
    "settle_pending_key",
]


def key_path(home: Path) -> Path:
    """Where the key file is: ``LIFELOG_KEY_FILE``, else ``<memory>/key``."""
    explicit = os.environ.get("LIFELOG_KEY_FILE")
    return Path(explicit).expanduser() if explicit else home / KEY_NAME


def pending_key_path(home: Path) -> Path:
    path = key_path(home)
    return path.with_name(path.name + ".new")


def _cipher(config: MemoryConfig) -> Cipher:
    return Cipher.from_json(config.cipher) if config.cipher else LEGACY_CIPHER


def keying_from(config: MemoryConfig, keying: Keying) -> Keying:
    """``keying`` with the cipher and key check ``config`` keeps."""
    raw = config.cipher or {}
    salt = raw.get("salt")
    checks = tuple(
        c for c in (raw.get("key_check"), raw.get("key_check_next")) if isinstance(c, str)
    )
    return replace(
        keying,
        cipher=_cipher(config),
        salt=salt if isinstance(salt, str) else None,
        checks=checks,
    )


def keying_for(home: Path, config: MemoryConfig, passphrase: str | None) -> Keying:
    """How to open the memory at ``home``: its key file read, or ``passphrase``."""
    if config.encryption == "keyfile":
        keying = Keying(raw_key=read_key_file(key_path(home)))
    elif config.encryption == "passphrase":
        keying = Keying(passphrase=passphrase)
    else:
        keying = Keying()
    return keying_from(config, keying)


def keying_json(db: Path, keying: Keying) -> dict[str, Any]:
    """``memory.json``'s ``cipher``: the page settings, and for an encrypted database
    its salt and the key check (``db`` must have its first page on disk)."""
    raw = keying.cipher.as_json()
    salt = file_salt(db) if keying.encrypted else None
    if salt is not None:
        raw["salt"] = salt.hex()
        raw["key_check"] = key_check(salt, keying)
    return raw


def needs_key_check(config: MemoryConfig, keying: Keying) -> bool:
    """An encrypted memory whose ``memory.json`` keeps no key check (made before it), or
    two (a rekey stopped before it settled on the new one)."""
    raw = config.cipher or {}
    settled = raw.get("salt") and raw.get("key_check") and not raw.get("key_check_next")
    return keying.encrypted and not settled


def pending_key(home: Path, config: MemoryConfig, keying: Keying) -> Keying | None:
    """The key a stopped ``lifelog rekey`` left beside the key file, if there is one."""
    if config.encryption != "keyfile":
        return None
    path = pending_key_path(home)
    if not path.exists():
        return None
    return replace(keying, raw_key=read_key_file(path))


def settle_pending_key(home: Path) -> None:
    """Put the new key file in place of the old one (an atomic rename)."""
    os.replace(pending_key_path(home), key_path(home))
