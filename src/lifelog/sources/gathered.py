"""Folder exports inside a larger archive, gathered as they stream by and read as one.

A Slack workspace export is a folder whose files depend on one another: ``users.json``
names the authors of every channel's day files. Zipped alone it is read by its own
reader; inside a larger archive (a backup zip holding the export's folder beside other
things, or any tar) its members come out one by one, and no reader knows a day file on
its own. So each member that would belong to such a folder, by its place
(:func:`lifelog.sources.chat.slack.export_folder`), is copied as it streams by into an
in-memory zip for that folder (``memfd_create``; nothing lands on disk). Once the archive
has been read, each gathered zip is read through a link named like the folder (see
:mod:`.held`) by the source that recognises it: the whole export as one, its names
resolved. A folder that turns out not to be an export (no ``users.json`` or
``channels.json``) has its members counted with the archive's unknown ones.

Bounds: what one archive's folders hold together is at most ``MAX_HELD_BYTES``
(``LIFELOG_ARCHIVE_MAX_HELD``); a member past that is not gathered but reported, so the
rest of its export is still read. A member's bytes are copied with the archive's own
caps (each read counted towards its expansion).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..archive import Member
from .chat.slack import export_folder
from .held import MAX_HELD_BYTES, linked_fd, new_memfd

__all__ = ["Folder", "Gathering"]

_COPY_BUFFER = 1 << 20


@dataclass(slots=True)
class Folder:
    """One folder's members, copied into an in-memory zip."""

    root: str  # "" or "a/b/"
    fd: int
    file: BinaryIO
    writer: zipfile.ZipFile
    members: list[Member] = field(default_factory=list)

    def name(self, archive: str) -> str:
        """The name the gathered zip is read under: the folder's, else the archive's."""
        base = PurePosixPath(self.root).name if self.root else PurePosixPath(archive).name
        return f"{base or 'export'}.zip"

    @contextmanager
    def link(self, archive: str) -> Iterator[Path]:
        """The finished zip as a file named like the folder (see :func:`.held.linked_fd`)."""
        self.writer.close()
        self.file.flush()
        with linked_fd(self.name(archive), self.fd) as link:
            yield link


class Gathering:
    """The folder exports of one archive being gathered (see the module docstring)."""

    def __init__(self) -> None:
        self.folders: dict[str, Folder] = {}
        self.size = 0

    @staticmethod
    def folder_of(name: str) -> str | None:
        """The folder a member would belong to, as part of a folder export, or None."""
        return export_folder(name)

    def add(self, root: str, member: Member, stream: BinaryIO) -> None:
        """Copy ``member`` into its folder's zip; ``ValueError`` when it would take the
        archive's folders past ``MAX_HELD_BYTES`` (nothing of it is copied then)."""
        if self.size + member.size > MAX_HELD_BYTES:
            raise ValueError(self._over())
        folder = self.folders.get(root)
        if folder is None:
            fd = new_memfd(PurePosixPath(root or "export").name)
            handle = os.fdopen(fd, "w+b", closefd=False)
            writer = zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED)
            folder = self.folders[root] = Folder(root, fd, handle, writer)
        info = zipfile.ZipInfo(member.name[len(root) :], _date_time(member.mtime))
        # the stream stops at the member's declared size (the archive reader bounds it)
        with folder.writer.open(info, "w") as out:
            while chunk := stream.read(_COPY_BUFFER):
                self.size += len(chunk)
                out.write(chunk)
        folder.members.append(member)

    @staticmethod
    def _over() -> str:
        return (
            f"a folder export inside an archive holds more than {MAX_HELD_BYTES // 1024**2} MiB:"
            " this member is not read with it; extract the archive and import the folder"
        )

    def close(self) -> None:
        for folder in self.folders.values():
            try:
                folder.writer.close()
            except (OSError, ValueError):
                pass
            folder.file.close()
            os.close(folder.fd)
        self.folders.clear()


def _date_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    try:
        moment = datetime.fromtimestamp(mtime, UTC)
    except (OverflowError, OSError, ValueError):
        return (1980, 1, 1, 0, 0, 0)
    if moment.year < 1980 or moment.year > 2107:
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
