"""The server keeps the watched folders imported while it runs (``lifelog serve``).

The folders saved on the settings page (or with ``lifelog watch --save``) are watched
by a :class:`~lifelog.watch.Watcher` in a thread of the server: a new export dropped
in Downloads, a note saved in a vault, a mail delivered to a Maildir is imported a few
seconds after it stops changing, without a second command running. The list is read
again on every look, so a folder added or removed on the settings page is watched or
left from the next look on; a folder that no longer exists is left out and said on
the settings page, the others watched.

Imports of the watcher and uploads from the web take turns on the jobs' run lock. The
watcher never waits for an upload: while one runs it skips its look and comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LifelogError
from ..watch import Watcher, watched

if TYPE_CHECKING:
    from ..ingest import IngestReport
    from ..memory import Memory

__all__ = ["ServerWatch"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Last:
    """What the last import found, for the settings page."""

    when: float
    entries: list[str]
    added: int
    updated: int
    skipped: int


class ServerWatch:
    """Watches the memory's saved folders from a thread until :meth:`stop`."""

    def __init__(self, memory: Memory, lock: threading.Lock, *, interval: float = 2.0) -> None:
        self.memory = memory
        self.lock = lock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paths: list[str] | None = None
        self._watcher: Watcher | None = None
        self._missing: list[str] = []
        self._last: _Last | None = None
        self._error: str | None = None
        self._state = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lifelog-watch", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def status(self) -> dict[str, Any]:
        """The paths watched, those missing, the last import and the last error."""
        with self._state:
            last = self._last
            return {
                "running": self._thread is not None and self._thread.is_alive(),
                "paths": [str(p) for p in self._watcher.paths] if self._watcher else [],
                "missing": list(self._missing),
                "last": None
                if last is None
                else {
                    "at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last.when)),
                    "entries": last.entries,
                    "added": last.added,
                    "updated": last.updated,
                    "skipped": last.skipped,
                },
                "error": self._error,
            }

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.look()
            except Exception as error:  # a watcher must outlive any one bad import
                log.warning("watching the saved folders failed: %s", error, exc_info=True)
                with self._state:
                    self._error = str(error) or type(error).__name__
            self._stop.wait(self.interval)

    def look(self) -> IngestReport | None:
        """One look: take up a changed list of folders, or import what settled since the
        last look. Skipped (``None``) while an upload holds the run lock."""
        paths = watched(self.memory)
        if not self.lock.acquire(blocking=False):
            return None
        try:
            if paths != self._paths:
                return self._restart(paths)
            if self._watcher is None:
                return None
            return self._watcher.poll()
        finally:
            self.lock.release()

    def _restart(self, paths: list[str]) -> IngestReport | None:
        present = [p for p in paths if Path(p).exists()]
        with self._state:
            self._paths = paths
            self._missing = [p for p in paths if p not in present]
            self._watcher = None
            self._error = None
        if not present:
            return None
        watcher = Watcher(
            self.memory, [Path(p) for p in present], interval=self.interval, settle=self.interval
        )
        watcher.on_import = self._told
        with self._state:
            self._watcher = watcher
        try:
            return watcher.start()  # what changed while nobody watched
        except LifelogError as error:
            with self._state:
                self._error = str(error)
            return None

    def _told(self, entries: list[Path], report: IngestReport) -> None:
        with self._state:
            self._last = _Last(
                time.time(),
                [e.name for e in entries],
                report.added,
                report.updated,
                report.skipped_count,
            )
            self._error = None
        if report.added or report.updated:
            log.info(
                "watched folders: %s imported (%d added, %d updated)",
                ", ".join(e.name for e in entries),
                report.added,
                report.updated,
            )
