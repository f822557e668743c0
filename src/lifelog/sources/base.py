"""The source interface: one export format in, ``Item``s (or ``Skip``s) out.

A source never writes to the store and never raises on one bad record: it yields
a :class:`~lifelog.records.Skip` naming the file, the position and the reason,
and goes on. Only a file that cannot be opened at all raises ``SourceError``
(the pipeline then reports it and goes on with the next file).

Third-party sources register under the ``lifelog.sources`` entry-point group,
exactly as the built-in ones do (see ``pyproject.toml``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from ..records import Item, Skip

__all__ = ["Parsed", "Source", "clean_text", "file_uri", "read_head", "to_utc"]

Parsed = Item | Skip

HEAD_BYTES = 8192


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


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def file_uri(path: Path, locator: str | None = None) -> str:
    """``file:///abs/path#locator`` pointing at the original record."""
    uri = path.resolve().as_uri()
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
