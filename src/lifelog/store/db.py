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

Damage is told from a wrong key (:func:`scan_pages`): SQLCipher answers both with
an error at the first read, so the pages' HMACs are checked here, with the key
derived as SQLCipher derives it. A page that verifies proves the key right, and
the pages that do not are the damage; no page verifying means the key is wrong.
SQLCipher's own log lines ("hmac check failed for pgno=...") are turned off: the
error lifelog raises says it once, with the file and what to do.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3

from ..errors import DamagedError, LifelogError, PassphraseError, StoreError
from . import textpack

__all__ = [
    "LEGACY_CIPHER",
    "Cipher",
    "Connection",
    "Keying",
    "PageScan",
    "connect",
    "create_key_file",
    "damage_error",
    "diagnose",
    "file_salt",
    "is_damage",
    "key_check",
    "read_key_file",
    "scan_pages",
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


@dataclass(frozen=True, slots=True)
class Keying:
    """How a database is opened: its key (a passphrase, a raw key or none) and cipher."""

    passphrase: str | None = None
    raw_key: str | None = None
    cipher: Cipher = field(default_factory=Cipher)
    #: the database's salt and key checks as ``memory.json`` keeps them (:func:`key_check`;
    #: two while a rekey is under way: the old key's and the new one's)
    salt: str | None = None
    checks: tuple[str, ...] = ()

    @property
    def encrypted(self) -> bool:
        return self.passphrase is not None or self.raw_key is not None

    def verdict(self) -> bool | None:
        """Whether the key matches the check kept in ``memory.json`` (``None``: none kept)."""
        if not self.encrypted or not self.salt or not self.checks:
            return None
        try:
            salt = bytes.fromhex(self.salt)
        except ValueError:
            return None
        mine = key_check(salt, self)
        return any(hmac.compare_digest(mine, check) for check in self.checks)

    def __repr__(self) -> str:  # never the key itself
        kind = "raw key" if self.raw_key else "passphrase" if self.passphrase else "none"
        return f"Keying({kind}, {self.cipher!r})"


@dataclass(slots=True)
class PageScan:
    """What :func:`scan_pages` found: pages read, those whose HMAC failed (1-based),
    and the bytes past the last whole page (a truncated file)."""

    pages: int = 0
    verified: int = 0
    bad: list[int] = field(default_factory=list)
    tail: int = 0
    #: whether the scan stopped early, on the first verified page (``until_verified``)
    stopped: bool = False

    @property
    def key_ok(self) -> bool:
        return self.verified > 0

    def detail(self, limit: int = 5) -> str:
        parts = []
        if self.bad:
            shown = ", ".join(str(n) for n in self.bad[:limit])
            more = f" and {len(self.bad) - limit} more" if len(self.bad) > limit else ""
            word = "page" if len(self.bad) == 1 else "pages"
            their = "its" if len(self.bad) == 1 else "their"
            parts.append(f"{word} {shown}{more} failed {their} check")
        if self.tail:
            parts.append(f"it ends {self.tail} bytes into a page: truncated")
        return "; ".join(parts)


_HASHES = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256", "HMAC_SHA512": "sha512"}
#: SQLCipher 4's key derivation: PBKDF2-HMAC-SHA512, 256,000 rounds for a passphrase,
#: 2 rounds (over the key, with the salt xor 0x3a) for the HMAC key
KDF_ITER = 256_000
FAST_KDF_ITER = 2
SALT_BYTES = 16
#: pages read to tell a wrong key from damage before deciding the key is wrong
KEY_PROBE_PAGES = 256


def _page_keys(salt: bytes, keying: Keying) -> bytes:
    if keying.raw_key is not None:
        key = bytes.fromhex(keying.raw_key)
    else:
        assert keying.passphrase is not None
        key = hashlib.pbkdf2_hmac("sha512", keying.passphrase.encode(), salt, KDF_ITER, 32)
    return hashlib.pbkdf2_hmac(
        "sha512", key, bytes(b ^ 0x3A for b in salt), FAST_KDF_ITER, len(key)
    )


def key_check(salt: bytes, keying: Keying) -> str:
    """A check of the key, kept in ``memory.json`` beside the salt: the first 16 bytes of
    an HMAC made with the database's own HMAC key (derived from the key as SQLCipher
    derives it, so guessing a passphrase against it costs what it costs against the
    database). It tells a wrong key from a damaged file even when page 1 is gone."""
    mac = hmac.new(_page_keys(salt, keying), b"lifelog key check 1", "sha256").digest()
    return mac[:16].hex()


def file_salt(path: Path) -> bytes | None:
    """The first 16 bytes of an encrypted database: SQLCipher's salt."""
    try:
        with path.open("rb") as handle:
            salt = handle.read(SALT_BYTES)
    except OSError:
        return None
    return salt if len(salt) == SALT_BYTES else None


def scan_pages(path: Path, keying: Keying, *, until_verified: bool = False) -> PageScan:
    """Check each page's HMAC of an encrypted database file, as SQLCipher 4 writes it
    (the salt in the first 16 bytes; each page's tail: a 16-byte IV, then the HMAC of
    the ciphertext, the IV and the page number, little-endian).

    ``until_verified``: stop at the first page that verifies (the key is right), and
    otherwise read at most :data:`KEY_PROBE_PAGES` pages spread over the file."""
    size = keying.cipher.page_size
    algorithm = _HASHES[keying.cipher.hmac]
    mac_size = hashlib.new(algorithm).digest_size
    reserve = -(-(16 + mac_size) // 16) * 16
    scan = PageScan()
    try:
        total = path.stat().st_size
        handle = path.open("rb")
    except OSError:
        return scan
    with handle:
        salt = handle.read(SALT_BYTES)
        if len(salt) < SALT_BYTES:
            scan.tail = len(salt)
            return scan
        if keying.salt:  # the salt memory.json keeps: page 1 may be the damaged one
            salt = bytes.fromhex(keying.salt)
        hmac_key = _page_keys(salt, keying)
        count, scan.tail = divmod(total, size)
        numbers: range | list[int] = range(1, count + 1)
        if until_verified and count > KEY_PROBE_PAGES:
            step = count / KEY_PROBE_PAGES
            numbers = sorted({1 + int(i * step) for i in range(KEY_PROBE_PAGES)})
        for number in numbers:
            handle.seek((number - 1) * size)
            page = handle.read(size)
            if len(page) < size:
                break
            start = SALT_BYTES if number == 1 else 0
            body = page[start : size - reserve + 16]
            stored = page[size - reserve + 16 : size - reserve + 16 + mac_size]
            mac = hmac.new(hmac_key, body + number.to_bytes(4, "little"), algorithm).digest()
            scan.pages += 1
            if hmac.compare_digest(mac, stored):
                scan.verified += 1
                if until_verified:
                    scan.stopped = True
                    return scan
            else:
                scan.bad.append(number)
    return scan


#: SQLite's result codes for a damaged file: SQLITE_CORRUPT, SQLITE_NOTADB
_DAMAGE_CODES = (11, 26)


def is_damage(error: BaseException) -> bool:
    """Whether ``error`` is SQLite saying a file is damaged (or not a database)."""
    if not isinstance(error, sqlcipher3.DatabaseError | sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in _DAMAGE_CODES
    text = str(error)
    return "malformed" in text or "not a database" in text


def damage_error(path: Path, detail: str) -> DamagedError:
    """The error that says ``path`` is damaged, with what to do about it."""
    return DamagedError(
        f"{path.name} in {path.parent} is damaged ({detail}); your key is fine."
        " Restore it from a backup (`lifelog restore BACKUP`); `lifelog check` says"
        " what is damaged, and `lifelog check --repair` rebuilds the indexes if only"
        " they are",
        path=path,
    )


def diagnose(path: Path, keying: Keying, error: BaseException | None = None) -> LifelogError:
    """Why ``path`` cannot be read with ``keying``: a :class:`DamagedError` naming the
    damage, or a :class:`PassphraseError` when no page verifies with the key."""
    if keying.encrypted:
        return _diagnose_encrypted(path, keying, error)
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
        total = path.stat().st_size
    except OSError as problem:
        return StoreError(f"cannot read {path}: {problem.strerror}")
    if not head.startswith(b"SQLite format 3\x00"):
        return StoreError(
            f"cannot read {path}: it is encrypted (set LIFELOG_PASSPHRASE, or check"
            " memory.json) or damaged"
        )
    size = int.from_bytes(head[16:18], "big")
    size = 65536 if size == 1 else size
    expected = int.from_bytes(head[28:32], "big")
    detail = _said(error)
    if size >= 512 and total % size:
        detail = f"it ends {total % size} bytes into a page: truncated"
    elif size >= 512 and expected and total // size < expected:
        detail = f"{total // size} of its {expected} pages are there: truncated"
    return damage_error(path, detail)


def _diagnose_encrypted(path: Path, keying: Keying, error: BaseException | None) -> LifelogError:
    verdict = keying.verdict()
    if verdict is False:
        return PassphraseError(f"cannot decrypt {path}: wrong passphrase or key file")
    probe = scan_pages(path, keying, until_verified=True)
    if not probe.pages:
        size = probe.tail
        return damage_error(
            path, "the file is empty" if not size else f"{size} bytes, less than a page: truncated"
        )
    if not probe.key_ok and verdict is None:
        cut = f" (and {path.name} ends part-way through a page)" if probe.tail else ""
        return PassphraseError(f"cannot decrypt {path}: wrong passphrase or key file{cut}")
    scan = scan_pages(path, keying)
    detail = scan.detail()
    if not scan.key_ok:
        detail = f"{detail}; no page verifies, but the key matches the check in memory.json"
    if not detail:
        detail = (
            f"{_said(error)}; its {scan.pages} pages all verify, so it may be cut short"
            " at a page boundary, or its write-ahead log is damaged"
        )
    return damage_error(path, detail)


def _said(error: BaseException | None) -> str:
    return f"SQLite says: {error}" if error is not None else "it failed a check"


def quiet_cipher_log() -> None:
    """Turn SQLCipher's log off (process-wide): it writes each failed page check to
    stderr on its own, several lines per page, before lifelog can say one clear thing."""
    global _QUIET
    if _QUIET:
        return
    probe = sqlcipher3.connect(":memory:")
    try:
        probe.execute("PRAGMA cipher_log_level = NONE")
    except sqlcipher3.Error:  # an SQLCipher older than 4.6 has no such level
        pass
    finally:
        probe.close()
    _QUIET = True


_QUIET = False


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(
    path: Path,
    *,
    passphrase: str | None = None,
    raw_key: str | None = None,
    readonly: bool = False,
    cipher: Cipher | None = None,
    keying: Keying | None = None,
) -> Connection:
    """Open (or create) the database, apply the key, the page settings and the pragmas.

    ``cipher`` must be the settings the database was made with (default: new ones).
    ``keying`` gives the key and cipher at once, with the key check kept in
    ``memory.json`` (:func:`key_check`), which tells a wrong key from damage.
    """
    if keying is None:
        keying = Keying(passphrase, raw_key, cipher or Cipher())
    passphrase, raw_key, cipher = keying.passphrase, keying.raw_key, keying.cipher
    quiet_cipher_log()
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
        raise diagnose(path, keying, error) from error
    conn.execute("PRAGMA temp_store = MEMORY")
    textpack.register(conn)  # item_text(text): the text, compressed or not
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
