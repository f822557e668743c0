"""Streaming mbox reading: messages cut out of a mailbox file of any size.

The file is read in blocks of about 1 MB that end at a line end; separator lines
are found with ``bytes.find`` (no per-line Python loop), so splitting runs at
hundreds of MB/s and memory stays at one message plus one block.

- mboxo / mboxrd / mboxcl: a message starts at a complete envelope line
  (``From sender Wed Aug 21 16:20:36 2013``) after a blank line (or at the start
  of the file), and at a ``From `` line followed by a mail header line when that
  line is a complete envelope line without the blank line, Netscape's and
  Thunderbird's ``From -`` (with or without a date), a lone id (Gmail Takeout's
  ``From 1844347792267117879@xxx``) or, after a blank line, a looser one (a
  sender and something with a digit, or a lone word).
  ``>From `` quoting is undone (one ``>`` removed, as mboxrd readers do). CRLF
  files are read as they are; a UTF-8 BOM before the first line is passed over.
- mboxcl2: ``From `` lines in bodies are not quoted, so a message's
  ``Content-Length`` is followed when it ends exactly at a separator (or at the
  end of the file); a wrong length (Netscape wrote some) is ignored.
- ``From `` lines that look like separators but are kept as text (no headers
  after them) are counted in :class:`MboxStats`, so a caller can report them.
- MMDF: messages between ``\\x01\\x01\\x01\\x01`` lines.
- A message larger than ``MAX_MESSAGE`` keeps only its first ``MAX_MESSAGE``
  bytes (headers and text come first; attachments are cut) and is marked.
- A truncated last message is returned as far as it goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

__all__ = [
    "MAX_MESSAGE",
    "MboxStats",
    "RawMessage",
    "envelope_date",
    "is_envelope",
    "looks_like_separator",
    "split_mbox",
]

#: bytes of one message kept at most (the rest is cut and counted)
MAX_MESSAGE = 20 * 1024 * 1024
BLOCK = 1 << 20
#: bytes of the previous block kept in front of the next one (separator context)
TAIL = 3
MMDF_MARK = b"\x01\x01\x01\x01"
BOM = b"\xef\xbb\xbf"
#: bytes after a ``From`` line's start read to decide whether it is a separator
LOOKAHEAD = 4096
#: bytes of a message searched for the end of its headers (for Content-Length)
HEADER_SCAN = 256 * 1024
#: messages joined into one by a Content-Length at most
MAX_JOINED = 1000
#: separator-like lines kept as text remembered (for the report) at most
MAX_KEPT = 10_000

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
#: a full envelope line: From sender  Wed Aug 21 16:20:36 2013 (Gmail: ... +0000 2013)
_ENVELOPE = re.compile(
    rb"From \S*\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,?\s+"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\s+\d{1,2}\s+\d{1,2}:\d{2}",
    re.I,
)
#: Netscape / Thunderbird: ``From -`` or ``From - Mon Jun  3 12:50:27 1996``
_NETSCAPE = re.compile(rb"From -(?:[ \t]|$)")
#: Gmail Takeout: ``From 1844347792267117879@xxx``, no date
_ID_ONLY = re.compile(rb"From \S+@\S+[ \t]*$")
#: a loose envelope line, accepted after a blank line: a sender, then something with a digit
_LOOSE = re.compile(rb"From \S+\s.*\d")
#: a lone word (``From MAILER-DAEMON``), accepted after a blank line
_BARE = re.compile(rb"From \S+[ \t]*$")
#: what the line after a separator starts with: a header (or a second, quoted envelope)
_HEADER_START = re.compile(rb"[\x21-\x39\x3b-\x7e]{1,100}[ \t]*:|>From ")
_CONTENT_LENGTH = re.compile(rb"^Content-Length:[ \t]*(\d{1,9})[ \t]*\r?$", re.M | re.I)
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.M)
_ENVELOPE_DATE = re.compile(
    r"(?P<month>[A-Za-z]{3})[a-z]*\s+(?P<day>\d{1,2})\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\s+(?P<zone1>[+-]\d{4}|[A-Z]{3,4}))?\s+(?P<year>\d{4})"
    r"(?:\s+(?P<zone2>[+-]\d{4}))?"
)


@dataclass(slots=True)
class RawMessage:
    """One message's bytes (envelope line removed) and where it was found."""

    number: int
    offset: int
    data: bytes
    envelope: bytes | None
    size: int
    #: the separator line as read, line end included (empty for the first/MMDF)
    separator: bytes = b""

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)

    @property
    def position(self) -> str:
        return f"message {self.number} (byte offset {self.offset})"


def is_envelope(line: bytes) -> bool:
    """Whether ``line`` is an mbox ``From`` envelope line that needs no blank line before."""
    return _ENVELOPE.match(line) is not None


