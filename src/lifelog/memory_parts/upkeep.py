"""Keeping a memory whole and safe: checks, repair, backups, a new key, and what a
damaged file means (:class:`UpkeepMixin`); asking for a passphrase and a backup's key."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LifelogError, PassphraseError, UserError
from ..store import keys
from ..store.db import Keying
from .base import MemoryBase

if TYPE_CHECKING:
    from ..config import MemoryConfig
    from ..store.copies import BackupInfo
    from ..store.integrity import CheckReport

__all__ = ["UpkeepMixin", "ask_passphrase", "backup_keying"]


def ask_passphrase(prompt: str, confirm: bool) -> str:
    """A passphrase typed at the terminal (twice with ``confirm``); without one, a
    ``PassphraseError`` that names ``LIFELOG_PASSPHRASE``."""
    if not sys.stdin.isatty():
        raise PassphraseError("this memory needs a passphrase: set LIFELOG_PASSPHRASE")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise PassphraseError("the passphrases differ")
    if not first:
        raise PassphraseError("an empty passphrase is not allowed")
    return first


def backup_keying(home: Path, config: MemoryConfig, passphrase: str | None) -> Keying:
    """The key of a backup whose ``memory.json`` is ``config``, restored to ``home``:
    the memory's key file (or ``LIFELOG_KEY_FILE``), or ``passphrase`` (else
    ``LIFELOG_PASSPHRASE``, else asked)."""
    secret = None
    if config.encryption == "passphrase":
        secret = (
            passphrase
            or os.environ.get("LIFELOG_PASSPHRASE")
            or ask_passphrase("Passphrase of the backup: ", False)
        )
    try:
        return keys.keying_for(home, config, secret)
    except PassphraseError as error:
        raise PassphraseError(
            f"{error}: a backup is encrypted with the memory's key file, which it"
            f" does not hold; put it at {keys.key_path(home)} or set LIFELOG_KEY_FILE"
        ) from None


class UpkeepMixin(MemoryBase):
    """``Memory``'s checks, repair, backups and keys (opening a backup or a memory too
    damaged to open, ``restore`` and ``check_at``, stay in :mod:`lifelog.memory`)."""

    def check(self) -> CheckReport:
        """Check the store's pages and b-trees and that chunks, the word index, vectors
        and people agree with the items (see :mod:`lifelog.store.integrity`)."""
        from ..store.integrity import check

        return check(self.store.path, self.store.keying)

    def repair(self) -> list[str]:
        """Rebuild what is derived from the items (chunks, word index, vectors that
        point nowhere, people); return what was done. Lost items need a backup."""
        from ..store.integrity import repair

        return repair(self.store, self.directory.rebuild)

    def backup(self, path: str | Path) -> BackupInfo:
        """Write a consistent, encrypted copy of the memory to the new folder ``path``
        while it stays in use (the database, checked, and ``memory.json``; never the
        key file, which must be kept apart)."""
        from ..store.copies import backup_memory

        return backup_memory(self.home, self.store, self.config, Path(path))

    def rekey(self, passphrase: str | None = None) -> None:
        """Change the memory's key: a new random key file (key-file memories) or the new
        ``passphrase`` (else ``LIFELOG_NEW_PASSPHRASE``, else asked twice). The old key
        opens it no more. Needs the memory to be open nowhere else."""
        from ..store.copies import rekey_memory

        rekey_memory(self.home, self.store, self.config, self._new_keying(passphrase))

    def _new_keying(self, passphrase: str | None) -> Keying:
        """The key :meth:`rekey` changes to."""
        if self.config.encryption == "keyfile":
            new = Keying(raw_key=secrets.token_hex(32), cipher=self.store.keying.cipher)
        elif self.config.encryption == "passphrase":
            secret = (
                passphrase
                or os.environ.get("LIFELOG_NEW_PASSPHRASE")
                or ask_passphrase("New passphrase: ", True)
            )
            if secret == self.store.keying.passphrase:
                raise UserError("the new passphrase is the old one")
            new = Keying(passphrase=secret, cipher=self.store.keying.cipher)
        else:
            raise UserError("this memory is not encrypted: it has no key to change")
        return new

    def diagnose(self, error: BaseException) -> LifelogError:
        """What an SQLite error met while reading means: which file is damaged and where
        (see :func:`lifelog.store.db.diagnose`)."""
        from ..store.db import damage_error, diagnose, scan_pages

        keying = self.store.keying
        if keying.encrypted:
            scan = scan_pages(self.store.path, keying)
            if scan.key_ok and (scan.bad or scan.tail):
                return damage_error(self.store.path, scan.detail())
        return diagnose(self.store.path, keying, error)
