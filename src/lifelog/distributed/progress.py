"""Per-file ingest progress from the shards, shown as one machine shows its own.

Each shard's ingest writes its progress into a :class:`ProgressLog` in its actor (which
files it begins, how many bytes and items it has read); while the shards ingest, the
owner's process asks every shard for what is new in its log a few times a second
(:func:`follow`: the actors take calls beside an ingest) and replays it on the caller's
:class:`~lifelog.ingest.Progress` (:class:`Replay`): one start with the whole job's
bytes and files, each file as a shard begins it, the bytes and items as they are read,
one finish. Only names of files, sizes and counts travel. A shard that restarts begins
a new log (a new ``epoch``); the bytes it reads again are not counted twice.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ingest import Progress

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = ["Event", "ProgressLog", "Replay", "follow", "follow_ingest"]

#: ``("file", path, source)`` or ``("advance", bytes, items)``
Event = tuple[Any, ...]
#: how often the owner asks the shards, in seconds
EVERY = 0.25


class ProgressLog(Progress):
    """A shard's ingest progress for the job ``token``, kept for the owner to read
    (thread-safe)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.epoch = uuid.uuid4().hex
        self._events: list[Event] = []
        self._read = 0
        self._lock = threading.Lock()

    def file(self, path: Path, source: str) -> None:
        with self._lock:
            self._events.append(("file", str(path), source))

    def advance(self, nbytes: int, items: int) -> None:
        with self._lock:
            last = len(self._events) - 1
            if last >= self._read and self._events[last][0] == "advance":  # not read yet
                _, was_bytes, was_items = self._events[last]
                self._events[last] = ("advance", was_bytes + nbytes, was_items + items)
            else:
                self._events.append(("advance", nbytes, items))

    def since(self, seen: int) -> tuple[str, list[Event]]:
        """This log's epoch and its events from the ``seen``-th on."""
        with self._lock:
            self._read = max(self._read, len(self._events))
            return self.epoch, self._events[seen:]


class Replay:
    """The shards' logs replayed on ``progress``: bytes past what a shard was given
    (read again after a restart) are not counted."""

    def __init__(self, progress: Progress, planned: dict[int, int]) -> None:
        self.progress = progress
        self.planned = dict(planned)
        self.counted = dict.fromkeys(planned, 0)
        self.seen = dict.fromkeys(planned, 0)
        self.epochs: dict[int, str] = {}
        self._lock = threading.Lock()

    def take(self, shard: int, epoch: str, events: list[Event]) -> None:
        with self._lock:
            if self.epochs.get(shard, epoch) != epoch:  # a new log: the shard restarted
                self.seen[shard] = 0
            self.epochs[shard] = epoch
            self.seen[shard] += len(events)
            for event in events:
                if event[0] == "file":
                    self.progress.file(Path(event[1]), str(event[2]))
                elif event[0] == "advance":
                    room = self.planned[shard] - self.counted[shard]
                    nbytes = max(0, min(int(event[1]), room))
                    self.counted[shard] += nbytes
                    self.progress.advance(nbytes, int(event[2]))


def follow(
    replay: Replay, ask: Callable[[int, int], tuple[str, list[Event]] | None]
) -> Callable[[], None]:
    """Start asking each shard (``ask(shard, seen)``: its epoch and new events, or
    ``None`` when it did not answer) every :data:`EVERY` seconds on a thread of its
    own; returns the function that stops it, after a last round."""
    stop = threading.Event()

    def round_() -> None:
        for shard in replay.planned:
            found = ask(shard, replay.seen[shard])
            if found is not None:
                epoch, events = found
                if replay.epochs.get(shard, epoch) != epoch:
                    found = ask(shard, 0)  # a restarted shard's new log, from its start
                    if found is None:
                        continue
                    epoch, events = found
                replay.take(shard, epoch, events)

    def run() -> None:
        while not stop.wait(EVERY):
            round_()

    thread = threading.Thread(target=run, name="lifelog-shard-progress", daemon=True)
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join()
        round_()

    return stopped


def follow_ingest(
    cluster: Cluster,
    progress: Progress | None,
    token: str,
    sizes: dict[str, int],
    placed: dict[int, list[str]],
) -> Callable[[], None]:
    """Show on ``progress`` the job ``token``'s progress as the shards ingest (``sizes``:
    path -> bytes of every file, ``placed``: shard -> its paths): the job's start now,
    then each shard's files as it begins them; returns what ends it (its finish)."""
    if progress is None:
        return lambda: None
    progress.start(sum(sizes.values()), len(sizes))
    replay = Replay(progress, {n: sum(sizes[p] for p in paths) for n, paths in placed.items()})

    def ask(n: int, seen: int) -> tuple[str, list[Event]] | None:
        try:
            found: tuple[str, list[Event]] | None = cluster.call(
                n, "progress_since", token, seen, retry=False, timeout=5.0
            )
        except Exception:  # noqa: BLE001 - a shard restarting: asked again next round
            return None
        return found

    stop = follow(replay, ask)

    def stopped() -> None:
        stop()
        progress.finish()

    return stopped
