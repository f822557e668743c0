"""Reading zip and tar archives in place: members come out as streams, never as files.

A memory is encrypted, so an export's plaintext must not land on disk: nothing
here extracts a member, spools it to a temporary file or writes anywhere. A
member is read as a bounded stream while the archive is open.

An archive is hostile until read. What is refused, member by member (a reason
string, shown to the user as a ``Skip``), and why:

- names that are absolute (``/etc/x``, ``C:\\x``), climb out (``..``) or hold a
  NUL: nothing is written, but such a name would point an item's URI elsewhere;
- symbolic links, hard links, devices and FIFOs (tar, and zip entries whose Unix
  mode says link): their data is not a file of the export;
- encrypted zip members (no password is asked for);
- a member larger than ``MAX_MEMBER_BYTES`` uncompressed, or with more than
  ``MAX_RATIO`` times its compressed size once over ``RATIO_FLOOR`` (zip bombs),
  and anything past ``MAX_TOTAL_BYTES`` of expansion for the whole archive.

The archive itself is refused (``SourceError``) when its zip central directory
lists more than ``MAX_MEMBERS`` entries or is larger than ``MAX_DIRECTORY_BYTES``
(``zipfile`` holds the whole directory in memory). Tar archives (``.tar``,
``.tgz``/``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) are read in one pass in stream
mode, so a compressed tar is never decompressed twice; in a compressed tar, a
member that could only fit by a bomb's ratio, or one past the caps, stops the
archive ("the rest is not read"), because passing over it would mean inflating
it. Extended tar headers (long names, pax) over ``MAX_HEADER_BYTES`` are refused
before they are read into memory. Memory stays at one read buffer per member.

The zip helpers the chat and document sources share (``open_zip``,
``check_zip_member``, ``ZIP_ERRORS``) live here too.
"""

from __future__ import annotations

import calendar
import io
import os
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, BinaryIO
from urllib.parse import quote

from .errors import SourceError

__all__ = [
    "ARCHIVE_ERRORS",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "ZIP_ERRORS",
    "ArchiveError",
    "ArchiveReader",
    "Expansion",
    "Member",
    "archive_kind",
    "check_zip_member",
    "env_limit",
    "is_archive_name",
    "is_whole_export",
    "member_uri",
    "open_archive",
    "open_zip",
    "peek",
    "unsafe_name",
]


def env_limit(name: str, default: int) -> int:
    """A positive whole number from the environment variable ``name``, else ``default``."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


#: a single member read from a zip by the chat/document sources (their default cap)
ZIP_MEMBER_BYTES = 500 * 1024 * 1024
#: a member streamed out of a generic archive may not be larger than this, uncompressed
MAX_MEMBER_BYTES = env_limit("LIFELOG_ARCHIVE_MAX_MEMBER", 64 * 1024**3)
#: everything read out of one archive together may not be larger than this
MAX_TOTAL_BYTES = env_limit("LIFELOG_ARCHIVE_MAX_TOTAL", 512 * 1024**3)
#: uncompressed/compressed above this (for members over ``RATIO_FLOOR``) looks like a bomb
MAX_RATIO = 200
RATIO_FLOOR = 10 * 1024 * 1024
#: zip entries / central directory bytes accepted (zipfile keeps the directory in memory)
MAX_MEMBERS = env_limit("LIFELOG_ARCHIVE_MAX_MEMBERS", 500_000)
MAX_DIRECTORY_BYTES = 256 * 1024 * 1024
#: a tar long-name or pax header larger than this is refused before it is read
MAX_HEADER_BYTES = 1024 * 1024
READ_BUFFER = 1 << 16

#: what reading a damaged zip member may raise (bad CRC, bad deflate data, cut file)
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,  # an unsupported compression method
)


class ArchiveError(ValueError):
    """An archive member cannot be read safely (over a cap, a bomb's ratio, broken)."""


#: what reading any archive member may raise; the caller reports it and goes on
ARCHIVE_ERRORS: tuple[type[Exception], ...] = (
    *ZIP_ERRORS,
    ArchiveError,
    tarfile.TarError,
    EOFError,
    MemoryError,
)

_TAR_SUFFIXES = {
    ".tar": "tar",
    ".tgz": "tar",
    ".tar.gz": "tar",
    ".tbz2": "tar",
    ".tar.bz2": "tar",
    ".txz": "tar",
    ".tar.xz": "tar",
}


def archive_kind(name: str) -> str | None:
    """``"zip"`` or ``"tar"`` from a file name's suffix, else None."""
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    for suffix, kind in _TAR_SUFFIXES.items():
        if lower.endswith(suffix):
            return kind
    return None


def member_uri(archive: Path, member: str) -> str:
    """``file:///abs/archive.zip/dir/member``: the archive's URI, then the member's path."""
    return archive.resolve().as_uri() + "/" + quote(member, safe="/")


def unsafe_name(raw: str) -> str | None:
    """Why a member name must not be used (absolute, ``..``, NUL), or None."""
    if "\x00" in raw:
        return "member name holds a NUL character"
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return f"absolute member name {raw[:200]!r} refused"
    if ".." in name.split("/"):
        return f"member name {raw[:200]!r} climbs out of the archive (..): refused"
    if not name.strip("/. "):
        return "empty member name"
    return None


def _normal(raw: str) -> str:
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


# -- the zip helpers shared with the chat and document sources ----------------------


def _zip_directory(handle: IO[bytes]) -> tuple[int, int] | None:
    """``(entries, directory bytes)`` from a zip's end records, or None when not found."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 22 + 65535)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    _sig, _d, _dc, _ed, entries, directory, _offset, _c = struct.unpack(
        "<4s4H2LH", tail[at : at + 22]
    )
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20:
        locator = tail[at - 20 : at]
        if locator[:4] == b"PK\x06\x07":
            _sig64, _disk, end64, _disks = struct.unpack("<4sLQL", locator)
            if end64 + 56 <= size:
                handle.seek(end64)
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06":
                    fields = struct.unpack("<4sQ2H2L4Q", record)
                    entries, directory = fields[7], fields[8]
    return int(entries), int(directory)


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip for reading, or raise ``SourceError`` naming it.

    A central directory with more than ``MAX_MEMBERS`` entries (or larger than
    ``MAX_DIRECTORY_BYTES``) is refused before ``zipfile`` loads it into memory.
    """
    try:
        with path.open("rb") as handle:
            found = _zip_directory(handle)
        if found is not None and (found[0] > MAX_MEMBERS or found[1] > MAX_DIRECTORY_BYTES):
            raise SourceError(
                f"{path}: zip archive lists {found[0]} members ({found[1]} bytes of directory);"
                f" more than {MAX_MEMBERS} are refused"
            )
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, struct.error) as error:
        raise SourceError(f"{path}: cannot read zip archive: {error}") from error


