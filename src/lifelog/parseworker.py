"""Parsing in worker processes, one per core, so that parsing and indexing use every core.

Each worker takes the next unit (file, folder or archive) no worker has taken yet,
parses it, and sends its records, pickled by the parsing thread itself, through
a pipe of its own whose kernel buffer (``PIPE_BYTES``) bounds what is in flight:
a full pipe makes the worker wait, so memory stays bounded. (A
``multiprocessing.Queue`` was measured here to overlap the processes poorly: its
feeder thread contends for the worker's GIL.) The one writer, the main process,
takes the units back in their order (:func:`parse_in_worker`).
Items travel as :class:`~lifelog.store.store.ItemRow` tuples, encoded (JSON,
content hash, people) and cut into the word index's chunks and spellings and compressed
(:func:`~lifelog.store.store.prepared`) in the worker: the writer only writes.
Small imports stay in-process: starting a process costs more than it saves.
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SourceError
from .records import Item, Skip
from .sources.base import PartDone
from .store.store import ItemRow, item_row, prepared

__all__ = ["PARALLEL_MIN_BYTES", "Message", "parse_in_worker", "unit_records", "workers_for"]

#: below this many bytes to parse, parsing stays in the main process
PARALLEL_MIN_BYTES = int(os.environ.get("LIFELOG_PARALLEL_MIN_BYTES", str(16 * 1024 * 1024)))
BATCH = 256
#: a batch is sent early once its texts hold this many characters (bounded memory)
BATCH_CHARS = 1_000_000
#: pickled batches received and waiting for the main thread, in bytes: enough to cover a
#: whole transaction (``ingest.BATCH_ITEMS``), so that the worker parses on meanwhile
INBOX_BYTES = int(os.environ.get("LIFELOG_INBOX_BYTES", str(64 << 20)))
#: the pipe's kernel buffer (Linux F_SETPIPE_SZ; elsewhere the system's default)
PIPE_BYTES = 1 << 20

#: tests only: a worker exits (code 3) when it takes a unit whose path ends so
_DIE_ON = os.environ.get("LIFELOG_TEST_WORKER_DIES_ON", "")

# ("batch", unit, [Item | Skip | PartDone, ...]) | ("done", unit, error or None) | ("end", -1, None)
Message = tuple[str, int, Any]
#: (path, source name, parts already done: part -> (size, mtime))
WorkUnit = tuple[str, str, dict[str, tuple[int, float]]]


def _grow_pipe(connection: Any) -> None:
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), 1031, PIPE_BYTES)  # F_SETPIPE_SZ
    except (ImportError, OSError, ValueError):
        pass  # not Linux, or over the system's limit: the default buffer still works


class _Sender:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def put(self, message: Message) -> None:
        self.connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _run(units: list[WorkUnit], connection: Any, taken: Any) -> None:
    import signal

    from .sources import get_source

    # Ctrl-C reaches the whole process group: the main process stops the import (and
    # this worker); the worker itself must not print a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _grow_pipe(connection)
    out = _Sender(connection)

    while True:
        with taken.get_lock():  # the next unit no worker has taken yet
            index = int(taken.value)
            taken.value = index + 1
        if index >= len(units):
            break
        path, name, done = units[index]
        if _DIE_ON and path.endswith(_DIE_ON):  # tests: a worker killed while reading
            os._exit(3)
        batch: list[ItemRow | Skip | PartDone] = []
        chars = 0
        error: str | None = None
        try:
            source = get_source(name)
            for record in source.parse_resuming(Path(path), done):
                if isinstance(record, Item):
                    chars += len(record.text)
                    batch.append(prepared(item_row(record)))
                else:
                    batch.append(record)
                if len(batch) >= BATCH or chars >= BATCH_CHARS:
                    out.put(("batch", index, batch))
                    batch, chars = [], 0
        except SourceError as failure:
            error = str(failure)
        except (OSError, ValueError, UnicodeError, MemoryError, RecursionError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        except Exception as failure:  # noqa: BLE001 - a bug in one source must not end the import
            error = f"internal error in source {name}: {type(failure).__name__}: {failure}"
        if batch:
            out.put(("batch", index, batch))
        out.put(("done", index, error))
    out.put(("end", -1, None))


def workers_for(units: int) -> int:
    """How many parsing processes: one per core (``LIFELOG_PARSE_WORKERS`` overrides),
    no more than there are units."""
    wanted = int(os.environ.get("LIFELOG_PARSE_WORKERS") or 0) or (os.cpu_count() or 1)
    return max(1, min(wanted, units))


def parse_in_worker(units: list[WorkUnit], workers: int | None = None) -> Iterator[Message]:
    """Yield the workers' messages, unit after unit in the order of ``units``; the
    workers are stopped when the caller stops.

    ``units`` are ``(path, source name, parts done)``. ``workers`` processes (default
    :func:`workers_for`) each take the next unit no one has taken, so a large file
    does not hold up the small ones behind it; each sends its units' records in the
    order it read them, through a pipe of its own, so one unit's records all come
    from one pipe, in order, and the units can be put back in order by looking at
    the first message waiting in each pipe.
    """
    count = workers if workers is not None else workers_for(len(units))
    context = mp.get_context("spawn")
    taken = context.Value("q", 0)
    ready = threading.Condition()
    streams: list[_Stream] = []
    try:
        for _ in range(count):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_run, args=(units, writer, taken), daemon=True)
            process.start()
            writer.close()  # the worker holds the only writing end: its exit ends the stream
            inbox = _Inbox(reader, ready, max(INBOX_BYTES // count, BATCH_CHARS * 4))
            streams.append(_Stream(process, reader, inbox))
        for index in range(len(units)):
            yield from _unit_messages(streams, ready, index)
    finally:
        for stream in streams:
            stream.close()


@dataclass(slots=True)
class _Stream:
    """One parsing process, its pipe and the message read but not yet handed on."""

    process: Any
    reader: Any
    inbox: _Inbox
    head: Message | None = None
    #: the worker said it has no more units ("end"), or its pipe closed without it
    ended: bool = False
    died: bool = False

    def peek(self) -> Message | None:
        """The first message waiting, without waiting for one (``None``: none yet)."""
        if self.head is None and not self.ended:
            raw = self.inbox.get_nowait()
            if raw is _EMPTY:
                return None
            if raw is None:  # the pipe closed before the worker said "end"
                self.ended = self.died = True
                return None
            assert isinstance(raw, bytes)
            message: Message = pickle.loads(raw)
            if message[0] == "end":
                self.ended = True
                return None
            self.head = message
        return self.head

    def take(self) -> Message:
        assert self.head is not None
        message, self.head = self.head, None
        return message

    def exit_code(self) -> object:
        self.process.join(timeout=5)
        return self.process.exitcode

    def close(self) -> None:
        self.inbox.stop()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)
        self.reader.close()


def _unit_messages(
    streams: list[_Stream], ready: threading.Condition, index: int
) -> Iterator[Message]:
    """The messages of unit ``index``, up to its ``done``. A unit taken by a worker that
    died is answered with a ``done`` naming the death, and the next units go on."""
    owner = _owner(streams, ready, index)
    while owner is not None:
        with ready:
            while (message := owner.peek()) is None and not owner.ended:
                ready.wait(1.0)
            if message is not None:
                owner.take()
        if message is None:  # its worker died part-way through the unit
            break
        if message[1] != index:
            raise SourceError(f"parsing process out of step (unit {message[1]}, expected {index})")
        yield message
        if message[0] == "done":
            return
    dead = next((s for s in streams if s.died), None)
    code = dead.exit_code() if dead is not None else None
    yield ("done", index, f"the parsing process died (exit code {code}) while reading it")


def _owner(streams: list[_Stream], ready: threading.Condition, index: int) -> _Stream | None:
    """The worker whose next message is of unit ``index``; ``None`` when the unit was
    lost with a worker that died (every live one has gone past it, or finished)."""
    with ready:
        while True:
            heads = [(stream, stream.peek()) for stream in streams]
            for stream, head in heads:
                if head is not None and head[1] == index:
                    return stream
            if all(s.ended or (head is not None and head[1] > index) for s, head in heads):
                if any(s.died for s in streams):
                    return None
                raise SourceError(f"parsing process out of step (unit {index} never came)")
            ready.wait(1.0)


_EMPTY = object()


class _Inbox:
    """Drains one worker's pipe in a thread while the main thread stores and indexes.

    Without it the worker fills the pipe during each long transaction and waits,
    then the main thread waits for the worker: the two processes take turns
    instead of working at once. At most ``limit`` bytes (default ``INBOX_BYTES``)
    wait here (and one more batch). Several inboxes may share one condition, so
    that the main thread can wait for whichever worker sends next.
    """

    def __init__(
        self, reader: Any, ready: threading.Condition | None = None, limit: int | None = None
    ) -> None:
        self.reader = reader
        self.messages: collections.deque[bytes | None] = collections.deque()
        self.held = 0  # bytes in ``messages``
        self.limit = limit if limit is not None else INBOX_BYTES
        self.ready = ready or threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self._drain, name="lifelog-parse-inbox", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while True:
            try:
                raw: bytes | None = self.reader.recv_bytes()
            except (EOFError, OSError, TypeError, ValueError):
                # the end, or the connection closed under this read by close() (Ctrl-C):
                # multiprocessing then reads from a handle it has set to None
                raw = None
            with self.ready:
                while self.held >= self.limit and not self.stopped:
                    self.ready.wait(0.5)
                if self.stopped:
                    return
                self.messages.append(raw)
                self.held += len(raw) if raw is not None else 0
                self.ready.notify_all()
            if raw is None:
                return

    def get(self) -> bytes | None:
        with self.ready:
            while not self.messages:
                self.ready.wait(1.0)
            return self._pop()

    def get_nowait(self) -> bytes | None | object:
        """The next message, ``None`` at the end, ``_EMPTY`` when none waits."""
        with self.ready:
            return self._pop() if self.messages else _EMPTY

    def _pop(self) -> bytes | None:
        raw = self.messages.popleft()
        self.held -= len(raw) if raw is not None else 0
        self.ready.notify_all()
        return raw

    def stop(self) -> None:
        with self.ready:
            self.stopped = True
            self.ready.notify_all()


def unit_records(messages: Iterator[Message], index: int) -> Iterator[ItemRow | Skip | PartDone]:
    """The records of unit ``index`` from the worker's stream; raises its file-level error."""
    for kind, at, payload in messages:
        if at < index:
            continue  # the rest of an earlier unit whose storing failed (reported there)
        if at != index:
            raise SourceError(f"parsing process out of step (unit {at}, expected {index})")
        if kind == "batch":
            yield from payload
        elif kind == "done":
            if payload:
                raise SourceError(payload)
            return
