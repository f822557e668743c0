"""A streaming JSON reader and the small helpers the message sources share.

:class:`JsonStream` walks a JSON document held in a file without building it:
a source asks for the keys of an object or the elements of an array and decodes
only the values it wants (one message at a time), so memory holds one read
buffer and one value, never the export. Values it leaves are passed over by a
scanner that streams strings and containers. A value that cannot be decoded
(larger than the limit, nested too deeply, a number too long) raises
:class:`ValueSkipped` after it has been passed over, so the caller reports it and
goes on; malformed or truncated JSON raises :class:`JsonStreamError` with the
line and column, and nothing after it can be read.

The helpers turn epoch and ISO 8601 times into aware UTC, cut over-long texts,
open text files with a clear ``SourceError`` and build ``file://`` URIs without
resolving the same path for every record.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from ..errors import SourceError
from ..records import Item, Skip
from .base import (
    JSON_ELEMENT_COST,
    JSON_WINDOW_CHARS,
    MAX_ITEM_TEXT,
    MAX_JSON_DEPTH,
    MAX_JSON_STRING,
    MAX_RECORD_CHARS,
    Parsed,
    file_uri,
    to_utc,
)

__all__ = [
    "MAX_TEXT",
    "JsonStream",
    "JsonStreamError",
    "ValueSkipped",
    "cap_text",
    "each_message",
    "epoch_time",
    "iso_time",
    "json_lines",
    "open_text",
    "record_uri",
    "truncation_note",
]

#: longest message text kept; the rest is cut and ``metadata["truncated"]`` set
MAX_TEXT = MAX_ITEM_TEXT
#: characters read from a stream at a time
READ_CHARS = 1 << 18
#: one JSON value (one message) costing more than this is skipped (see ``JsonStream.value``)
MAX_VALUE_CHARS = MAX_RECORD_CHARS
#: latest moment accepted as a real date (year 3000)
_LATEST = 32503680000.0

_STRUCT = re.compile(r'["{}\[\]]')
_STRING_END = re.compile(r'["\\]')
_SPACE = re.compile(r"[ \t\r\n]*")
_NUMBER_TAIL = re.compile(r"[0-9eE+\-.]*")
_SCALAR = re.compile(r'[^\s,\]\}\[\{":]*')
#: the body of a JSON string up to its end, a bad escape or an escape cut by a read
_BODY = re.compile(r'(?:[^"\\]++|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*+')
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")


# -- shared helpers ----------------------------------------------------------------


def open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text (a BOM dropped, bad bytes replaced) or raise SourceError."""
    try:
        if path.is_dir():
            raise IsADirectoryError(f"is a directory: {path}")
        return path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as error:
        raise SourceError(f"{path}: cannot read: {error}") from error


@lru_cache(maxsize=64)
def _base_uri(path: Path) -> str:
    return file_uri(path)


def record_uri(path: Path, locator: str) -> str:
    """``file_uri(path, locator)``, resolving each path once (it is called for every record)."""
    return _base_uri(path) + "#" + quote(locator, safe="@:=+-_.~ ")


def epoch_time(value: Any, scale: float = 1.0) -> datetime | None:
    """Seconds (times ``scale``) since 1970 as aware UTC, or None when not a real date."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / scale
    if not math.isfinite(seconds) or not 0 < seconds < _LATEST:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 string as aware UTC (naive taken as UTC wall time), or None."""
    if not isinstance(value, str) or not 8 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if not 1900 <= moment.year < 3000:
        return None
    return to_utc(moment)


def truncation_note(file: str, position: str) -> Skip:
    """The Skip that says a record's text was cut (its item is kept, marked truncated)."""
    return Skip(
        file,
        position,
        f"text cut to its first {MAX_TEXT:,} characters, the limit;"
        ' the item is kept with metadata "truncated"',
    )


def cap_text(text: str, metadata: dict[str, Any]) -> str:
    """``text`` cut to ``MAX_TEXT`` characters, noting the cut in ``metadata``."""
    if len(text) > MAX_TEXT:
        metadata["truncated"] = True
        return text[:MAX_TEXT]
    return text