def check_zip_member(info: zipfile.ZipInfo, limit: int = ZIP_MEMBER_BYTES) -> str | None:
    """Why ``info`` must not be read (too big, zip bomb, encrypted), or None."""
    if info.flag_bits & 0x1:
        return "encrypted zip member"
    if info.file_size > limit:
        return (
            f"zip member too large ({info.file_size} bytes uncompressed, "
            f"limit {limit // 1024**2} MB)"
        )
    if info.file_size > RATIO_FLOOR and (
        info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
    ):
        return (
            f"suspicious compression ratio ({info.file_size} bytes from "
            f"{info.compress_size}): possible zip bomb"
        )
    return None


# -- members ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """One entry of an archive. ``problem`` says why it must not be read, or is None."""

    name: str
    size: int
    mtime: float
    compressed: int
    is_dir: bool = False
    problem: str | None = None


class _Bounded(io.RawIOBase):
    """A member's bytes, counted: past its declared size or the archive's cap it stops."""

    def __init__(self, raw: IO[bytes], limit: int, reader: ArchiveReader) -> None:
        self._raw = raw
        self._left = limit
        self._reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._left <= 0:
            return 0
        data = self._raw.read(min(len(view), self._left, READ_BUFFER * 4))
        count = len(data)
        view[:count] = data
        self._left -= count
        self._reader._expanded(count)
        return count

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class _Counting(io.RawIOBase):
    """The compressed file under a tar stream, counting what was read of it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._handle.read(len(view))
        view[: len(data)] = data
        self.count += len(data)
        return len(data)


class _SafeTarInfo(tarfile.TarInfo):
    """Refuses long-name and pax headers over ``MAX_HEADER_BYTES`` before reading them."""

    # _proc_member is tarfile's (private, long stable) hook for special headers
    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        special = (
            tarfile.GNUTYPE_LONGNAME,
            tarfile.GNUTYPE_LONGLINK,
            tarfile.XHDTYPE,
            tarfile.XGLTYPE,
            tarfile.SOLARIS_XHDTYPE,
        )
        if self.type in special and self.size > MAX_HEADER_BYTES:
            raise tarfile.HeaderError(f"extended tar header of {self.size} bytes refused")
        return super()._proc_member(tarfile_)  # type: ignore[misc, no-any-return]


class Expansion:
    """The bytes an archive may still expand to: ``limit`` for this archive, and its
    enclosing archive's own budget (``parent``) for an archive read inside another, so
    archives nested in archives cannot multiply their bombs' ratios."""

    def __init__(self, limit: int | None = None, parent: Expansion | None = None) -> None:
        limit = MAX_TOTAL_BYTES if limit is None else limit
        self.limit = min(limit, parent.left) if parent is not None else limit
        self.used = 0
        self.parent = parent

    @property
    def left(self) -> int:
        return self.limit - self.used

    def add(self, count: int) -> None:
        """Count ``count`` bytes read out; ``ArchiveError`` once past the limit."""
        self.used += count
        if self.used > self.limit:
            raise ArchiveError(f"archive expands past {_size(self.limit)}: the rest is not read")
        if self.parent is not None:
            self.parent.add(count)


