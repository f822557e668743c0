"""The source interface: one export format in, ``Item``s (or ``Skip``s) out.

A source never writes to the store and never raises on one bad record: it yields
a :class:`~lifelog.records.Skip` naming the file, the position and the reason,
and goes on. Only a file that cannot be opened at all raises ``SourceError``
(the pipeline then reports it and goes on with the next file).

Third-party sources register under the ``lifelog.sources`` entry-point group,
exactly as the built-in ones do (see ``pyproject.toml``).

A source that can read its format from a stream sets ``supports_stream`` and
implements ``parse_stream``: it then also reads that format inside a zip or tar
archive, member by member, without the member ever being extracted to disk
(see :mod:`lifelog.sources.archive`). A source made of independent parts (an
archive's members) overrides ``parse_resuming`` and yields a :class:`PartDone`
after each part, so an interrupted import goes on where it stopped.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, ClassVar
from urllib.parse import quote

from ..errors import SourceError
from ..records import Item, Skip

__all__ = [
    "JSON_ELEMENT_COST",
    "JSON_WINDOW_CHARS",
    "MAX_ITEM_TEXT",
    "MAX_JSON_DEPTH",
    "MAX_JSON_STRING",
    "MAX_RECORD_CHARS",
    "Origin",
    "PartDone",
    "Parsed",
    "Source",
    "clean_text",
    "file_uri",
    "left_out_skip",
    "open_binary",
    "read_head",
    "to_utc",
]

Parsed = Item | Skip

HEAD_BYTES = 8192

# -- limits: what one record may cost, whatever the input ----------------------------
#
# Every reader keeps memory bounded, whatever it is given (a crafted export holding
# one message of a gigabyte, a single JSON object of several): long texts are cut,
# records too large even then are refused with a Skip naming the file and the record,
# and the rest of the import goes on. The limits live here so that every reader
# honours the same ones (docs/sources.md lists them).

#: longest text one item keeps; the rest is cut and ``metadata["truncated"]`` set
MAX_ITEM_TEXT = 5_000_000
#: longest JSON string decoded: one character more than ``MAX_ITEM_TEXT``, so that a
#: cut string is still seen as too long (and its item marked truncated) by the source
MAX_JSON_STRING = MAX_ITEM_TEXT + 1
#: the most one decoded record (a conversation, a message) may hold once its long
#: strings are cut, in characters of JSON, each object, array and element counted as
#: ``JSON_ELEMENT_COST`` more (about the bytes it takes in memory); larger is refused
MAX_RECORD_CHARS = 128 * 1024 * 1024
#: what one object, array or element costs towards ``MAX_RECORD_CHARS``
JSON_ELEMENT_COST = 48
#: a JSON value up to this many characters is decoded at once; a larger one is built
#: piece by piece, its strings streamed and cut, so memory never holds it whole
JSON_WINDOW_CHARS = 1024 * 1024
#: JSON nested deeper than this in a record is refused (the decoder would recurse)
MAX_JSON_DEPTH = 200


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a stream's records come from when they have no file of their own.

    ``label`` names it in ``Skip``s and is path-like (``/abs/takeout.zip/Takeout/
    Mail/All mail.mbox``: the archive, then the member); ``uri`` is what items point
    at (:func:`file_uri` appends ``#locator``). Sources written against ``Path``
    accept an ``Origin`` where they only need ``str(path)``, ``path.name`` and
    ``file_uri(path, locator)``.
    """

    label: str
    uri: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.label).name

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, slots=True)
class PartDone:
    """Yielded by ``parse_resuming`` once every record of one part has been yielded.

    Ingest records the part (``files`` row ``<path>/<part>``) with its ``size`` and
    ``mtime``, so a later run passes over it; ``source`` is the source that read it.
    """

    part: str
    size: int
    mtime: float
    source: str


class Source(ABC):
    """One export format.

    ``name`` is the short name shown to users and stored on every item
    (``mbox``, ``whatsapp`` ...). ``extensions`` are lower-case suffixes that
    hint at the format; ``sniff`` has the final word.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    #: True when the source reads a whole directory (a Maildir, a Slack export).
    directory: ClassVar[bool] = False

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether ``path`` (whose first bytes are ``head``) is in this format."""
        return path.suffix.lower() in self.extensions

    @abstractmethod
    def parse(self, path: Path) -> Iterator[Parsed]:
        """Yield every record of ``path`` as an ``Item``, or a ``Skip``."""

    # -- streams (archive members) -----------------------------------------------

    #: True when ``parse_stream`` is implemented: the format is then read in archives
    supports_stream: ClassVar[bool] = False

    def sniff_stream(self, name: str, head: bytes) -> bool:
        """Whether a stream labelled ``name`` (path-like, see :class:`Origin`) whose first
        bytes are ``head`` is in this format. By default: its suffix."""
        return PurePosixPath(name).suffix.lower() in self.extensions

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        """Yield the records read from ``stream`` (binary, not seekable).

        ``name`` labels the ``Skip``s and is path-like (``/abs/archive.zip/dir/file``);
        items point at ``origin_uri`` plus ``#locator``. Keys must not depend on
        either, so that the same record keeps its id whatever archive it came in.
        """
        raise NotImplementedError(f"source {self.name!r} cannot read a stream")
        yield  # pragma: no cover - makes this a generator like the overrides

    def parse_resuming(
        self, path: Path, done: Mapping[str, tuple[int, float]]
    ) -> Iterator[Parsed | PartDone]:
        """``parse``, passing over the parts listed in ``done`` (part -> size, mtime).

        Only sources made of independent parts (archives) override this; the rest
        parse the whole file again, and ingest recognises what is stored already.
        """
        yield from self.parse(path)


#: the position of a ``Skip`` that counts records a reader leaves out on purpose
LEFT_OUT = "left out"


def left_out_skip(file: str, what: str, counts: list[tuple[int, str]]) -> Skip:
    """The one ``Skip`` that reports the records a reader leaves out of ``file`` on
    purpose (``counts``: ``(3, "journal entries")`` ...), so that the run's report
    says so: ``3 journal entries left out``. Its position is ``left out (<what>)``;
    the ingest report counts it with the skipped records, and lists its reason.
    """
    shown = ", ".join(f"{count:,} {words}" for count, words in counts if count)
    return Skip(file, f"{LEFT_OUT} ({what})", f"{shown} left out")


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def open_binary(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes; a file that cannot be opened is a ``SourceError``."""
    try:
        return path.open("rb")
    except OSError as error:
        raise SourceError(f"{path}: cannot read: {error}") from error


def file_uri(path: Path | Origin, locator: str | None = None) -> str:
    """``file:///abs/path#locator`` pointing at the original record."""
    uri = path.uri if isinstance(path, Origin) else path.resolve().as_uri()
    if locator:
        uri += "#" + quote(locator, safe="@:=+-_.~ ")
    return uri


def to_utc(moment: datetime | None) -> datetime | None:
    """Normalise to aware UTC; naive datetimes are taken as local wall time in UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop NULs and control characters; normalise newlines. Keeps everything else verbatim."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)