# -- streaming JSON ----------------------------------------------------------------


class JsonStreamError(ValueError):
    """The JSON is malformed or truncated at ``position``; nothing after it can be read."""

    def __init__(self, position: str, message: str) -> None:
        super().__init__(f"{message} at {position}")
        self.position = position
        self.message = message

    def skip(self, name: str) -> Skip:
        """What ``name`` says for it: the records before it are kept, the rest unread."""
        return Skip(name, self.position, f"{self.message}; the rest is not read")


class ValueSkipped(ValueError):
    """One value could not be decoded (too large, too deep ...); it was passed over."""

    def __init__(self, position: str, reason: str) -> None:
        super().__init__(f"value at {position} not read: {reason}")
        self.position = position
        self.reason = reason


class _Budget:
    """What is left of one record's ``max_value`` (see :meth:`JsonStream.value`)."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit


class _Refused(Exception):
    """Raised deep inside a value being built: the whole record is passed over."""

    def __init__(self, reason: str, where: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where
        #: the value refused was read to its end already (so nothing is left to skip)
        self.consumed = False


class JsonStream:
    """A pull parser over a text stream: walks objects and arrays without building them.

    ``members()`` yields the keys of an object and ``items()`` the indices of an
    array; after each, the caller reads the value (``value()``, ``members()``,
    ``items()``) or leaves it, in which case it is skipped without being
    decoded. Memory holds the value being decoded and one read buffer, both
    bounded whatever the input: a value over ``JSON_WINDOW_CHARS`` is built piece
    by piece with its strings cut at ``MAX_JSON_STRING`` characters, and one that
    would still cost more than ``max_value`` is passed over (``ValueSkipped``).
    """

    def __init__(
        self, stream: IO[str], max_value: int = MAX_VALUE_CHARS, read_chars: int | None = None
    ) -> None:
        self._stream = stream
        self._buf = ""
        self._at = 0
        self._eof = False
        self._dropped = 0  # characters dropped from the front of the buffer
        self._lines = 0  # newlines in them
        self._line_start = 0  # where the line of the first kept character starts
        self._width = 1  # bytes per character of the buffer, as Python holds it
        self._read_chars = read_chars
        self.max_value = max_value
        # while a value is decoded: its budget, the containers open, where it started
        self._budget: _Budget | None = None
        self._depth = 0
        self._where = ""

    # buffer ---------------------------------------------------------------------

    def _more(self, want: int = 0) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(max(self._read_chars or READ_CHARS, want))
        if not chunk:
            self._eof = True
            return False
        if self._at:  # drop what was consumed, keeping positions right
            newlines = self._buf.count("\n", 0, self._at)
            if newlines:
                self._lines += newlines
                self._line_start = self._dropped + self._buf.rfind("\n", 0, self._at) + 1
            self._dropped += self._at
            self._buf = self._buf[self._at :] + chunk
            self._at = 0
        else:
            self._buf += chunk
        self._width = 1 if self._buf.isascii() else _width(self._buf)
        return True

    def position(self) -> str:
        """Where the reader stands, for messages: ``line L column C (char N)``."""
        line = self._lines + self._buf.count("\n", 0, self._at) + 1
        newline = self._buf.rfind("\n", 0, self._at)
        start = self._dropped + newline + 1 if newline >= 0 else self._line_start
        absolute = self._dropped + self._at
        return f"line {line} column {absolute - start + 1} (char {absolute})"

    def _error(self, message: str) -> JsonStreamError:
        return JsonStreamError(self.position(), message)

    def _offset(self) -> int:
        return self._dropped + self._at

    # tokens ---------------------------------------------------------------------

    def peek(self) -> str:
        """The next significant character, or ``""`` at the end of the stream."""
        while True:
            match = _SPACE.match(self._buf, self._at)
            self._at = match.end() if match else self._at
            if self._at < len(self._buf):
                return self._buf[self._at]
            if not self._more():
                return ""

    def _take(self, expected: str) -> None:
        if self.peek() != expected:
            found = self.peek()
            raise self._error(
                f"expected {expected!r}, found {found!r}" if found else "unexpected end of file"
            )
        self._at += 1

    def budget(self) -> _Budget:
        """A budget of ``max_value`` to share between several ``value()`` calls that
        make up one record (the members of an object walked with ``members()``)."""
        return _Budget(self.max_value)

    def value(self, budget: _Budget | None = None) -> Any:
        """Decode the next value; ``ValueSkipped`` (and the value passed over) when it cannot be.

        A string longer than ``MAX_JSON_STRING`` characters is cut to that length
        (the source then sees its text is too long and marks the item truncated). A
        value is passed over when it would cost more than ``max_value`` (characters
        of JSON once long strings are cut, plus ``JSON_ELEMENT_COST`` for each
        object, array and element), is nested too deeply, or holds a number too
        long to convert. ``budget`` shares one ``max_value`` between several values.
        """
        if not self.peek():
            raise self._error("unexpected end of file (truncated?)")
        outer = (self._budget, self._depth, self._where)
        self._budget = budget or _Budget(self.max_value)
        self._depth = 0
        self._where = ""
        try:
            return self._decode()
        except _Refused as refused:
            where = refused.where or self._where or self.position()
            if self._depth or not refused.consumed:
                self.skip(self._depth)  # the rest of the value, from where it was refused
            raise ValueSkipped(where, refused.reason) from None
        finally:
            self._budget, self._depth, self._where = outer

    def _spend(self, cost: int) -> None:
        budget = self._budget
        if budget is not None:
            budget.left -= cost
            if budget.left < 0:
                raise _Refused(f"larger than {budget.limit:,} characters")

    def _decode(self) -> Any:
        """The next value: at once when it fits ``JSON_WINDOW_CHARS``, else piece by piece."""
        while True:
            start = self._at
            try:
                value, end = _DECODER.raw_decode(self._buf, start)
                if not self._eof and _NUMBER_TAIL.fullmatch(self._buf, end):
                    raise _MayGoOn  # the value reaches the end of what was read: "1" of "1e5"
            except (json.JSONDecodeError, _MayGoOn) as error:
                cut = isinstance(error, _MayGoOn) or (
                    error.pos >= len(self._buf) - 8 or error.msg.startswith("Unterminated string")
                )
                if cut and not self._eof:
                    pending = len(self._buf) - start
                    if pending >= JSON_WINDOW_CHARS:
                        return self._build()
                    self._more(pending)
                    continue
                if isinstance(error, _MayGoOn):
                    continue  # at the end of the file: decoded again, now final
                self._at = min(error.pos, len(self._buf))
                raise self._error(f"invalid JSON: {error.msg}") from None
            except RecursionError:
                raise _Refused("nested too deeply", self._here()) from None
            except ValueError as error:  # e.g. an integer with more digits than Python allows
                raise _Refused(str(error), self._here()) from None
            buf = self._buf
            cost = (end - start) * self._width
            if end - start > 2:
                cost += JSON_ELEMENT_COST * (
                    buf.count("{", start, end)
                    + buf.count("[", start, end)
                    + buf.count(",", start, end)
                )
            try:
                self._spend(cost)
            except _Refused as refused:
                refused.where = self._here()
                refused.consumed = True
                self._at = end
                raise
            self._at = end
            return value

    def _here(self) -> str | None:
        """Where a refused value started: the record's start when inside one being built."""
        return None if self._depth else self.position()

    def _build(self) -> Any:
        """The value that starts here and is larger than the window, built piece by piece."""
        if not self._depth:
            self._where = self.position()
        first = self.peek()
        if first == '"':
            text = self._string(MAX_JSON_STRING)
            self._spend(sys.getsizeof(text))
            return text
        if first not in "{[":
            raise _Refused(f"a value of more than {JSON_WINDOW_CHARS} characters")
        if self._depth >= MAX_JSON_DEPTH:
            raise _Refused("nested too deeply")
        self._depth += 1
        built: Any
        if first == "{":
            built = {}
            for key in self.members():
                built[key] = self._decode()
                self._spend(JSON_ELEMENT_COST)
        else:
            built = []
            for _ in self.items():
                built.append(self._decode())
                self._spend(JSON_ELEMENT_COST)
        self._depth -= 1
        return built

    def _string(self, limit: int) -> str:
        """The string that starts here, streamed: its first ``limit`` characters kept."""
        self._take('"')
        pieces: list[str] = []
        kept = 0
        while True:
            buf = self._buf
            at = self._at
            match = _BODY.match(buf, at)
            end = match.end() if match else at
            if len(buf) - end < 6 and not self._eof and _ends_in_high_surrogate(buf, at, end):
                end -= 6  # the pair may be cut by the read: decode both halves together
            if kept < limit and end > at:
                piece = _DECODER.decode('"' + buf[at:end] + '"')
                piece = piece[: limit - kept]
                pieces.append(piece)
                kept += len(piece)
            self._at = end
            if end < len(buf):
                char = buf[end]
                if char == '"':
                    self._at += 1
                    return "".join(pieces)
                if char == "\\" and len(buf) - end < 12 and not self._eof:
                    self._more()  # an escape cut by the read (or a pair held back)
                    continue
                if char == "\\" and len(buf) - end < 6:
                    raise self._error("unexpected end of file (truncated?)")
                if char == "\\":
                    raise self._error("invalid JSON: Invalid \\escape")
            if not self._more():
                raise self._error("unexpected end of file (truncated?)")

    def skip(self, depth: int = 0) -> None:
        """Pass over the next value without decoding it (strings and containers streamed).

        With ``depth``, the reader stands inside that many open containers: it passes
        over the rest of them, to just after the outermost one's end.
        """
        first = self.peek()
        if not first:
            raise self._error("unexpected end of file (truncated?)")
        if first not in '{["' and not depth:
            start = self._offset()
            while True:  # a number or a literal: up to the next delimiter
                match = _SCALAR.match(self._buf, self._at)
                self._at = match.end() if match else self._at
                if self._at < len(self._buf) or not self._more():
                    break
            if self._offset() == start:
                raise self._error(f"unexpected character {first!r}")
            return
        in_string = False
        at = self._at
        while True:
            buf = self._buf
            if at >= len(buf):
                self._at = at
                if not self._more():
                    raise self._error("unexpected end of file (truncated?)")
                at = self._at
                continue
            if in_string:
                match = _STRING_END.search(buf, at)
                if match is None:
                    at = len(buf)
                elif match.group() == "\\":
                    if match.end() >= len(buf):  # the escaped character is not read yet
                        self._at = match.start()
                        if not self._more():
                            raise self._error("unexpected end of file (truncated?)")
                        at = self._at
                    else:
                        at = match.end() + 1
                else:
                    in_string = False
                    at = match.end()
                    if depth == 0:
                        self._at = at
                        return
                continue
            match = _STRUCT.search(buf, at)
            if match is None:
                at = len(buf)
                continue
            char = match.group()
            at = match.end()
            if char == '"':
                in_string = True
            elif char in "{[":
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    self._at = at
                    return

    def members(self) -> Iterator[str]:
        """The keys of the object that comes next; read or leave each value."""
        self._take("{")
        if self.peek() == "}":
            self._at += 1
            return
        while True:
            if self.peek() != '"':
                raise self._error("expected a key")
            key = self._decode() if self._budget is not None else self.value()
            self._take(":")
            if not self.peek():
                raise self._error("unexpected end of file (truncated?)")
            mark = self._offset()
            yield key
            if self._offset() == mark:
                self.skip()
            following = self.peek()
            if following == ",":
                self._at += 1
            elif following == "}":
                self._at += 1
                return
            else:
                raise self._error(
                    "expected ',' or '}'" if following else "unexpected end of file (truncated?)"
                )

    def items(self) -> Iterator[int]:
        """The indices of the array that comes next; read or leave each element."""
        self._take("[")
        if self.peek() == "]":
            self._at += 1
            return
        index = 0
        while True:
            if not self.peek():
                raise self._error("unexpected end of file (truncated?)")
            mark = self._offset()
            yield index
            if self._offset() == mark:
                self.skip()
            index += 1
            following = self.peek()
            if following == ",":
                self._at += 1
            elif following == "]":
                self._at += 1
                return
            else:
                raise self._error(
                    "expected ',' or ']'" if following else "unexpected end of file (truncated?)"
                )


