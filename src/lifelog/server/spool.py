"""Uploads kept encrypted until they are imported, and never written to disk in the clear.

An upload streams from the request (:func:`receive_files`, which parses the
multipart body itself: Starlette's parser would spool every file over 1 MiB to a
plaintext temporary file) into ``<memory>/uploads/<job>/spool.db``, a SQLCipher
database like the store, keyed with ``HMAC(upload key, job id)``; the upload key is
32 random bytes kept in the store's own (encrypted) ``meta`` table. While its job
imports, :meth:`Spool.plaintext` decrypts each file into an anonymous in-memory file
(``memfd_create``): the importer reads it through a link named like the upload, and
the bytes vanish with the process, even under SIGKILL. (Where there is no
``memfd_create``, i.e. not Linux, the files are decrypted into the job's 0700 folder
for the import only.) So the memory's folder holds an upload's bytes only as
ciphertext, and the temporary directory never does.

The job's folder is removed when its job ends; a folder left by a server that was
killed is removed at the next start (:func:`leftovers`), after its file names and
stage are read back, so that the job can be shown as ``interrupted``. A running
server holds a lock on each of its folders, so a second server on the same memory
leaves them alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    from python_multipart.multipart import MultipartParser, parse_options_header
except ImportError:  # python-multipart before 0.0.13 names its module multipart
    from multipart.multipart import (  # type: ignore[no-redef,import-untyped,unused-ignore]
        MultipartParser,
        parse_options_header,
    )
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..errors import UserError
from ..store.db import connect

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["Leftover", "Spool", "leftovers", "receive_files", "upload_key"]

META_KEY = "server.upload_key"
SPOOL_FILE = "spool.db"
LOCK_FILE = "lock"
#: bytes per stored piece of an upload
PIECE = 1 << 20
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (n INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pieces (
    file INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (file, seq)
);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def upload_key(memory: Memory) -> bytes:
    """The memory's upload key, made on first use and kept in the encrypted store."""
    store = memory.store
    found = store.meta_get(META_KEY)
    if not found:
        store.meta_set(META_KEY, secrets.token_hex(32))
        found = store.meta_get(META_KEY) or ""
    return bytes.fromhex(found)


def _job_key(key: bytes, job_id: str) -> str:
    return hmac.new(key, f"lifelog upload {job_id}".encode(), hashlib.sha256).hexdigest()