def _size(count: int) -> str:
    if count >= 1024**3:
        return f"{count // 1024**3} GB"
    return f"{count // 1024**2} MB" if count >= 1024**2 else f"{count:,} bytes"


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return float(calendar.timegm((*info.date_time, 0, 0, 0)))
    except (ValueError, OverflowError, TypeError):
        return 0.0


class ArchiveReader:
    """An open zip or tar archive, iterated member by member (see the module docstring).

    ``members()`` yields every entry; ``open(member)`` gives the current member's
    bytes as a buffered stream. For a tar, a member can only be opened before the
    iteration moves on (the archive is read in one pass).
    """

    def __init__(self, path: Path, expansion: Expansion | None = None) -> None:
        self.path = path
        self.kind = archive_kind(path.name) or ("zip" if _starts_like_zip(path) else "tar")
        self.size = path.stat().st_size
        self.expansion = expansion or Expansion()
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._file: BinaryIO | None = None
        self._counting: _Counting | None = None
        self._current: tuple[Member, Any] | None = None
        self._streams: list[IO[bytes]] = []
        if self.kind == "zip":
            self._zip = open_zip(path)
            return
        try:
            self._file = path.open("rb")
            self._counting = _Counting(self._file)
            self._tar = tarfile.open(
                fileobj=io.BufferedReader(self._counting, READ_BUFFER),
                mode="r|*",
                tarinfo=_SafeTarInfo,
                encoding="utf-8",
                errors="surrogateescape",
            )
        # TypeError: CPython's tarfile calls ord() on an empty read when a gzip header is cut
        # short after its magic bytes (found by the hypothesis test on damaged archives)
        except (OSError, tarfile.TarError, EOFError, zlib.error, ValueError, TypeError) as error:
            self.close()
            raise SourceError(f"{path}: cannot read tar archive: {error}") from error

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for stream in self._streams:
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - closing a broken member stream must not fail
                pass
        self._streams.clear()
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            try:
                self._tar.close()
            except Exception:  # noqa: BLE001 - a truncated stream may fail again on close
                pass
        if self._file is not None:
            self._file.close()

    def _expanded(self, count: int) -> None:
        """Called for every byte read out of a member: enforces the archive's total cap."""
        self.expansion.add(count)

    @property
    def total(self) -> int:
        """The bytes read out of this archive's members so far."""
        return self.expansion.used

    # -- iteration --------------------------------------------------------------------

    def members(self) -> Iterator[Member]:
        if self._zip is not None:
            yield from self._zip_members(self._zip)
        else:
            yield from self._tar_members()

    def _zip_members(self, archive: zipfile.ZipFile) -> Iterator[Member]:
        planned = 0
        for info in archive.infolist():
            name = _normal(info.filename)
            is_dir = info.is_dir()
            problem = unsafe_name(info.filename)
            mode = info.external_attr >> 16
            if problem is None and not is_dir:
                if info.create_system == 3 and (mode & 0o170000) == 0o120000:
                    problem = "symbolic link in the archive: not followed"
                else:
                    problem = check_zip_member(info, MAX_MEMBER_BYTES)
                if problem is None:
                    planned += info.file_size
                    if planned > self.expansion.limit:
                        problem = (
                            f"archive expands past {_size(self.expansion.limit)}: member not read"
                        )
            member = Member(
                name or info.filename[:200],
                info.file_size,
                _zip_time(info),
                info.compress_size,
                is_dir,
                problem,
            )
            self._current = (member, info)
            yield member
            self._current = None

    def _tar_members(self) -> Iterator[Member]:
        tar = self._tar
        assert tar is not None and self._counting is not None
        while True:
            info = tar.next()
            if info is None:
                return
            # stream mode would otherwise keep every header read (memory grows with members)
            tar.members.clear()  # type: ignore[attr-defined]  # untyped in typeshed
            raw_name = info.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            name = _normal(raw_name)
            problem = unsafe_name(raw_name)
            stop = None
            if problem is None and not info.isdir():
                if info.issym():
                    problem = f"symbolic link to {info.linkname[:200]!r}: not followed"
                elif info.islnk():
                    problem = f"hard link to {info.linkname[:200]!r}: not followed"
                elif not info.isfile():
                    problem = "device, FIFO or other special file: not read"
                elif info.size > MAX_MEMBER_BYTES:
                    stop = problem = (
                        f"member too large ({info.size} bytes, limit"
                        f" {MAX_MEMBER_BYTES // 1024**3} GB)"
                    )
                elif info.offset_data + info.size > self.expansion.limit:
                    stop = problem = f"archive expands past {_size(self.expansion.limit)}"
                elif self._bomb(info.offset, info.size):
                    stop = problem = (
                        f"{info.offset + info.size} bytes out of"
                        f" {self._counting.count} compressed bytes read (of {self.size}):"
                        f" a ratio over {MAX_RATIO}, possible tar bomb"
                    )
            try:
                mtime = float(info.mtime)
            except (TypeError, ValueError, OverflowError):
                mtime = 0.0
            member = Member(
                name or raw_name[:200], info.size, mtime, info.size, info.isdir(), problem
            )
            self._current = (member, info)
            yield member
            self._current = None
            if stop is not None:
                raise ArchiveError(f"{member.name}: {stop}; the rest of the archive is not read")

    def _bomb(self, offset: int, size: int) -> bool:
        """Whether the tar so far, or the next member, needs more than a bomb's ratio.

        ``offset`` uncompressed bytes came from the compressed bytes read so far; a
        member of ``size`` bytes must come from what is left of the compressed file.
        Checked before the member is passed over, since passing over inflates it.
        """
        assert self._counting is not None
        floor = RATIO_FLOOR * 10
        slack = 2 * READ_BUFFER  # read ahead by the buffers above the count
        read = self._counting.count + slack
        left = max(self.size - self._counting.count, 0) + slack
        return (offset > floor and offset > MAX_RATIO * read) or (
            size > floor and size > MAX_RATIO * left
        )

    def open(self, member: Member) -> BinaryIO:
        """A buffered, bounded stream of ``member``'s bytes (the current member only)."""
        if self._current is None or self._current[0] is not member:
            raise ArchiveError(f"{member.name}: not the current member")
        if member.problem is not None or member.is_dir:
            raise ArchiveError(f"{member.name}: {member.problem or 'a directory'}")
        info = self._current[1]
        raw: IO[bytes] | None
        if self._zip is not None:
            raw = self._zip.open(info)
        else:
            assert self._tar is not None
            raw = self._tar.extractfile(info)
            if raw is None:
                raise ArchiveError(f"{member.name}: not a regular file")
        self._streams = [s for s in self._streams if not s.closed]
        stream = io.BufferedReader(_Bounded(raw, member.size, self), READ_BUFFER)
        self._streams.append(stream)
        return stream


