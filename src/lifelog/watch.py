"""Keeping a memory up to date: watched folders and export files imported again when
they change (``lifelog watch``, the web's settings page).

Polling, portable and without a dependency: every ``interval`` seconds each watched
path is scanned (the size and mtime of every file under it; hidden names, and the
``.part``/``.crdownload`` files of downloads still running, left out as ingest leaves
them out). A file that is new or changed waits until its size and mtime have stayed
the same for ``settle`` seconds (a download, a sync or an editor still writing it is
left alone); then the watched entry holding it is imported again with
:meth:`Memory.ingest`. The import journal passes over every file imported before and
unchanged, so only new and changed files are read; a changed file's records keep
their ids, so they are updated in place, never duplicated. A file deleted from a
watched folder is not forgotten: forgetting is always asked for (``lifelog forget``).

The journal is the watcher's only state. A watcher killed at any point, even by
SIGKILL, loses nothing: at its next start it imports every watched path once (the
journal skips what was finished; the file the kill interrupted is read again and its
stored records recognised), then watches.

Which entry is imported: a watched file, or a watched folder that is itself one
export (a Maildir, a Slack export), as a whole; in any other folder, the entry right
under it that holds the change (a new export in Downloads, a notes subfolder, one
Maildir of a mail folder).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import save_config
from .errors import NotFoundError, UserError
from .sources import detect

if TYPE_CHECKING:
    from .ingest import IngestReport
    from .memory import Memory

__all__ = ["SETTING", "Watcher", "save_watched", "watched"]

#: the key of ``memory.json``'s settings that lists the watched paths
SETTING = "watch"
#: files still being downloaded: left alone until renamed
PARTIAL = (".part", ".crdownload", ".download", ".partial", ".tmp")

Signature = tuple[int, int]  # size, mtime in ns


def watched(memory: Memory) -> list[str]:
    """The paths listed in the memory's settings, as saved."""
    found = memory.config.settings.get(SETTING) or []
    return [str(p) for p in found if isinstance(p, str)]


def save_watched(memory: Memory, paths: Iterable[str | Path]) -> list[str]:
    """Check and save the watched paths (absolute, each once); return them."""
    kept: list[str] = []
    for raw in paths:
        text = str(raw).strip()
        if not text:
            continue
        path = Path(text).expanduser()
        if not path.is_absolute():
            raise UserError(f"give a watched folder as a full path: {text}")
        if not path.exists():
            raise NotFoundError(f"no such file or folder to watch: {path}")
        if str(path.resolve()) not in kept:
            kept.append(str(path.resolve()))
    memory.config.settings[SETTING] = kept
    save_config(memory.home, memory.config)
    return kept


def _left_out(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(PARTIAL)


def scan(root: Path, skip: Path | None = None) -> dict[Path, Signature]:
    """Every file under ``root`` (or ``root`` itself) with its size and mtime; nothing
    under ``skip`` (the memory's own folder, which every import writes to)."""
    found: dict[Path, Signature] = {}
    try:
        if not root.is_dir():
            st = root.stat()
            return {root: (st.st_size, st.st_mtime_ns)}
    except OSError:
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not _left_out(d) and Path(dirpath, d) != skip]
        for name in filenames:
            if _left_out(name):
                continue
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except OSError:  # gone meanwhile, or a link to nothing
                continue
            found[path] = (st.st_size, st.st_mtime_ns)
    return found


@dataclass
class Watcher:
    """Watches ``paths`` for ``memory``; :meth:`run` until ``stop`` is set.

    ``on_import`` is told of every import (the entries imported, the report)."""

    memory: Memory
    paths: list[Path]
    interval: float = 1.0
    settle: float = 1.0
    on_import: Callable[[list[Path], IngestReport], object] | None = None
    #: a changed file: its last signature and since when it has kept it
    pending: dict[Path, tuple[Signature, float]] = field(default_factory=dict)
    _seen: dict[Path, Signature] = field(default_factory=dict)
    _whole: set[Path] = field(default_factory=set)

    def __post_init__(self) -> None:
        roots = []
        for raw in self.paths:
            path = Path(raw).expanduser()
            if not path.exists():
                raise NotFoundError(f"no such file or folder to watch: {path}")
            roots.append(path.resolve())
        if not roots:
            raise UserError("nothing to watch: give one or more folders or export files")
        self.paths = roots
        # a file, or a folder that is one export, is imported as a whole
        self._whole = {p for p in roots if not p.is_dir() or detect(p) is not None}

    def _scan(self) -> dict[Path, Signature]:
        found: dict[Path, Signature] = {}
        home = self.memory.home.resolve()
        for root in self.paths:
            found.update(scan(root, skip=home))
        return found

    def entries(self, changed: Iterable[Path]) -> list[Path]:
        """The entries to import again for the ``changed`` files (see the module)."""
        out: list[Path] = []
        for path in changed:
            for root in self.paths:
                if path != root and not path.is_relative_to(root):
                    continue
                entry = root if root in self._whole else root / path.relative_to(root).parts[0]
                if entry not in out:
                    out.append(entry)
                break
        return sorted(out)

    def _import(self, entries: list[Path]) -> IngestReport | None:
        entries = [e for e in entries if e.exists()]
        if not entries:
            return None
        report = self.memory.ingest(*entries)
        if self.on_import is not None:
            self.on_import(entries, report)
        return report

    def start(self) -> IngestReport | None:
        """Take the state of the watched paths and import them all once (the journal
        passes over what is imported already): what changed while nobody watched."""
        self._seen = self._scan()
        return self._import(list(self.paths))

    def poll(self, now: float | None = None) -> IngestReport | None:
        """Scan once; import the entries whose changed files have settled."""
        now = time.monotonic() if now is None else now
        current = self._scan()
        for path, signature in current.items():
            if self._seen.get(path) != signature:
                held = self.pending.get(path)
                if held is None or held[0] != signature:
                    self.pending[path] = (signature, now)
        for path in list(self.pending):
            if path not in current:
                del self.pending[path]  # gone before it settled
            elif current[path] != self.pending[path][0]:
                self.pending[path] = (current[path], now)  # still being written
        self._seen = current
        ready = [p for p, (_sig, since) in self.pending.items() if now - since >= self.settle]
        if not ready:
            return None
        for path in ready:
            del self.pending[path]
        return self._import(self.entries(ready))

    def run(self, stop: threading.Event | None = None) -> None:
        """:meth:`start`, then :meth:`poll` every ``interval`` seconds until ``stop``."""
        stop = stop or threading.Event()
        self.start()
        while not stop.wait(self.interval):
            self.poll()
