"""An archive member held in memory as a file, for the sources that need a real file.

Most readers are written against a path: they seek (PDF, zip-based documents), hand
the file to SQLite, or read it twice (JSON exports whose header follows their
messages). Inside an archive (:mod:`lifelog.sources.archive`) such a member is
copied into an anonymous in-memory file (Linux ``memfd_create``) and the source
reads it through a link named like the member, under a private 0700 folder that
mirrors the member's folders: ``path.name``, ``path.suffix`` and
``path.parent.name`` are the member's, so detection and keys are the same as for
the extracted file. Nothing of the member's bytes is written to disk (the link
holds only ``/proc/<pid>/fd/<n>``); the in-memory file is closed and the folder
removed as soon as the member has been read, or when reading stops early.

Records are relabelled as they come out: uris and ``Skip`` labels that name the
link name the member instead (``/abs/archive.zip/dir/member``), so a user sees
where a record came from and items point into the archive as for any member.

Bounds: a member larger than ``MAX_HELD_BYTES`` (``LIFELOG_ARCHIVE_MAX_HELD``, 128 MiB
by default: SQLite copies up to that size are read in memory too, see
:mod:`.sqlitecopy`) is not held but reported. Binary members in no format a
file-only source names by suffix are not held at all (only text-like ones and
SQLite databases are worth sniffing), so a Takeout's videos cost nothing. Where
``memfd_create`` is missing (not Linux), such members are reported as before:
"extract it and import it on its own".
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..archive import env_limit
from ..records import Item, Skip
from .base import Parsed
from .sqlitecopy import SQLITE_MAGIC

__all__ = [
    "MAX_HELD_BYTES",
    "can_hold",
    "held_file",
    "held_member",
    "linked_fd",
    "new_memfd",
    "relabelled",
    "worth_holding",
]


#: the largest member copied into memory to be read as a file
MAX_HELD_BYTES = env_limit("LIFELOG_ARCHIVE_MAX_HELD", 128 * 1024 * 1024)
_COPY_BUFFER = 1 << 20
#: the links being read now -> their member's path in the archive
_HELD: dict[str, PurePosixPath] = {}
_TEXT_BOMS = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
)


def can_hold() -> bool:
    """Whether this system can hold a member in an anonymous in-memory file."""
    return hasattr(os, "memfd_create")


def worth_holding(name: str, head: bytes, suffixes: frozenset[str]) -> bool:
    """Whether a member may be in a format a file-only source reads: a suffix one of them
    names, a SQLite database, or text (no NUL byte in its first bytes, or a BOM)."""
    if PurePosixPath(name).suffix.lower() in suffixes:
        return True
    if head.startswith(SQLITE_MAGIC) or head.startswith(_TEXT_BOMS):
        return True
    return bool(head) and b"\x00" not in head


def _memfd(name: str) -> int:
    create: Callable[[str, int], int] = getattr(os, "memfd_create")  # noqa: B009 - Linux only
    return create(name[:200] or "member", 0)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextmanager
def held_file(member: str, stream: BinaryIO, size: int, mtime: float) -> Iterator[Path]:
    """``stream`` (the member ``member``, ``size`` bytes declared) as a readable file.

    Yields the path of a link named like the member (its folders kept) to an in-memory
    copy; both are gone when the block ends. Raises ``ValueError`` when the stream holds
    more than ``MAX_HELD_BYTES``, ``OSError`` when the link cannot be made (a name too
    long for the file system).
    """
    if size > MAX_HELD_BYTES:
        raise ValueError(too_large(size))
    fd = new_memfd(PurePosixPath(member).name)
    try:
        held = 0
        while chunk := stream.read(_COPY_BUFFER):
            held += len(chunk)
            if held > MAX_HELD_BYTES:
                raise ValueError(too_large(held))
            _write_all(fd, chunk)
        if mtime > 0:
            with suppress(OSError, OverflowError, ValueError):
                os.utime(fd, (mtime, mtime))
        with linked_fd(member, fd) as link:
            yield link
    finally:
        os.close(fd)


def new_memfd(name: str) -> int:
    """A new anonymous in-memory file (``memfd_create``), named for /proc only."""
    return _memfd(name)


@contextmanager
def linked_fd(member: str, fd: int) -> Iterator[Path]:
    """A link named like ``member`` (its folders kept), under a new private 0700 folder,
    to the open in-memory file ``fd``; the link and folder are gone when the block ends
    (``fd`` stays open: it is the caller's to close)."""
    folder = Path(tempfile.mkdtemp(prefix="lifelog-member-"))  # mode 0700
    link = folder.joinpath(*PurePosixPath(member).parts)
    try:
        if folder not in link.parents:  # names are checked by the archive reader; twice is cheap
            raise OSError(f"member name {member[:200]!r} leaves its folder")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")
        _HELD[str(link)] = PurePosixPath(member)
        yield link
    finally:
        _HELD.pop(str(link), None)
        shutil.rmtree(folder, ignore_errors=True)


def held_member(path: Path) -> PurePosixPath | None:
    """The member's path inside its archive when ``path`` is a link made by
    :func:`held_file` (being read now), else None: for sources whose keys come from a
    file's folders, which must not be the private folder's."""
    return _HELD.get(str(path))


def too_large(size: int) -> str:
    return (
        f"{size:,} bytes: more than {MAX_HELD_BYTES // 1024**2} MiB are not held in memory to"
        " be read inside an archive; extract it and import it on its own"
    )


def relabelled(records: Iterator[Parsed], link: Path, label: str, uri: str) -> Iterator[Parsed]:
    """``records`` read from ``link`` as if read from the member: uris that start with the
    link's (resolved) uri start with ``uri`` instead, and ``Skip`` labels and reasons that
    name the link name ``label``."""
    base = link.resolve().as_uri()
    named = str(link)
    for record in records:
        if isinstance(record, Item):
            if record.uri and record.uri.startswith(base):
                record = replace(record, uri=uri + record.uri[len(base) :])
        elif isinstance(record, Skip):
            file = label + record.file[len(named) :] if record.file.startswith(named) else label
            record = replace(record, file=file, reason=record.reason.replace(named, label))
        yield record
