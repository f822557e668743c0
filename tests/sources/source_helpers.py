"""Checks every source test makes, written once.

Each parser test splits what a source yields into ``Item``s and ``Skip``s, and each
parser is property-tested on arbitrary input with the same contract (see
:mod:`lifelog.sources.base`): every record is an ``Item`` or a ``Skip``, and the only
exception that may escape is a ``SourceError`` that names the file. Keeping the
contract here means a change to it is made in one place, not in twenty test files.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.base import Parsed, Source


def records_of(source: Source, path: Path) -> list[Parsed]:
    """Every record ``source`` yields for ``path``, each checked to be an Item or a Skip."""
    found: list[Parsed] = []
    for record in source.parse(path):
        assert isinstance(record, Item | Skip), record
        found.append(record)
    return found


def split_records(source: Source, path: Path) -> tuple[list[Item], list[Skip]]:
    """The Items and the Skips ``source`` yields for ``path``, each in file order."""
    items: list[Item] = []
    skips: list[Skip] = []
    for record in records_of(source, path):
        if isinstance(record, Item):
            items.append(record)
        else:
            skips.append(record)
    return items, skips


def assert_parses_or_names_file(
    source: Source, path: Path, naming: str | None = None
) -> list[Parsed]:
    """Parse ``path`` as arbitrary input must parse: Items and Skips, or a SourceError
    whose message contains ``naming`` (the file's name unless given).

    Returns the records yielded before any error, so a test can check more of them.
    """
    found: list[Parsed] = []
    try:
        for record in source.parse(path):
            assert isinstance(record, Item | Skip), record
            found.append(record)
    except SourceError as error:
        expected = path.name if naming is None else naming
        assert expected in str(error), f"{error!s} does not name {expected}"
    return found


def parse_bytes_or_names_file(source: Source, name: str, data: bytes) -> list[Parsed]:
    """``assert_parses_or_names_file`` on ``data`` written to a fresh file called ``name``.

    For hypothesis tests, whose examples cannot share pytest's per-test ``tmp_path``.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return assert_parses_or_names_file(source, path)


def corrupt_zip_member(path: Path) -> None:
    """Overwrite 16 bytes in the middle of the first member's compressed data.

    The zip's directory stays intact, so opening works and reading the member fails
    (bad deflate data or a bad CRC), as with a download cut and patched by a tool.
    """
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