def _width(text: str) -> int:
    """Bytes per character of ``text`` as Python holds it (1, 2 or 4)."""
    return max(1, round((sys.getsizeof(text) - sys.getsizeof("")) / max(1, len(text))))


def _ends_in_high_surrogate(buf: str, start: int, end: int) -> bool:
    """Whether ``buf[start:end]`` (a string's body) ends in the escape of a high surrogate."""
    if end - start < 6 or not _HIGH_SURROGATE.fullmatch(buf, end - 6, end):
        return False
    backslashes = 0  # the backslash starts an escape only after an even number of them
    at = end - 7
    while at >= start and buf[at] == "\\":
        backslashes += 1
        at -= 1
    return backslashes % 2 == 0


_DECODER = json.JSONDecoder(strict=False)  # control characters inside strings are kept


class _MayGoOn(Exception):
    """A value ends exactly at the end of the buffer: read more before trusting it."""


# -- lists of records ----------------------------------------------------------------

#: what converting one decoded record may raise when its shape is not the expected one
MALFORMED = (ValueError, TypeError, AttributeError, KeyError)


def each_message(
    path: Path,
    reader: JsonStream,
    where: Callable[[int], str],
    convert: Callable[[Any, str], Parsed],
) -> Iterator[Parsed]:
    """``convert(raw, place)`` for each element of the list ``reader`` is at.

    One element too large to decode, or shaped so that ``convert`` trips on it, is a
    Skip at its place (``where(index)``) and the rest of the list is still read: the
    chat exports (Discord, Telegram, Messenger) all treat one bad message this way.
    A message whose text was cut is followed by a Skip that says so (the item is kept).
    """
    for index in reader.items():
        place = where(index)
        try:
            raw = reader.value()
        except ValueSkipped as error:
            yield Skip(str(path), place, str(error))
            continue
        try:
            record = convert(raw, place)
        except MALFORMED as error:
            record = Skip(str(path), place, f"malformed message: {error}")
        yield record
        if isinstance(record, Item) and record.metadata.get("truncated"):
            yield truncation_note(str(path), place)


