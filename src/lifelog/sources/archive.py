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
- A member that is itself an archive is not opened (no nesting).
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
from typing import BinaryIO, ClassVar

from ..archive import ARCHIVE_ERRORS, Member, archive_kind, is_archive_name, member_uri, peek
from ..archive import open_archive as _open_archive
from ..archive import open_zip as _open_zip
from ..errors import SourceError
from ..records import Skip
from .base import HEAD_BYTES, Parsed, PartDone, Source
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
        """Any tar; a zip that holds at least one file in a format lifelog knows.

        So a folder of downloads does not open every zip of software or fonts in it;
        a damaged zip is claimed, so that the error is reported.
        """
        kind = archive_kind(path.name)
        if kind is None or not path.is_file():
            return False
        if kind == "tar":
            return True
        try:
            with _open_zip(path) as archive:
                names = archive.namelist()
        except SourceError:
            return True
        streaming, files = _sources()
        known = {suffix for source in (*streaming, *files) for suffix in source.extensions}
        known.difference_update(self.extensions)
        return any(
            PurePosixPath(name).suffix.lower() in known or name.lower().endswith("mbox")
            for name in names
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        for record in self.parse_resuming(path, {}):
            if not isinstance(record, PartDone):
                yield record

    def parse_resuming(
        self, path: Path, done: Mapping[str, tuple[int, float]]
    ) -> Iterator[Parsed | PartDone]:
        streaming, files = _sources()
        suffixes = frozenset(suffix for source in files for suffix in source.extensions)
        unknown: list[str] = []
        unknown_count = 0
        held_back: dict[str, int] = {}  # source name -> members it would read from a file
        with _open_archive(path) as archive:
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
                base = PurePosixPath(member.name).name
                if base in PASSED_OVER:
                    continue
                if is_archive_name(member.name):
                    yield Skip(
                        label,
                        "member",
                        "an archive inside an archive is not opened: extract it and import"
                        " it on its own",
                    )
                    continue
                try:
                    stream = archive.open(member)
                    head = peek(stream, HEAD_BYTES)
                except ARCHIVE_ERRORS as error:
                    yield Skip(label, "member", f"cannot read: {_why(error)}")
                    continue
                source = _detect(streaming, label, head)
                if source is not None:
                    finished = yield from _read_member(source, label, path, member, stream)
                    if finished:
                        yield PartDone(member.name, member.size, member.mtime, source.name)
                    continue
                needs = _file_source(files, member)
                if can_hold() and worth_holding(member.name, head, suffixes):
                    if member.size > MAX_HELD_BYTES:
                        stream.close()
                        if needs is not None:
                            yield Skip(
                                label, "member", f"a {needs.name} file of {too_large(member.size)}"
                            )
                            continue
                    else:
                        read = yield from _read_held(files, label, path, member, stream, head)
                        if read is not None:
                            if read[1]:
                                yield PartDone(member.name, member.size, member.mtime, read[0])
                            continue
                        needs = None  # held and sniffed: no source reads it
                elif needs is not None:
                    held_back[needs.name] = held_back.get(needs.name, 0) + 1
                    if held_back[needs.name] <= NAMED_SKIPS:
                        yield Skip(
                            label,
                            "member",
                            f"a {needs.name} file is not read inside an archive (it needs"
                            " a real file, and this system cannot hold it in memory):"
                            " extract it and import it on its own",
                        )
                    stream.close()
                    continue
                stream.close()
                unknown_count += 1
                if len(unknown) < SAMPLE_NAMES:
                    unknown.append(member.name)
        for name, count in held_back.items():
            if count > NAMED_SKIPS:
                yield Skip(
                    str(path),
                    "members",
                    f"{count - NAMED_SKIPS} more {name} files not read inside the archive"
                    " (they need a real file): extract the archive to import them",
                )
        if unknown_count:
            sample = ", ".join(unknown) + (", ..." if unknown_count > len(unknown) else "")
            yield Skip(
                str(path),
                "members",
                f"{unknown_count} member(s) in no format lifelog reads were passed over: {sample}",
            )


def _detect(streaming: list[Source], label: str, head: bytes) -> Source | None:
    for source in streaming:
        try:
            if source.sniff_stream(label, head):
                return source
        except Exception:  # noqa: BLE001 - a faulty sniffer must not end the archive
            continue
    return None


def _detect_file(files: list[Source], link: Path, head: bytes) -> Source | None:
    for source in files:
        if source.name == ArchiveSource.name:
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


def _read_held(
    files: list[Source], label: str, path: Path, member: Member, stream: BinaryIO, head: bytes
) -> Generator[Parsed, None, tuple[str, bool] | None]:
    """Read a member with the file-only source that knows it, through an in-memory copy
    (:mod:`.held`). Return ``(source name, read to its end)``, or None when no source
    knows it."""
    name = ""
    named = ""  # the link's path, which a message must not show
    try:
        with stream, held_file(member.name, stream, member.size, member.mtime) as link:
            named = str(link)
            source = _detect_file(files, link, head)
            if source is None:
                return None
            name = source.name
            uri = member_uri(path, member.name)
            yield from relabelled(source.parse(link), link, label, uri)
    except _HELD_ERRORS as error:
        why = _why(error)
        yield Skip(label, "member", f"cannot read: {why.replace(named, label) if named else why}")
        return (name, False)
    except Exception as error:  # noqa: BLE001 - a bug in one source must not end the archive
        why = f"{type(error).__name__}: {error}"
        why = why.replace(named, label) if named else why
        yield Skip(label, "member", f"internal error in source {name}: {why}")
        return (name, False)
    return (name, True)