def _locked(folder: Path) -> int | None:
    """An open descriptor holding ``folder``'s lock; ``None`` when another process has it."""
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class Spool:
    """One job's uploaded files, encrypted in its folder; :meth:`remove` deletes it all."""

    def __init__(self, folder: Path, job_id: str, key: bytes) -> None:
        folder.mkdir(mode=0o700, parents=True)
        self.folder = folder
        self.job_id = job_id
        lock = _locked(folder)
        if lock is None:  # a fresh folder: nobody else can hold it
            raise UserError(f"the upload folder {folder} is in use")
        self._lock: int | None = lock
        self._db = connect(folder / SPOOL_FILE, raw_key=_job_key(key, job_id))
        self._db.executescript(_SCHEMA)
        self._set("created", str(time.time()))
        self._set("stage", "receiving")
        self.names: list[str] = []
        self._file = -1
        self._seq = 0
        self._buffer = bytearray()

    def _set(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO info (key, value) VALUES (?, ?)", (key, value))

    def stage(self, stage: str) -> None:
        """Record how far the job went (``receiving``, ``queued``, ``running``)."""
        self._set("stage", stage)

    # -- receiving ------------------------------------------------------------------
    def begin(self, name: str) -> None:
        """Start the next file, ``name`` made unique among this job's files."""
        self._flush()
        while name in self.names:
            name = f"_{name}"
        self.names.append(name)
        self._file = len(self.names) - 1
        self._seq = 0
        with self._db:
            self._db.execute("INSERT INTO files (n, name) VALUES (?, ?)", (self._file, name))

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= PIECE:
            self._flush()

    def end(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if not self._buffer or self._file < 0:
            return
        with self._db:
            self._db.execute(
                "INSERT INTO pieces (file, seq, data) VALUES (?, ?, ?)",
                (self._file, self._seq, bytes(self._buffer)),
            )
        self._seq += 1
        self._buffer.clear()

    # -- importing ------------------------------------------------------------------
    def _pieces(self, n: int) -> Iterator[bytes]:
        rows = self._db.execute("SELECT data FROM pieces WHERE file = ? ORDER BY seq", (n,))
        for (data,) in rows:
            yield bytes(data)

    @contextlib.contextmanager
    def plaintext(self) -> Iterator[Path]:
        """A folder in which each uploaded file can be read by its name, for the import.

        On Linux each name is a link to an anonymous in-memory file of this process;
        elsewhere the folder holds decrypted copies. Either way it is gone afterwards.
        """
        folder = self.folder / "open"
        folder.mkdir(mode=0o700)
        descriptors: list[int] = []
        memfd: Callable[..., int] | None = getattr(os, "memfd_create", None)
        try:
            for n, name in enumerate(self.names):
                target = folder / name
                if memfd is not None:
                    fd = memfd(name, 0)  # its link reads /memfd:<name>: no job, no spool
                    descriptors.append(fd)
                    for piece in self._pieces(n):
                        _write_all(fd, piece)
                    # the parsing process (spawned) opens it through this process's table
                    target.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")
                else:
                    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(out, "wb") as handle:
                        for piece in self._pieces(n):
                            handle.write(piece)
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            for fd in descriptors:
                os.close(fd)

    def digest(self, n: int) -> tuple[int, str]:
        """The size and SHA-256 (hex) of uploaded file ``n``."""
        sha = hashlib.sha256()
        size = 0
        for piece in self._pieces(n):
            sha.update(piece)
            size += len(piece)
        return size, sha.hexdigest()

    def remove(self) -> None:
        """Delete the spool (its job ended, or never started)."""
        with contextlib.suppress(Exception):
            self._db.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@dataclass(frozen=True, slots=True)
class Leftover:
    """What a killed server's upload folder said about its job (its bytes are deleted)."""

    job_id: str
    files: list[str]
    created: float
    stage: str


def leftovers(root: Path, key: bytes) -> list[Leftover]:
    """Remove the upload folders no running server holds; return what their jobs were.

    A folder whose spool cannot be read (an older version's plaintext upload, a spool
    killed before its first write) is removed all the same.
    """
    found: list[Leftover] = []
    if not root.is_dir():
        return found
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            with contextlib.suppress(OSError):
                folder.unlink()
            continue
        lock = _locked(folder)
        if lock is None:
            continue  # another server's job, alive
        try:
            record = _read_leftover(folder, key)
            if record is not None:
                found.append(record)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            os.close(lock)
    return found


def _read_leftover(folder: Path, key: bytes) -> Leftover | None:
    if not (folder / SPOOL_FILE).is_file():
        return None
    try:
        db = connect(folder / SPOOL_FILE, raw_key=_job_key(key, folder.name), readonly=True)
    except Exception:  # noqa: BLE001 - unreadable: nothing to report, removed anyway
        return None
    try:
        names = [str(r[0]) for r in db.execute("SELECT name FROM files ORDER BY n")]
        info = dict(db.execute("SELECT key, value FROM info").fetchall())
    except Exception:  # noqa: BLE001 - killed before its tables were made
        return None
    finally:
        db.close()
    return Leftover(
        job_id=folder.name,
        files=names,
        created=float(info.get("created") or 0.0),
        stage=str(info.get("stage") or "receiving"),
    )


# -- the multipart body, parsed as it arrives -------------------------------------------


async def receive_files(
    request: Request, spool: Spool, field: str, safe_name: Callable[[str], str]
) -> list[str]:
    """Stream the request's ``field`` files into ``spool``; other fields are ignored.

    Returns the names given to the files (made safe and unique).
    """
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UserError(f"send the files as multipart/form-data, in the field {field!r}")
    events: list[tuple[str, Any]] = []
    part: dict[str, Any] = {}

    def on_part_begin() -> None:
        part.clear()
        part.update(headers={}, field=b"", value=b"", taking=False)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def on_header_end() -> None:
        part["headers"][part["field"].lower()] = part["value"]
        part["field"] = part["value"] = b""

    def on_headers_finished() -> None:
        _disposition, options = parse_options_header(
            part["headers"].get(b"content-disposition", b"")
        )
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if name == field and filename is not None:
            part["taking"] = True
            events.append(("begin", safe_name(filename.decode("utf-8", "replace") or "upload")))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if part.get("taking"):
            events.append(("data", bytes(data[start:end])))

    def on_part_end() -> None:
        if part.get("taking"):
            events.append(("end", None))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    def apply(batch: list[tuple[str, Any]]) -> None:
        for event, value in batch:
            if event == "begin":
                spool.begin(value)
            elif event == "data":
                spool.write(value)
            else:
                spool.end()

    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if events:
                batch = events[:]
                events.clear()
                await run_in_threadpool(apply, batch)
        parser.finalize()
    except UserError:
        raise
    except Exception as error:
        raise UserError(f"the upload could not be read: {error}") from error
    if events:
        await run_in_threadpool(apply, events[:])
    return list(spool.names)
