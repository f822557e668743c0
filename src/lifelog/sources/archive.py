"""Any zip or tar archive (a Google Takeout, a folder someone zipped): what is inside.

Archives that a source reads as a whole (a WhatsApp chat zip, a Slack or
Claude/ChatGPT export zip, an EPUB, a DOCX) are claimed by that source first:
this one comes last in detection order, and claims a zip only when it holds a
file in a format some source knows (any tar is claimed). Here every member is read in place as a
stream (see :mod:`lifelog.archive` for what is refused and the caps): its source
is found from its name and first bytes among the sources that can read a stream
(``Source.supports_stream``), and parsed from the stream. Nothing is extracted
or spooled to disk, so no plaintext of the export lands outside the encrypted
memory.

- A member in a format whose source needs a real file (PDF, SQLite databases,
  EPUB, DOCX, JSON chat exports read twice ...) is copied into an anonymous
  in-memory file and read through a link named like it (see :mod:`.held`: up to
  ``MAX_HELD_BYTES``; nothing lands on disk), so every reader works inside an
  archive with the same detection and keys as on the extracted file. A larger one,
  or any where the system has no ``memfd_create``, is reported with a ``Skip``
  naming the archive and the member (the first ``NAMED_SKIPS`` of each format; the
  rest are counted in one): extract it and import it on its own.
- A member that is itself an archive (an export zip kept in a backup, a Takeout inside
  another zip) is held in memory the same way and read as what it is: by the export's
  own reader (a WhatsApp or Slack export zip ...), else as an archive in turn, up to
  ``MAX_NESTING`` levels deep, its expansion counted against this archive's budget
  too (at most ``MAX_RATIO`` times its bytes here), so nesting cannot stack bombs.
- A folder export whose files depend on one another (a Slack export's folder beside
  other things, or in a tar) is gathered as its members stream by and read as one
  export once the archive has been read (see :mod:`.gathered`).
- Members in no known format are counted in one ``Skip`` for the archive.
- Items point at ``file:///abs/archive.zip/member#locator``; their keys come
  from the records (a Message-ID, a UID, a note's creation time), never from
  the archive's name, so a renamed archive or a newer export of the same account
  gives the same ids and adds only what is new.
- ``parse_resuming`` yields a ``PartDone`` after every member read to its end,
  so ingest can record it and an interrupted import goes on from there.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import BinaryIO, ClassVar, cast

from ..archive import (
    ARCHIVE_ERRORS,
    MAX_RATIO,
    ArchiveReader,
    Expansion,
    Member,
    archive_kind,
    is_archive_name,
    member_uri,
    open_zip,
    peek,
)
from ..archive import open_archive as _open_archive
from ..errors import SourceError
from ..records import Skip
from .base import HEAD_BYTES, Parsed, PartDone, Source, read_head
from .gathered import Folder, Gathering
from .held import MAX_HELD_BYTES, can_hold, held_file, relabelled, too_large, worth_holding

__all__ = ["ArchiveSource"]

#: what reading one member may raise; reported for that member, the archive goes on
_MEMBER_ERRORS: tuple[type[Exception], ...] = (
    *ARCHIVE_ERRORS,
    SourceError,
    UnicodeError,
    RecursionError,
)

#: what holding a member in memory may raise besides (too large: ValueError)
_HELD_ERRORS: tuple[type[Exception], ...] = (*_MEMBER_ERRORS, ValueError)

#: members passed over without a word (an archive's own index pages)
PASSED_OVER = frozenset({"archive_browser.html"})
#: member names listed in the "not read" summary at most
SAMPLE_NAMES = 5
#: members needing a real file reported one by one per format; the rest are counted
NAMED_SKIPS = 20
#: archives inside an archive are read this many levels deep (a zip in a zip in the file)
MAX_NESTING = 2
#: an archive inside another may expand to MAX_RATIO times its bytes there, or this much
NESTED_FLOOR = 1024 * 1024


def _sources() -> tuple[list[Source], list[Source]]:
    """The sources that read streams, and the file-only ones (for a clear Skip)."""
    from . import all_sources

    streaming = [s for s in all_sources() if s.supports_stream]
    files = [s for s in all_sources() if not s.supports_stream and not s.directory]
    return streaming, files


class ArchiveSource(Source):
    name: ClassVar[str] = "archive"
    description: ClassVar[str] = (
        "zip and tar archives (Google Takeout, any zipped folder), read in place"
    )
    extensions: ClassVar[tuple[str, ...]] = (
        ".zip",
        ".tar",
        ".tgz",
        ".tar.gz",
        ".tbz2",
        ".tar.bz2",
        ".txz",
        ".tar.xz",
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        """Any tar; a zip that holds at least one file in a format lifelog knows, or an
        archive (read in turn, see ``MAX_NESTING``).

        So a folder of downloads does not open every zip of software or fonts in it;
        a damaged zip is claimed, so that the error is reported.
        """
        kind = archive_kind(path.name)
        if kind is None or not path.is_file():
            return False
        if kind == "tar":
            return True
        try:
            with open_zip(path) as archive:
                names = archive.namelist()
        except SourceError:
            return True
        streaming, files = _sources()
        known = {suffix for source in (*streaming, *files) for suffix in source.extensions}
        known.difference_update(self.extensions)
        return any(
            PurePosixPath(name).suffix.lower() in known
            or name.lower().endswith("mbox")
            or archive_kind(name) is not None  # an export zip (or any archive) inside
            for name in names
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        for record in self.parse_resuming(path, {}):
            if not isinstance(record, PartDone):
                yield record

    def parse_resuming(
        self, path: Path, done: Mapping[str, tuple[int, float]]
    ) -> Iterator[Parsed | PartDone]:
        yield from self._read(path, done, 0, None)

    def _read(
        self,
        path: Path,
        done: Mapping[str, tuple[int, float]],
        depth: int,
        expansion: Expansion | None,
    ) -> Iterator[Parsed | PartDone]:
        """The archive ``path``, ``depth`` archives deep, within ``expansion`` (its
        enclosing archive's budget) when it lies inside another."""
        state = _State(*_sources())
        gathering = Gathering()
        try:
            with _open_archive(path, expansion) as archive:
                members = archive.members()
                while True:
                    try:
                        member = next(members)
                    except StopIteration:
                        break
                    except ARCHIVE_ERRORS as error:
                        yield Skip(str(path), "archive", f"cannot read further: {_why(error)}")
                        break
                    if member.is_dir:
                        continue
                    label = f"{path}/{member.name}"
                    if member.problem is not None:
                        yield Skip(label, "member", member.problem)
                        continue
                    if done.get(member.name) == (member.size, member.mtime):
                        continue
                    if PurePosixPath(member.name).name in PASSED_OVER:
                        continue
                    refused = _nesting_refused(member, depth) if _nested(member) else None
                    if refused is not None:
                        yield Skip(label, "member", refused)
                        continue
                    try:
                        stream = archive.open(member)
                        head = peek(stream, HEAD_BYTES)
                    except ARCHIVE_ERRORS as error:
                        yield Skip(label, "member", f"cannot read: {_why(error)}")
                        continue
                    root = gathering.folder_of(member.name) if can_hold() else None
                    if root is not None and not _nested(member):
                        try:
                            with stream:
                                gathering.add(root, member, stream)
                        except ValueError as error:  # over the bound: read on its own
                            yield Skip(label, "member", str(error))
                        except ARCHIVE_ERRORS as error:
                            yield Skip(label, "member", f"cannot read: {_why(error)}")
                        continue
                    yield from self._member(state, path, member, stream, head, depth, archive)
            for folder in list(gathering.folders.values()):
                yield from self._folder(state, path, folder, depth)
        finally:
            gathering.close()
        yield from state.summary(path)

    def _member(
        self,
        state: _State,
        path: Path,
        member: Member,
        stream: BinaryIO,
        head: bytes,
        depth: int,
        archive: ArchiveReader | None,
    ) -> Iterator[Parsed | PartDone]:
        """One member (``stream``, its first bytes ``head``): read by the source that knows
        it, from the stream, from an in-memory copy, or (an archive) as an archive."""
        label = f"{path}/{member.name}"
        source = None if _nested(member) else _detect(state.streaming, label, head)
        if source is not None:
            finished = yield from _read_member(source, label, path, member, stream)
            if finished:
                yield PartDone(member.name, member.size, member.mtime, source.name)
            return
        nested = _nested(member) and archive is not None
        needs = _file_source(state.files, member)
        if can_hold() and (nested or worth_holding(member.name, head, state.suffixes)):
            if member.size > MAX_HELD_BYTES:
                stream.close()
                if needs is not None:
                    yield Skip(label, "member", f"a {needs.name} file of {too_large(member.size)}")
                    return
            else:
                budget = None
                if nested and archive is not None:
                    limit = max(MAX_RATIO * member.compressed, NESTED_FLOOR)
                    budget = Expansion(limit, archive.expansion)
                read = yield from self._read_held(
                    state, label, path, member, stream, head, depth, budget
                )
                if read is not None:
                    if read[1]:
                        yield PartDone(member.name, member.size, member.mtime, read[0])
                    return
                needs = None  # held and sniffed: no source reads it
        elif needs is not None:
            stream.close()
            state.held_back[needs.name] = state.held_back.get(needs.name, 0) + 1
            if state.held_back[needs.name] <= NAMED_SKIPS:
                yield Skip(
                    label,
                    "member",
                    f"a {needs.name} file is not read inside an archive (it needs"
                    " a real file, and this system cannot hold it in memory):"
                    " extract it and import it on its own",
                )
            return
        stream.close()
        state.unknown(member.name)

    def _folder(
        self, state: _State, path: Path, folder: Folder, depth: int
    ) -> Iterator[Parsed | PartDone]:
        """A folder gathered from the archive (see :mod:`.gathered`): read as one export by
        the source that knows it, else its members one by one, as any member."""
        label = f"{path}/{folder.root.rstrip('/')}" if folder.root else str(path)
        uri = member_uri(path, folder.root.rstrip("/")) if folder.root else path.resolve().as_uri()
        with folder.link(str(path)) as link:
            source = _detect_file(state.files, link, read_head(link))
            if source is not None:
                finished = yield from _read_linked(source, link, label, uri)
                if finished:
                    for member in folder.members:
                        yield PartDone(member.name, member.size, member.mtime, source.name)
                return
            try:
                with open_zip(link) as gathered:
                    for member in folder.members:
                        with gathered.open(member.name[len(folder.root) :]) as raw:
                            stream = cast(BinaryIO, raw)  # a ZipExtFile: buffered, with peek
                            head = peek(stream, HEAD_BYTES)
                            yield from self._member(state, path, member, stream, head, depth, None)
            except _HELD_ERRORS as error:
                yield Skip(label, "folder", f"cannot read: {_why(error).replace(str(link), label)}")

    def _read_held(
        self,
        state: _State,
        label: str,
        path: Path,
        member: Member,
        stream: BinaryIO,
        head: bytes,
        depth: int,
        budget: Expansion | None,
    ) -> Generator[Parsed | PartDone, None, tuple[str, bool] | None]:
        """Read a member with the file-only source that knows it, through an in-memory copy
        (:mod:`.held`); an archive inside the archive (``budget`` given) with the source
        that reads it as a whole (a WhatsApp or Slack export zip ...), else as an archive
        one level deeper. Return ``(source name, read to its end)``, or None when no source
        knows it."""
        name = ""
        named = ""  # the link's path, which a message must not show
        try:
            with stream, held_file(member.name, stream, member.size, member.mtime) as link:
                named = str(link)
                source = _detect_file(state.files, link, head, archives=budget is not None)
                if source is None:
                    return None
                name = source.name
                uri = member_uri(path, member.name)
                if isinstance(source, ArchiveSource):
                    records: Iterator[Parsed] = (
                        record
                        for record in self._read(link, {}, depth + 1, budget)
                        if not isinstance(record, PartDone)
                    )
                else:
                    records = source.parse(link)
                yield from relabelled(records, link, label, uri)
        except _HELD_ERRORS as error:
            why = _why(error)
            yield Skip(
                label, "member", f"cannot read: {why.replace(named, label) if named else why}"
            )
            return (name, False)
        except Exception as error:  # noqa: BLE001 - a bug in one source must not end the archive
            why = f"{type(error).__name__}: {error}"
            why = why.replace(named, label) if named else why
            yield Skip(label, "member", f"internal error in source {name}: {why}")
            return (name, False)
        return (name, True)


class _State:
    """What reading one archive keeps between members: the sources, and what to report."""

    def __init__(self, streaming: list[Source], files: list[Source]) -> None:
        self.streaming = streaming
        self.files = files
        self.suffixes = frozenset(suffix for source in files for suffix in source.extensions)
        self.names: list[str] = []
        self.count = 0
        self.held_back: dict[str, int] = {}  # source name -> members it would read from a file

    def unknown(self, name: str) -> None:
        self.count += 1
        if len(self.names) < SAMPLE_NAMES:
            self.names.append(name)

    def summary(self, path: Path) -> Iterator[Skip]:
        for name, count in self.held_back.items():
            if count > NAMED_SKIPS:
                yield Skip(
                    str(path),
                    "members",
                    f"{count - NAMED_SKIPS} more {name} files not read inside the archive"
                    " (they need a real file): extract the archive to import them",
                )
        if self.count:
            sample = ", ".join(self.names) + (", ..." if self.count > len(self.names) else "")
            yield Skip(
                str(path),
                "members",
                f"{self.count} member(s) in no format lifelog reads were passed over: {sample}",
            )


def _nested(member: Member) -> bool:
    return is_archive_name(member.name)


def _nesting_refused(member: Member, depth: int) -> str | None:
    """Why an archive inside the archive is not opened, or None when it is read."""
    if archive_kind(PurePosixPath(member.name).name) is None:
        return "a 7z or rar archive is not read: extract it and import what it holds"
    if depth >= MAX_NESTING:
        return (
            f"an archive nested more than {MAX_NESTING} deep is not opened: extract it and"
            " import it on its own"
        )
    if not can_hold():
        return (
            "an archive inside an archive is read from memory, which this system cannot"
            " hold: extract it and import it on its own"
        )
    if member.size > MAX_HELD_BYTES:
        return f"an archive of {too_large(member.size)}"
    return None


def _detect(streaming: list[Source], label: str, head: bytes) -> Source | None:
    for source in streaming:
        try:
            if source.sniff_stream(label, head):
                return source
        except Exception:  # noqa: BLE001 - a faulty sniffer must not end the archive
            continue
    return None


def _detect_file(
    files: list[Source], link: Path, head: bytes, *, archives: bool = False
) -> Source | None:
    """The file-only source that reads ``link``; the archive source itself only for an
    archive inside an archive (``archives``)."""
    for source in files:
        if source.name == ArchiveSource.name and not archives:
            continue
        try:
            if source.sniff(link, head):
                return source
        except Exception:  # noqa: BLE001 - a faulty sniffer must not end the archive
            continue
    return None


def _file_source(files: list[Source], member: Member) -> Source | None:
    suffix = PurePosixPath(member.name).suffix.lower()
    if not suffix:
        return None
    for source in files:
        if suffix in source.extensions and source.name != ArchiveSource.name:
            return source
    return None


def _why(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, SourceError) else f"{type(error).__name__}: {text}"


def _read_member(
    source: Source, label: str, path: Path, member: Member, stream: BinaryIO
) -> Generator[Parsed, None, bool]:
    """Yield the member's records; return whether it was read to its end."""
    try:
        with stream:
            yield from source.parse_stream(label, stream, member_uri(path, member.name))
    except _MEMBER_ERRORS as error:
        yield Skip(label, "member", f"cannot read: {_why(error)}")
        return False
    except Exception as error:  # noqa: BLE001 - a bug in one source must not end the archive
        yield Skip(
            label,
            "member",
            f"internal error in source {source.name}: {type(error).__name__}: {error}",
        )
        return False
    return True


def _read_linked(source: Source, link: Path, label: str, uri: str) -> Generator[Parsed, None, bool]:
    """``source`` over a gathered folder's link, relabelled; return whether it was read to
    its end."""
    try:
        yield from relabelled(source.parse(link), link, label, uri)
    except _HELD_ERRORS as error:
        yield Skip(label, "folder", f"cannot read: {_why(error).replace(str(link), label)}")
        return False
    except Exception as error:  # noqa: BLE001 - a bug in one source must not end the archive
        why = f"{type(error).__name__}: {error}".replace(str(link), label)
        yield Skip(label, "folder", f"internal error in source {source.name}: {why}")
        return False
    return True
