"""Streaming mbox reading: messages cut out of a mailbox file of any size.

The file is read in blocks of about 1 MB that end at a line end; separator lines
are found with ``bytes.find`` (no per-line Python loop), so splitting runs at
hundreds of MB/s and memory stays at one message plus one block.

- mboxo / mboxrd / mboxcl: a message starts at a line beginning with ``From ``
  at the start of the file or after a blank line, or at any ``From `` line that
  is a complete envelope line (``From sender Wed Aug 21 16:20:36 2013``), for
  writers that leave out the blank line. ``>From `` quoting is undone
  (one ``>`` removed, as mboxrd readers do). CRLF files are read as they are.
- MMDF: messages between ``\\x01\\x01\\x01\\x01`` lines.
- A message larger than ``MAX_MESSAGE`` keeps only its first ``MAX_MESSAGE``
  bytes (headers and text come first; attachments are cut) and is marked.
- A truncated last message is returned as far as it goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

__all__ = ["MAX_MESSAGE", "RawMessage", "envelope_date", "is_envelope", "split_mbox"]

#: bytes of one message kept at most (the rest is cut and counted)
MAX_MESSAGE = 20 * 1024 * 1024
BLOCK = 1 << 20
#: bytes of the previous block kept in front of the next one (separator context)
TAIL = 3
MMDF_MARK = b"\x01\x01\x01\x01"

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
#: a full envelope line: From sender  Wed Aug 21 16:20:36 2013 (Gmail: ... +0000 2013)
_ENVELOPE = re.compile(
    rb"From \S*\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,?\s+"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\s+\d{1,2}\s+\d{1,2}:\d{2}",
    re.I,
)
#: a loose envelope line, accepted after a blank line: a sender, then something with a digit
_LOOSE = re.compile(rb"From \S+\s.*\d")
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

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)

    @property
    def position(self) -> str:
        return f"message {self.number} (byte offset {self.offset})"


def is_envelope(line: bytes) -> bool:
    """Whether ``line`` is an mbox ``From`` envelope line that needs no blank line before."""
    return _ENVELOPE.match(line) is not None


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

    __slots__ = ("envelope", "offset", "pieces", "kept", "size")

    def __init__(self, offset: int, envelope: bytes | None) -> None:
        self.offset = offset
        self.envelope = envelope
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
        if b">From " in data:
            data = _QUOTED_FROM.sub(rb"\1", data)
        return RawMessage(number, self.offset, data, self.envelope, self.size)


def _blocks(handle: BinaryIO) -> Iterator[bytes]:
    """Blocks of about ``BLOCK`` bytes that end at a line end (or at a 1 MB line piece)."""
    while True:
        block = handle.read(BLOCK)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += handle.readline(BLOCK)
        yield block


def _separators(view: bytes, mmdf: bool) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each separator line in ``view``.

    ``view`` is the last ``TAIL`` bytes before this block followed by the block, so
    a line start is always preceded by a newline and its context inside ``view``.
    """
    needle = b"\n" + MMDF_MARK if mmdf else b"\nFrom "
    search = TAIL - 1
    while True:
        index = view.find(needle, search)
        if index < 0:
            return
        search = index + 1
        start = index + 1
        end = view.find(b"\n", start)
        end = len(view) if end < 0 else end + 1
        line = view[start:end].rstrip(b"\r\n")
        if mmdf:
            if line == MMDF_MARK:
                yield start, end
            continue
        blank_before = view[index - 1] == 0x0A or view[index - 2 : index] == b"\n\r"
        if (blank_before and _LOOSE.match(line)) or _ENVELOPE.match(line):
            yield start, end


def split_mbox(handle: BinaryIO) -> Iterator[RawMessage]:
    """Yield every message of the mailbox open in ``handle`` (binary), in order."""
    number = 0
    offset = 0  # file offset of the current block
    mmdf: bool | None = None
    tail = b"\n" * TAIL  # the start of the file counts as "after a blank line"
    current = _Collector(0, None)
    for block in _blocks(handle):
        if mmdf is None:
            mmdf = block.lstrip(b"\r\n").startswith(MMDF_MARK)
        view = tail + block
        last = TAIL
        for start, end in _separators(view, mmdf):
            current.add(view[last:start])
            finished = current.finish(number + 1)
            if finished is not None:
                number += 1
                yield finished
            envelope = None if mmdf else view[start:end].rstrip(b"\r\n")
            current = _Collector(offset + start - TAIL, envelope)
            last = end
        current.add(view[last:])
        tail = view[-TAIL:]
        offset += len(block)
    finished = current.finish(number + 1)
    if finished is not None:
        yield finished
