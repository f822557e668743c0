"""Parsing in a second process, so that parsing and indexing use both cores.

The worker parses units one after another and sends their records, pickled by
the parsing thread itself, through a pipe whose kernel buffer (``PIPE_BYTES``)
bounds what is in flight: a full pipe makes the worker wait, so memory stays
bounded. (A ``multiprocessing.Queue`` was measured here to overlap the two
processes poorly: its feeder thread contends for the worker's GIL.)
Items travel as :class:`~lifelog.store.store.ItemRow` tuples, encoded (JSON,
content hash, people) in the worker. The main process only stores and indexes.
Small imports stay in-process: starting a process costs more than it saves.
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import SourceError
from .records import Item, Skip
from .sources.base import PartDone
from .store.store import ItemRow, item_row

__all__ = ["PARALLEL_MIN_BYTES", "Message", "parse_in_worker", "unit_records"]

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


def _run(units: list[WorkUnit], connection: Any) -> None:
    import signal

    from .sources import get_source

    # Ctrl-C reaches the whole process group: the main process stops the import (and
    # this worker); the worker itself must not print a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _grow_pipe(connection)
    out = _Sender(connection)

    for index, (path, name, done) in enumerate(units):
        batch: list[ItemRow | Skip | PartDone] = []
        chars = 0
        error: str | None = None
        try:
            source = get_source(name)
            for record in source.parse_resuming(Path(path), done):
                if isinstance(record, Item):
                    chars += len(record.text)
                    batch.append(item_row(record))
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


def parse_in_worker(units: list[WorkUnit]) -> Iterator[Message]:
    """Yield the worker's messages in order; the worker is stopped when the caller stops.

    ``units`` are ``(path, source name, parts done)``, parsed in that order.
    """
    context = mp.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_run, args=(units, writer), daemon=True)
    process.start()
    writer.close()  # the worker holds the only writing end: its exit ends the stream
    inbox = _Inbox(reader)
    try:
        while True:
            raw = inbox.get()
            if raw is None:
                process.join(timeout=5)
                raise SourceError(f"the parsing process died (exit code {process.exitcode})")
            message: Message = pickle.loads(raw)
            if message[0] == "end":
                break
            yield message
    finally:
        inbox.stop()
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
        reader.close()


class _Inbox:
    """Drains the pipe in a thread while the main thread stores and indexes.

    Without it the worker fills the pipe during each long transaction and waits,
    then the main thread waits for the worker: the two processes take turns
    instead of working at once. At most ``INBOX_BYTES`` wait here (and one more batch).
    """

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.messages: collections.deque[bytes | None] = collections.deque()
        self.held = 0  # bytes in ``messages``
        self.ready = threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self._drain, name="lifelog-parse-inbox", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while True:
            try:
                raw: bytes | None = self.reader.recv_bytes()
            except (EOFError, OSError):
                raw = None
            with self.ready:
                while self.held >= INBOX_BYTES and not self.stopped:
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
