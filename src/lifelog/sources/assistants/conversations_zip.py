"""``conversations.json`` inside an AI assistant's export zip (ChatGPT, Claude).

Both services ship the same shape: a zip with ``conversations.json`` at the top or one
folder down. Finding that member, refusing it when it is too big or a bomb, and turning
a damaged member into one ``SourceError`` is written once here, so the two sources
cannot drift apart on what they accept.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from ...archive import ZIP_ERRORS, check_zip_member, is_whole_export, open_zip
from ...errors import SourceError
from ...records import Skip
from ..base import Parsed

__all__ = ["conversations_member", "parse_zipped_conversations"]

NAME = "conversations.json"


def conversations_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The archive's ``conversations.json``, at the top or one folder down, or None.

    A name through ``..`` is never taken: it is not where either service puts the file.
    One folder down, the zip must be that folder alone (an export folder someone zipped):
    a larger archive holding the export's folder beside other things is read member by
    member (the export's ``conversations.json`` as one of them).
    """
    for info in archive.infolist():
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.name == NAME and len(name.parts) <= 2 and ".." not in name.parts:
            root = f"{name.parts[0]}/" if len(name.parts) == 2 else ""
            return info if is_whole_export(archive.namelist(), root) else None
    return None


def parse_zipped_conversations(
    path: Path, limit: int, records: Callable[[IO[str], str], Iterator[Parsed]]
) -> Iterator[Parsed]:
    """``records(stream, name)`` over the zip's ``conversations.json``, read in place.

    A missing or refused member (over ``limit`` bytes, encrypted, a bomb) is one Skip;
    a member that cannot be read (bad CRC, cut deflate data) raises ``SourceError``
    naming the zip and the member, as an unreadable file does.
    """
    with open_zip(path) as archive:
        info = conversations_member(archive)
        if info is None:
            yield Skip(str(path), "file", f"no {NAME} inside the zip")
            return
        refused = check_zip_member(info, limit)
        if refused:
            yield Skip(str(path), info.filename, refused)
            return
        try:
            with archive.open(info) as member:
                stream = io.TextIOWrapper(member, encoding="utf-8-sig", errors="replace")
                yield from records(stream, f"{path}!{info.filename}")
        except ZIP_ERRORS as error:
            raise SourceError(f"{path}: damaged zip member {info.filename}: {error}") from error
