"""Mail: mbox files, single ``.eml`` messages and Maildir folders.

Every message becomes one ``Item`` of kind ``email`` (see :mod:`.email_item` for
the fields, key, thread and direction; :mod:`.email_mime` for the decoding;
:mod:`.email_mbox` for the streaming mbox reader).

- ``mbox``: ``.mbox`` / ``.mbx`` / ``.mmdf`` files, files named ``mbox``, and
  any file that starts with an mbox ``From`` line followed by mail headers
  (Thunderbird's ``Inbox``, a mailbox saved as ``.txt``; a UTF-8 BOM before it is
  passed over) or an MMDF ``^A^A^A^A`` line. ``From`` lines that look like
  separators but are read as text are reported in one ``Skip`` per mailbox.
  Streamed: memory stays at one message, whatever the file's size. Locator
  ``Message-ID <id>``, else ``message N (byte offset B)``.
- ``eml``: ``.eml`` files, Apple Mail ``.emlx`` files, and files without a known
  document suffix (``.txt`` and no suffix included) whose first lines are mail
  headers (an MH folder's ``1``, ``2`` ...; a Maildir's ``cur/`` given on its own;
  a message saved as text). A file that starts like an mbox is an mbox, whatever
  its name.
- ``maildir``: a directory with ``cur/`` and ``new/``; its Maildir++ folders
  (``.Sent/cur`` ...) and nested Maildirs are read too. Sent folders are read
  first and their senders count as the user's own addresses for the others.

A message that cannot be read is a ``Skip`` naming the file and the message;
the rest of the mailbox is imported. A message over 20 MB keeps its first 20 MB
(headers and text come first; ``metadata["truncated"]``). Only a mailbox that
cannot be opened raises ``SourceError``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, ClassVar

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed, Source
from .item import MailContext, base_uri, build_item, is_sent_folder, own_addresses
from .mbox import (
    BOM,
    MAX_MESSAGE,
    MboxStats,
    is_envelope,
    looks_like_separator,
    split_mbox,
)

__all__ = ["EmlSource", "MaildirSource", "MboxSource", "looks_like_mail"]

_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]{1,100}[ \t]*:")
_LOOSE_ENVELOPE = re.compile(rb"From \S+.*\d")
_MAIL_HEADERS = frozenset(
    (
        b"from",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"message-id",
        b"received",
        b"return-path",
        b"mime-version",
        b"delivered-to",
        b"reply-to",
        b"sender",
        b"in-reply-to",
        b"references",
        b"x-mailer",
        b"user-agent",
        b"dkim-signature",
        b"content-type",
    )
)
#: headers of which one must be present for a file to sniff as a mail
_STRONG = frozenset((b"from", b"received", b"return-path", b"message-id", b"delivered-to"))
#: suffixes of other text formats that a header-like head must not claim
#: (``.txt`` is not one of them: mail is often saved as text)
_NOT_MAIL = frozenset(
    ".md .markdown .org .rst .html .htm .xhtml .json .jsonl .ndjson .csv .tsv .ics .vcf"
    " .xml .yaml .yml .toml .ini .cfg .conf .py .js .ts .css .sql .log .srt .vtt .tex".split()
)
_MAILDIR_NAME = re.compile(r"^(?P<time>\d{9,11})\.")


def _lines(head: bytes) -> list[bytes]:
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines.pop()  # after the last newline: empty, or a line the head may have cut
    return [line.rstrip(b"\r") for line in lines]


def looks_like_mail(head: bytes) -> bool:
    """Whether ``head`` starts with an RFC 5322 header block of a mail message."""
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    names: set[bytes] = set()
    for number, line in enumerate(_lines(head[:8192])):
        if not line:
            break
        if number == 0 and line.startswith(b"From "):
            continue
        if line[:1] in (b" ", b"\t"):
            if not names:
                return False
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        names.add(match.group().rstrip(b": \t").lower())
    return bool(names & _STRONG) and len(names & _MAIL_HEADERS) >= 2


def _looks_like_mbox(head: bytes) -> bool:
    head = head.removeprefix(BOM).lstrip(b"\r\n")
    if head.startswith(b"\x01\x01\x01\x01\n") or head.startswith(b"\x01\x01\x01\x01\r\n"):
        return True
    if not head.startswith(b"From "):
        return False
    first, _, rest = head.partition(b"\n")
    first = first.rstrip(b"\r")
    if not rest:
        return is_envelope(first) or _LOOSE_ENVELOPE.match(first) is not None
    return looks_like_separator(first, rest) and looks_like_mail(rest)


def _open_failed(path: Path, error: OSError) -> SourceError:
    return SourceError(f"cannot read {path}: {error.strerror or error}")


def _guarded(raw: bytes, context: MailContext, file: str, position: str, **options: Any) -> Parsed:
    """``build_item`` that turns any failure on this one message into a ``Skip``."""
    try:
        return build_item(raw, context, file=file, position=position, **options)
    except RecursionError:
        return Skip(file, position, "message nested too deeply")
    except Exception as error:  # noqa: BLE001 - one bad message must not end the mailbox
        return Skip(file, position, f"unreadable message: {type(error).__name__}: {error}")


class MboxSource(Source):
    name: ClassVar[str] = "mbox"
    description: ClassVar[str] = "mailbox files (mbox, mboxrd, MMDF; Thunderbird, Gmail Takeout)"
    extensions: ClassVar[tuple[str, ...]] = (".mbox", ".mbx", ".mmdf")

    supports_stream: ClassVar[bool] = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return self.sniff_stream(str(path), head)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        path = PurePosixPath(name)
        suffix = path.suffix.lower()
        if suffix in (".eml", ".emlx"):
            return False
        if suffix in self.extensions or path.name.lower() == "mbox":
            return True
        return _looks_like_mbox(head)

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            handle = path.open("rb")
        except OSError as error:
            raise _open_failed(path, error) from error
        with handle:
            yield from self.parse_stream(str(path), handle, base_uri(path))

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        """The messages of a mailbox read from ``stream`` (a file, or an archive member)."""
        sent = is_sent_folder(PurePosixPath(name).stem)
        context = MailContext(self.name, origin_uri, sent=sent)
        position = "start"
        stats = MboxStats()
        try:
            for raw in split_mbox(stream, stats):
                position = raw.position
                extra = {"truncated": True} if raw.truncated else None
                yield _guarded(
                    raw.data,
                    context,
                    name,
                    position,
                    envelope=raw.envelope,
                    extra=extra,
                )
        except OSError as error:
            raise SourceError(f"cannot read {name} after {position}: {error}") from error
        if stats.kept_as_text:
            yield _kept_as_text(name, stats.kept_as_text)


def _kept_as_text(name: str, offsets: list[int]) -> Skip:
    """The report of ``From`` lines that look like separators but were read as text:
    the message count differs from the separators a reader may expect."""
    shown = ", ".join(str(o) for o in offsets[:10]) + (" …" if len(offsets) > 10 else "")
    return Skip(
        name,
        "mailbox",
        f"{len(offsets)} line(s) that look like message separators were kept as message"
        f" text, since no mail headers follow them (byte offsets {shown}); if messages"
        " look merged, the mailbox was written without quoting 'From ' lines",
    )


def _read_capped(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as handle:
        data = handle.read(MAX_MESSAGE + 1)
    return data[:MAX_MESSAGE], len(data) > MAX_MESSAGE


def _emlx_message(data: bytes) -> bytes:
    """The RFC 822 part of an Apple Mail ``.emlx`` (a byte count line, the mail, a plist)."""
    first, _, rest = data.partition(b"\n")
    count = first.strip()
    if count.isdigit():
        return rest[: int(count)]
    return data


class EmlSource(Source):
    name: ClassVar[str] = "eml"
    description: ClassVar[str] = "single mail messages (.eml, Apple Mail .emlx, MH)"
    extensions: ClassVar[tuple[str, ...]] = (".eml", ".emlx")

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix in self.extensions:
            return True
        return suffix not in _NOT_MAIL and looks_like_mail(head)

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            data, truncated = _read_capped(path)
        except OSError as error:
            raise _open_failed(path, error) from error
        if path.suffix.lower() == ".emlx":
            data = _emlx_message(data)
        context = MailContext(self.name, base_uri(path), sent=is_sent_folder(path.parent.name))
        extra = {"truncated": True} if truncated else None
        yield _guarded(data, context, str(path), "message", extra=extra)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir_folders(root: Path) -> list[tuple[str, Path]]:
    """The root folder and every Maildir++ (``.Sent``) or nested Maildir below it."""
    folders = [(root.name.lstrip(".") or "INBOX", root)]
    stack = [(root, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name in ("cur", "new", "tmp") or not entry.is_dir(follow_symlinks=False):
                continue
            child = Path(entry.path)
            if (child / "cur").is_dir() or (child / "new").is_dir():
                name = child.relative_to(root).as_posix()
                folders.append((name.lstrip(".").replace("/.", "/"), child))
            if depth < 4:
                stack.append((child, depth + 1))
    # Sent folders first: their senders are the user's own addresses for the rest
    folders.sort(key=lambda folder: not is_sent_folder(folder[0]))
    return folders


def _maildir_date(name: str) -> datetime | None:
    match = _MAILDIR_NAME.match(name)
    if match is None:
        return None
    try:
        return datetime.fromtimestamp(int(match["time"]), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _flags(name: str) -> str | None:
    _, marker, flags = name.rpartition(":2,")
    if not marker:
        _, marker, flags = name.rpartition("!2,")  # the Windows spelling
    return "".join(sorted(flags)) if marker and flags.isalpha() else None


class MaildirSource(Source):
    name: ClassVar[str] = "maildir"
    description: ClassVar[str] = "Maildir folders (cur/new, Maildir++ subfolders)"
    directory: ClassVar[bool] = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.is_dir() and _is_maildir(path)

    def parse(self, path: Path) -> Iterator[Parsed]:
        if not path.is_dir():
            raise SourceError(f"cannot read {path}: not a directory")
        try:
            os.listdir(path)
        except OSError as error:
            raise _open_failed(path, error) from error
        me = own_addresses()
        seen: dict[str, str] = {}
        for folder, directory in _maildir_folders(path.resolve()):
            sent = is_sent_folder(folder)
            for sub in ("cur", "new"):
                box = directory / sub
                try:
                    names = sorted(n for n in os.listdir(box) if not n.startswith("."))
                except FileNotFoundError:
                    continue
                except OSError as error:
                    yield Skip(str(box), "folder", f"cannot list: {error.strerror or error}")
                    continue
                for name in names:
                    file = box / name
                    if not file.is_file():
                        continue
                    context = MailContext(
                        self.name, file.as_uri(), me, sent, folder, seen, learn=sent
                    )
                    yield from self._message(file, context, f"{folder}/{sub}/{name}", name)

    def _message(
        self, file: Path, context: MailContext, position: str, name: str
    ) -> Iterator[Parsed]:
        try:
            data, truncated = _read_capped(file)
        except OSError as error:
            yield Skip(str(file), "file", f"cannot read: {error.strerror or error}")
            return
        extra: dict[str, Any] = {}
        if truncated:
            extra["truncated"] = True
        flags = _flags(name)
        if flags:
            extra["flags"] = flags
        yield _guarded(
            data,
            context,
            str(file),
            position,
            fallback_date=_maildir_date(name),
            extra=extra or None,
        )