def looks_like_separator(first: bytes, rest: bytes) -> bool:
    """Whether a file whose first line is ``first`` (followed by ``rest``) starts like
    an mbox: a ``From`` line a separator may be, followed by a header line."""
    return bool(_candidate(first, True)) and _HEADER_START.match(rest) is not None


def envelope_date(envelope: bytes | None) -> datetime | None:
    """The date of an mbox ``From`` line (asctime style), as aware UTC."""
    if not envelope:
        return None
    match = _ENVELOPE_DATE.search(envelope.decode("latin-1"))
    if match is None:
        return None
    try:
        month = _MONTHS.index(match["month"].lower()) + 1
        moment = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    zone = match["zone1"] or match["zone2"]
    if zone and zone[0] in "+-":
        minutes = int(zone[1:3]) * 60 + int(zone[3:5])
        moment -= timedelta(minutes=minutes if zone[0] == "+" else -minutes)
    return moment


class _Collector:
    """The message being collected: pieces up to the cap, the size beyond it."""

    __slots__ = ("envelope", "offset", "pieces", "kept", "size", "separator")

    def __init__(self, offset: int, separator: bytes) -> None:
        self.offset = offset
        self.separator = separator
        self.envelope = separator.rstrip(b"\r\n") or None
        self.pieces: list[bytes] = []
        self.kept = 0
        self.size = 0

    def add(self, piece: bytes) -> None:
        self.size += len(piece)
        room = MAX_MESSAGE - self.kept
        if room <= 0 or not piece:
            return
        if len(piece) > room:
            piece = piece[:room]
        self.pieces.append(piece)
        self.kept += len(piece)

    def finish(self, number: int) -> RawMessage | None:
        data = b"".join(self.pieces)
        if not data.strip():
            return None
        return RawMessage(number, self.offset, data, self.envelope, self.size, self.separator)


@dataclass(slots=True)
class MboxStats:
    """What the splitter saw besides the messages: ``From`` lines that look like
    separators but were kept as text (no mail headers after them), by byte offset."""

    kept_as_text: list[int] = field(default_factory=list)
    #: messages put back together by their Content-Length (mboxcl2)
    joined: int = 0

    def kept(self, offset: int) -> None:
        if len(self.kept_as_text) < MAX_KEPT:
            self.kept_as_text.append(offset)

    def explained(self, message: RawMessage) -> None:
        """``From`` lines inside ``message``, whose Content-Length holds, are its text."""
        low = message.offset
        high = low + len(message.separator) + message.size
        if self.kept_as_text and self.kept_as_text[-1] >= low:
            self.kept_as_text = [o for o in self.kept_as_text if not low <= o < high]


def _blocks(handle: BinaryIO) -> Iterator[bytes]:
    """Blocks of about ``BLOCK`` bytes that end at a line end (or at a 1 MB line piece)."""
    while True:
        block = handle.read(BLOCK)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += handle.readline(BLOCK)
        yield block


def _candidate(line: bytes, blank_before: bool) -> int:
    """How much ``line`` (a ``From `` line) looks like a separator: 0 not at all, 1 as
    a loose line after a blank one, 2 as a line that only separators look like, 3 as
    a complete envelope after a blank line (a separator whatever follows: mboxo and
    mboxrd writers quote such lines in bodies)."""
    if _ENVELOPE.match(line):
        return 3 if blank_before else 2
    if _NETSCAPE.match(line) or _ID_ONLY.match(line):
        return 2
    if blank_before and (_LOOSE.match(line) or _BARE.match(line)):
        return 1
    return 0


def _separators(
    view: bytes, mmdf: bool, final: bool, stats: MboxStats, base: int
) -> tuple[list[tuple[int, int]], int]:
    """``(start, end)`` of each separator line in ``view``, and where reading stopped.

    ``view`` is the last ``TAIL`` bytes before the unread data followed by that data,
    so a line start is always preceded by a newline and its context inside ``view``.
    A ``From`` line is a separator only when the line after it starts a header block;
    when that line is not read yet (and the file goes on) reading stops before the
    ``From`` line, which is looked at again with the next block. ``base`` is the file
    offset of ``view[TAIL]``.
    """
    needle = b"\n" + MMDF_MARK if mmdf else b"\nFrom "
    found: list[tuple[int, int]] = []
    search = TAIL - 1
    while True:
        index = view.find(needle, search)
        if index < 0:
            return found, len(view)
        search = index + 1
        start = index + 1
        newline = view.find(b"\n", start)
        complete = final or len(view) - start >= LOOKAHEAD
        if newline < 0:
            if not complete:
                return found, start
            end = len(view)
        else:
            end = newline + 1
        line = view[start:end].rstrip(b"\r\n")
        if mmdf:
            if line == MMDF_MARK:
                found.append((start, end))
            continue
        blank_before = view[index - 1] == 0x0A or view[index - 2 : index] == b"\n\r"
        strength = _candidate(line, blank_before)
        if not strength:
            continue
        if strength == 3:
            found.append((start, end))
            continue
        after = view.find(b"\n", end)
        if after < 0 and not complete:
            return found, start
        following = view[end : after if after >= 0 else len(view)]
        if _HEADER_START.match(following):
            found.append((start, end))
        elif strength == 2:
            stats.kept(base + start - TAIL)


