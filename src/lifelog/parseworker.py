"""Parsing in a second process, so that parsing and indexing use both cores.

The worker parses units one after another and sends their records through a
bounded queue (bounded memory: at most ``QUEUE_BATCHES`` batches in flight).
Items travel as :class:`~lifelog.store.store.ItemRow` tuples, encoded (JSON,
content hash, people) in the worker. The main process only stores and indexes.
Small imports stay in-process: starting a process costs more than it saves.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_module
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
QUEUE_BATCHES = 16

# ("batch", unit, [Item | Skip | PartDone, ...]) | ("done", unit, error or None) | ("end", -1, None)
Message = tuple[str, int, Any]
#: (path, source name, parts already done: part -> (size, mtime))
WorkUnit = tuple[str, str, dict[str, tuple[int, float]]]


def _run(units: list[WorkUnit], out: Any) -> None:
    from .sources import get_source

    for index, (path, name, done) in enumerate(units):
        batch: list[ItemRow | Skip | PartDone] = []
        error: str | None = None
        try:
            source = get_source(name)
            for record in source.parse_resuming(Path(path), done):
                batch.append(item_row(record) if isinstance(record, Item) else record)
                if len(batch) >= BATCH:
                    out.put(("batch", index, batch))
                    batch = []
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
    out = context.Queue(maxsize=QUEUE_BATCHES)
    process = context.Process(target=_run, args=(units, out), daemon=True)
    process.start()
    try:
        while True:
            try:
                message: Message = out.get(timeout=1.0)
            except queue_module.Empty:
                if not process.is_alive():
                    raise SourceError(
                        f"the parsing process died (exit code {process.exitcode})"
                    ) from None
                continue
            if message[0] == "end":
                break
            yield message
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
        out.close()


def unit_records(messages: Iterator[Message], index: int) -> Iterator[ItemRow | Skip | PartDone]:
    """The records of unit ``index`` from the worker's stream; raises its file-level error."""
    for kind, at, payload in messages:
        if at != index:
            raise SourceError(f"parsing process out of step (unit {at}, expected {index})")
        if kind == "batch":
            yield from payload
        elif kind == "done":
            if payload:
                raise SourceError(payload)
            return