def json_lines(
    path: Path, limit: int, noun: str = "record"
) -> Iterator[tuple[int, dict[str, Any]] | Skip]:
    """Each object of the JSON Lines file at ``path`` (Claude Code sessions, signal-export's
    ``data.json``) with its line number, or a :class:`Skip` for a line that gives none:
    longer than ``limit`` (passed over in pieces, never held), not JSON, not an object
    (``noun`` names a line in the reasons: "message longer than …"). Blank lines are
    passed over; a read error ends the file with a Skip."""
    file = str(path)
    number = 0
    with open_text(path) as handle:
        while True:
            try:
                raw = handle.readline(limit + 1)
            except (OSError, ValueError) as error:
                yield Skip(file, f"line {number + 1}", f"read error: {error}")
                return
            if not raw:
                return
            number += 1
            if len(raw) > limit and not raw.endswith("\n"):
                while (more := handle.readline(limit)) and not more.endswith("\n"):
                    pass
                yield Skip(file, f"line {number}", f"{noun} longer than {limit:,} characters")
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError) as error:
                yield Skip(file, f"line {number}", f"not a JSON {noun}: {error}"[:300])
                continue
            if not isinstance(record, dict):
                yield Skip(file, f"line {number}", "not a JSON object")
                continue
            yield number, record