def peek(stream: BinaryIO, size: int) -> bytes:
    """The first ``size`` bytes of a stream from :meth:`ArchiveReader.open`, left unread."""
    data: bytes = getattr(stream, "peek")(size)  # noqa: B009 - BinaryIO does not declare peek
    return data[:size]


def _starts_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def open_archive(path: Path, expansion: Expansion | None = None) -> ArchiveReader:
    """Open a zip or tar archive for reading in place; ``SourceError`` when it cannot be.
    ``expansion``: what it may expand to (an archive inside another shares its budget)."""
    try:
        return ArchiveReader(path, expansion)
    except OSError as error:
        raise SourceError(f"{path}: cannot read archive: {error}") from error


def is_archive_name(name: str) -> bool:
    """Whether a member's name says it is itself an archive (zip, tar, 7z, rar)."""
    lower = PurePosixPath(name).name.lower()
    return archive_kind(lower) is not None or lower.endswith((".7z", ".rar"))


#: what macOS's Finder adds to a zip it makes, never part of an export
_FINDER_LITTER = ("__MACOSX/", ".DS_Store")


def is_whole_export(names: Iterable[str], root: str) -> bool:
    """Whether a zip whose export's files lie in ``root`` (``""`` or ``"folder/"``) is that
    export: its files at the top, or every member inside that one folder (an export folder
    someone zipped). A zip holding an export folder beside other things is a larger
    archive: the generic archive reader reads it, the export inside it as one."""
    if not root:
        return True
    for raw in names:
        name = _normal(raw) + ("/" if raw.endswith("/") else "")
        if name.startswith(_FINDER_LITTER[0]) or PurePosixPath(name).name == _FINDER_LITTER[1]:
            continue
        if not (name + "/").startswith(root) and name != root.rstrip("/"):
            return False
    return True
