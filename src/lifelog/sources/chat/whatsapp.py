"""WhatsApp "Export chat" files: the ``.txt`` alone or inside the exported ``.zip``.

Both phone styles are read::

    12/31/19, 10:15 PM - Melanie: text          Android (US, 12 h)
    31.12.19, 22:15 - Melanie: text             Android (dotted, 24 h)
    01/30/2019, 08:49 p. m. - Melanie: text     Android (Spanish am/pm)
    [31/12/2019, 10:15:03 PM] Melanie: text     iOS (LRM marks, U+202F before PM)

The day/month order is inferred per file from the data: a first field above 12
means day first, a second field above 12 means month first; otherwise the field
that goes down within a year is the day (months only grow); otherwise 12-hour
files default to month first (US) and 24-hour ones to day first. A line that
looks like a message header but whose date is impossible in that order is
reported as a ``Skip`` ("unknown date style") together with its continuation
lines; the rest is imported.

WhatsApp writes local wall-clock times without a zone; they are stored as if
they were UTC (``to_utc`` of a naive time), so they read back as written.

System messages ("Messages and calls are end-to-end encrypted", "X created
group", iOS notices attributed to the chat itself) are kept as messages with
``author=None`` and ``metadata["system"] = True``: they date events such as a
group's creation. Media placeholders keep their text and set
``metadata["media"]`` to the file name, or ``True`` when none is given.

The chat name comes from the file name (``WhatsApp Chat with Melanie.txt``,
``WhatsApp Chat - Family.zip``; a bare ``_chat.txt`` takes its folder's name).
An item's key is ``chat/ISO time/author/ordinal`` (the ordinal counts messages
with the same time and author), so a later re-export of the same chat gives the
same ids. The file is streamed twice (date order and participants first); the
ordinal counters grow with the number of messages, about 100 bytes each.

Zip exports are read in place (never extracted): members over 500 MB or with a
suspicious compression ratio are refused with a ``Skip``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

# the zip helpers moved to lifelog.archive; still importable from here
from ...archive import (
    ZIP_ERRORS,
    ZIP_MEMBER_BYTES,
    check_zip_member,
    is_whole_export,
    open_zip,
)
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, file_uri, open_binary

__all__ = ["ZIP_ERRORS", "WhatsAppSource", "check_zip_member", "open_zip"]

#: a single member read from a zip may not be larger than this, uncompressed
MAX_MEMBER_BYTES = ZIP_MEMBER_BYTES
#: longest message text kept; the rest is cut and ``metadata["truncated"]`` set
MAX_TEXT = 5_000_000
#: characters left unquoted in a URI fragment (as ``base.file_uri`` does)
URI_SAFE = "@:=+-_.~ "
#: longest physical line read at once (longer lines are read in pieces)
LINE_LIMIT = 1_000_000

_MARKS = "\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DATE = r"(?P<d1>\d{1,4})(?P<sep>[./-])(?P<d2>\d{1,2})[./-](?P<d3>\d{1,4})\.?"
_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?"
_AMPM = r"(?:\s*(?P<ampm>[aApP]\.?\s?[mM]\.?))?"
_IOS = re.compile(rf"\[{_DATE},?\s*{_TIME}{_AMPM}\]\s?(?P<rest>.*)", re.S)
_ANDROID = re.compile(rf"{_DATE},?\s+{_TIME}{_AMPM}\s*[-\u2013]\s(?P<rest>.*)", re.S)
_AUTHOR = re.compile(r"(?P<author>[^:\n]{1,120}?):\s?(?P<text>.*)", re.S)
_CHAT_FILE = re.compile(
    r"^(?:WhatsApp Chat with |WhatsApp Chat - |WhatsApp-Chat mit |Chat de WhatsApp con |"
    r"Conversa do WhatsApp com |Discussion WhatsApp avec |Chat WhatsApp con |"
    r"WhatsApp-chat met )(?P<name>.+?)(?: \(\d+\))?$",
    re.I,
)
_E2E = re.compile(r"end-to-end encrypted|Ende-zu-Ende|cifrad[oa]s? de extremo", re.I)
_MEDIA_OMITTED = re.compile(
    r"<(?:Media omitted|Medien ausgeschlossen|Multimedia omitido|M[ée]dias? omis|"
    r"M[íi]dia oculta|Media weggelaten|Media omessi|Media omessa)>",
    re.I,
)
_IOS_OMITTED = re.compile(
    r"(?:(?P<name>.+?)\s+)?(?:\d+ pages? )?(?:image|video|audio|sticker|GIF|document|"
    r"Contact card|photo) omitted",
    re.I,
)
_ATTACHED = re.compile(r"<attached: (?P<name>[^<>\n]+)>")
_FILE_ATTACHED = re.compile(
    r"(?P<name>\S[^\n]*?\.\w{2,5}) \((?:file attached|Datei angehängt|archivo adjunto|"
    r"fichier joint|arquivo anexado|bestand bijgevoegd|file allegato)\)",
    re.I,
)
_DELETED = re.compile(
    r"(?:This message was deleted|You deleted this message|Se eliminó este mensaje|"
    r"Diese Nachricht wurde gelöscht)\.?",
    re.I,
)


# -- line level -------------------------------------------------------------------


@dataclass(slots=True)
class _Header:
    parts: tuple[int, int, int]
    year_first: bool
    clock: tuple[int, int, int]
    ampm: str | None
    rest: str
    dotted: bool


_MARKS_SPACE = _MARKS + " "
_MARKS_BLANK = _MARKS + " \t"
_LEADS = frozenset("0123456789[" + _MARKS_BLANK)
#: longest text that can be a "message deleted" notice (the longest is 31 characters)
_DELETED_MAX = 200


def _match_header(line: str) -> _Header | None:
    if not line or line[0] not in _LEADS:
        return None  # the common case: a continuation line
    stripped = line.lstrip(_MARKS_BLANK)
    match = _IOS.fullmatch(stripped) if stripped.startswith("[") else None
    if match is None:
        match = _ANDROID.fullmatch(stripped)
    if match is None:
        return None
    return _Header(
        parts=(int(match["d1"]), int(match["d2"]), int(match["d3"])),
        year_first=len(match["d1"]) == 4,
        clock=(int(match["hour"]), int(match["minute"]), int(match["second"] or 0)),
        ampm=match["ampm"],
        rest=match["rest"],
        dotted=match["sep"] == ".",
    )


def _split_rest(
    rest: str, chat: str, notices: set[str] | frozenset[str] = frozenset()
) -> tuple[str | None, str, bool, bool]:
    """``(author, text, system, notice)`` from what follows the timestamp.

    iOS attributes group notices to the group itself, with the text starting
    with U+200E: a "name" that is the chat's, or one in ``notices`` (names that
    only ever post such notices), is no author.
    """
    match = _AUTHOR.fullmatch(rest)
    if match:
        author = match["author"].strip(_MARKS_SPACE)
        text = match["text"]
        bad = (
            not author
            or '"' in author
            or "\u201c" in author
            or text.startswith("//")
            or (author[-1].isdigit() and text[:1].isdigit())
        )
        if not bad:
            marked = text.startswith("\u200e")
            text = text.lstrip(_MARKS)
            notice = _is_notice(marked, text)
            if notice and (author == chat or author in notices or _E2E.search(text)):
                return None, text, True, True
            return author, text, False, notice
    return None, rest.lstrip(_MARKS), True, False


def _is_notice(marked: bool, text: str) -> bool:
    return marked and _media(text) is None and not text.startswith("Location:")


def _media(text: str) -> str | bool | None:
    first = text.partition("\n")[0].strip(_MARKS_SPACE)
    # every placeholder holds "<", "(" or "omitted": most messages are none of them
    if "<" not in first and "(" not in first and "omitted" not in first.lower():
        return None
    if _MEDIA_OMITTED.fullmatch(first):
        return True
    attached = _ATTACHED.search(first)
    if attached:
        return attached["name"].strip()
    found = _FILE_ATTACHED.match(first)
    if found:
        return found["name"]
    omitted = _IOS_OMITTED.fullmatch(first)
    if omitted:
        return omitted["name"] or True
    return None


def _chat_name(name: str) -> str:
    stem = PurePosixPath(name.replace("\\", "/")).name
    for suffix in (".txt", ".zip"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    match = _CHAT_FILE.match(stem.strip())
    return (match["name"] if match else stem).strip() or "chat"


# -- day/month order --------------------------------------------------------------


@dataclass(slots=True)
class _Survey:
    """What the first pass learns: the date order and every author."""

    first_big: int = 0
    second_big: int = 0
    first_down: int = 0
    second_down: int = 0
    twelve_hour: int = 0
    headers: int = 0
    dotted: int = 0
    last_by_year: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: author -> [messages, iOS-style notices]; first-seen order
    authors: dict[str, list[int]] = field(default_factory=dict)

    def add(self, header: _Header, author: str | None, notice: bool) -> None:
        self.headers += 1
        self.twelve_hour += header.ampm is not None
        self.dotted += header.dotted
        if author is not None:
            counts = self.authors.get(author)
            if counts is None and len(self.authors) < 10_000:
                counts = self.authors[author] = [0, 0]
            if counts is not None:
                counts[0] += 1
                counts[1] += notice
        if header.year_first:
            return
        a, b, year = header.parts
        self.first_big += a > 12
        self.second_big += b > 12
        last = self.last_by_year.get(year)
        if last is not None:
            self.first_down += a < last[0]
            self.second_down += b < last[1]
        self.last_by_year[year] = (a, b)

    def day_first(self) -> bool:
        if self.first_big != self.second_big:
            return self.first_big > self.second_big
        if bool(self.first_down) != bool(self.second_down):
            return self.first_down > 0
        if self.dotted * 2 > self.headers:
            return True
        return self.twelve_hour * 2 <= self.headers


def _timestamp(header: _Header, day_first: bool) -> datetime:
    """The message time; ``ValueError`` when impossible in this order."""
    a, b, c = header.parts
    if header.year_first:
        year, month, day = a, b, c
    elif day_first:
        day, month, year = a, b, c
    else:
        month, day, year = a, b, c
    if year < 100:
        year += 2000
    hour, minute, second = header.clock
    if header.ampm and hour <= 12:
        pm = header.ampm.strip()[0] in "pP"
        hour = hour % 12 + (12 if pm else 0)
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# -- the source -------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    line: int
    timestamp: datetime
    author: str | None
    system: bool
    parts: list[str]
    size: int
    truncated: bool = False

    def append(self, text: str) -> None:
        if self.size + len(text) + 1 > MAX_TEXT:
            self.truncated = True
            return
        self.parts.append(text)
        self.size += len(text) + 1


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for every line; universal newlines, bad bytes replaced."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None)
    number = 1
    while True:
        line = text.readline(LINE_LIMIT)
        if not line:
            return
        if line.endswith("\n"):
            yield number, line[:-1]
            number += 1
        else:
            yield number, line


def _looks_like_chat(text: str) -> bool:
    for line in text.split("\n")[:10]:
        if line.strip(_MARKS + " \t\r"):
            return _match_header(line.rstrip("\r")) is not None
    return False


def _is_the_export(archive: zipfile.ZipFile, chats: list[zipfile.ZipInfo]) -> bool:
    """Whether a zip holding the transcripts ``chats`` is a WhatsApp export (or a zipped
    folder of them): a transcript at the top, or every member inside the one folder that
    holds them. A larger archive holding a chat beside other things (a phone's backup
    with mail in it) is left to the archive reader, which reads the chat as a member."""
    tops = {info.filename.replace("\\", "/").partition("/") for info in chats}
    if not tops:
        return False
    if any(not sep for _top, sep, _rest in tops):
        return True
    folders = {top for top, _sep, _rest in tops}
    return len(folders) == 1 and is_whole_export(archive.namelist(), folders.pop() + "/")


class WhatsAppSource(Source):
    name = "whatsapp"
    description = "WhatsApp 'Export chat' .txt files and the exported .zip"
    extensions = (".txt", ".zip")

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".txt":
            if _CHAT_FILE.match(path.stem):
                return True
            return _looks_like_chat(head.decode("utf-8", errors="replace").lstrip("\ufeff"))
        if suffix == ".zip" or head.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(path) as archive:
                    return _is_the_export(archive, self._chat_members(archive))
            except ZIP_ERRORS:
                return False
        return False

    def _chat_members(self, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        """The chat transcripts: by name, else up to 3 top-level .txt that look like one."""
        by_name: list[zipfile.ZipInfo] = []
        candidates: list[zipfile.ZipInfo] = []
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".txt"):
                continue
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if base == "_chat.txt" or _CHAT_FILE.match(base[:-4]):
                by_name.append(info)
            elif info.filename.count("/") == 0 and len(candidates) < 3:
                candidates.append(info)
        if by_name:
            return by_name
        found: list[zipfile.ZipInfo] = []
        for info in candidates:
            if check_zip_member(info) is not None:
                continue
            try:
                with archive.open(info) as member:
                    head = member.read(4096)
            except ZIP_ERRORS:
                continue
            if _looks_like_chat(head.decode("utf-8", errors="replace").lstrip("\ufeff")):
                found.append(info)
        return found

    def parse(self, path: Path) -> Iterator[Parsed]:
        suffix = path.suffix.lower()
        if suffix == ".zip" or (suffix != ".txt" and _is_zip(path)):
            yield from self._parse_zip(path)
            return
        chat = _chat_name(path.name)
        if path.name == "_chat.txt" and path.parent.name:
            chat = _chat_name(path.parent.name)

        def opener() -> IO[bytes]:
            return open_binary(path)

        yield from self._parse_chat(path, chat, opener, prefix="")

    def _parse_zip(self, path: Path) -> Iterator[Parsed]:
        with open_zip(path) as archive:
            members = self._chat_members(archive)
            if not members:
                yield Skip(str(path), "file", "no WhatsApp chat .txt inside the zip")
                return
            for info in members:
                refused = check_zip_member(info)
                if refused:
                    yield Skip(str(path), info.filename, refused)
                    continue
                base = PurePosixPath(info.filename.replace("\\", "/"))
                if _CHAT_FILE.match(base.stem):
                    chat = _chat_name(base.name)
                elif len(members) > 1 and len(base.parts) > 1:
                    chat = _chat_name(base.parent.name)
                else:
                    chat = _chat_name(path.name)

                def opener(info: zipfile.ZipInfo = info) -> IO[bytes]:
                    return archive.open(info)

                try:
                    yield from self._parse_chat(path, chat, opener, prefix=info.filename + " ")
                except ZIP_ERRORS as error:
                    yield Skip(str(path), info.filename, f"cannot read zip member: {error}")

    def _parse_chat(
        self, path: Path, chat: str, opener: Callable[[], IO[bytes]], prefix: str
    ) -> Iterator[Parsed]:
        """Two passes: learn the date order and the authors, then yield the messages."""
        survey = _Survey()
        with opener() as stream:
            for _number, line in _lines(stream):
                header = _match_header(line)
                if header is not None:
                    author, _text, _system, notice = _split_rest(header.rest, chat)
                    survey.add(header, author, notice)
        if survey.headers == 0:
            yield Skip(str(path), prefix + "file", "no WhatsApp messages found")
            return
        day_first = survey.day_first()
        notices = {a for a, (total, notes) in survey.authors.items() if notes == total}
        participants = tuple(a for a in survey.authors if a not in notices)
        ordinals: dict[tuple[str, str], int] = {}
        # resolved and quoted once: per message, resolve() and quote() are slow (digits
        # and spaces need no quoting, so the line number is appended as it is)
        uri_prefix = f"{file_uri(path)}#{quote(prefix, safe=URI_SAFE)}line "
        pending: _Pending | None = None
        orphan_from: int | None = None
        skipping = False

        def finish(message: _Pending) -> Item:
            iso = message.timestamp.isoformat()
            slot = (iso, message.author or "")
            ordinal = ordinals.get(slot, 0)
            ordinals[slot] = ordinal + 1
            text = clean_text("\n".join(message.parts))
            locator = f"{prefix}line {message.line}"
            metadata: dict[str, Any] = {"chat": chat}
            if message.system:
                metadata["system"] = True
            media = _media(text)
            if media is not None:
                metadata["media"] = media
            if len(text) <= _DELETED_MAX and _DELETED.fullmatch(text.strip()):
                metadata["deleted"] = True
            if message.truncated:
                metadata["truncated"] = True
            return Item(
                source=self.name,
                key=f"{chat}/{iso}/{message.author or ''}/{ordinal}",
                kind="message",
                text=text,
                timestamp=message.timestamp,
                author=message.author,
                participants=participants,
                title=chat,
                thread=f"whatsapp:{chat}",
                uri=f"{uri_prefix}{message.line}",
                locator=locator,
                metadata=metadata,
            )

        with opener() as stream:
            for number, line in _lines(stream):
                header = _match_header(line)
                if header is None:
                    if pending is not None:
                        pending.append(line)
                    elif not skipping and orphan_from is None and line.strip(_MARKS_BLANK):
                        orphan_from = number
                    continue
                if pending is not None:
                    yield finish(pending)
                    pending = None
                if orphan_from is not None:
                    yield Skip(
                        str(path),
                        f"{prefix}line {orphan_from}",
                        "text before the first message header ignored",
                    )
                    orphan_from = None
                try:
                    moment = _timestamp(header, day_first)
                except ValueError:
                    order = "day/month" if day_first else "month/day"
                    skipping = True
                    yield Skip(
                        str(path),
                        f"{prefix}line {number}",
                        f"unknown date style: {line.strip(_MARKS)[:60]!r} is not a valid "
                        f"{order} date (message and its continuation lines skipped)",
                    )
                    continue
                skipping = False
                author, text, system, _notice = _split_rest(header.rest, chat, notices)
                pending = _Pending(number, moment, author, system, [], 0)
                pending.append(text)
            if pending is not None:
                yield finish(pending)


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False