def _split(handle: BinaryIO, stats: MboxStats) -> Iterator[RawMessage]:
    """The messages between separator lines, as written (``>From`` quoting kept)."""
    number = 0
    offset = 0  # file offset of view[TAIL]
    mmdf: bool | None = None
    tail = b"\n" * TAIL  # the start of the file counts as "after a blank line"
    pending = b""  # a From line held back until the line after it is read
    current = _Collector(0, b"")
    blocks = _blocks(handle)
    while True:
        block = next(blocks, None)
        final = block is None
        data = pending + block if block is not None else pending
        if mmdf is None:
            if data.startswith(BOM):  # a BOM before the first line (Windows tools)
                data = data[len(BOM) :]
                offset = current.offset = len(BOM)
            mmdf = data.lstrip(b"\r\n").startswith(MMDF_MARK)
        view = tail + data
        found, stop = _separators(view, mmdf, final, stats, offset)
        last = TAIL
        for start, end in found:
            current.add(view[last:start])
            finished = current.finish(number + 1)
            if finished is not None:
                number += 1
                yield finished
            separator = b"" if mmdf else view[start:end]
            current = _Collector(offset + start - TAIL, separator)
            last = end
        current.add(view[last:stop])
        pending = view[stop:]
        tail = view[stop - TAIL : stop]
        offset += stop - TAIL
        if final:
            break
    finished = current.finish(number + 1)
    if finished is not None:
        yield finished


def _content_length(data: bytes) -> tuple[int, int] | None:
    """``(body start, Content-Length)`` of a message whose headers give one."""
    end = len(data)
    for separator in (b"\n\n", b"\n\r\n"):
        found = data.find(separator, 0, HEADER_SCAN)
        if 0 <= found < end:
            end = found + len(separator)
    if end == len(data):
        return None
    match = _CONTENT_LENGTH.search(data, 0, end)
    return (end, int(match.group(1))) if match else None


def _joined(messages: Iterator[RawMessage], stats: MboxStats) -> Iterator[RawMessage]:
    """Messages whose ``Content-Length`` spans the ``From`` lines after them (mboxcl2
    leaves ``From`` lines in bodies unquoted), joined back into one.

    The length is trusted only when it ends exactly at a separator (or at the end of
    the file); a wrong one (Netscape wrote some) changes nothing. The look-ahead holds
    at most ``MAX_MESSAGE`` bytes.
    """
    ahead: list[RawMessage] = []
    number = 0
    while True:
        message = ahead.pop(0) if ahead else next(messages, None)
        if message is None:
            return
        counted = None if message.truncated else _content_length(message.data)
        if counted is not None:
            body_start, length = counted
            have = len(message.data) - body_start
            if 0 <= have - length <= 2:
                stats.explained(message)
            elif have < length <= MAX_MESSAGE:
                index = 0
                while have < length and index < MAX_JOINED:
                    if index == len(ahead):
                        following = next(messages, None)
                        if following is None:
                            break
                        ahead.append(following)
                    have += len(ahead[index].separator) + len(ahead[index].data)
                    index += 1
                    if ahead[index - 1].truncated:
                        break
                if 0 <= have - length <= 2 and not ahead[index - 1].truncated:
                    parts = [message.data]
                    for joined in ahead[:index]:
                        parts += [joined.separator, joined.data]
                    size = message.size + sum(len(j.separator) + j.size for j in ahead[:index])
                    message = RawMessage(
                        0,
                        message.offset,
                        b"".join(parts),
                        message.envelope,
                        size,
                        message.separator,
                    )
                    stats.joined += index
                    stats.explained(message)
                    del ahead[:index]
        number += 1
        message.number = number
        yield message


def split_mbox(handle: BinaryIO, stats: MboxStats | None = None) -> Iterator[RawMessage]:
    """Yield every message of the mailbox open in ``handle`` (binary), in order.

    ``stats`` (when given) collects what a caller should report: ``From`` lines that
    look like separators but were kept as message text.
    """
    stats = stats if stats is not None else MboxStats()
    for message in _joined(_split(handle, stats), stats):
        if b">From " in message.data:
            message.data = _QUOTED_FROM.sub(rb"\1", message.data)
        yield message
