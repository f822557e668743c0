"""A blocking iterator (``Memory.ask_stream``) consumed by async code, and SSE framing.

The iterator runs in a worker thread and hands each item to the event loop as
soon as it exists, so a streamed token reaches the socket without waiting for
the next one. When the consumer goes away (the client disconnected) the worker
stops at the next item and closes the iterator.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

__all__ = ["iterate_in_thread", "sse"]

T = TypeVar("T")
_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def iterate_in_thread(make: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """Yield what ``make()`` yields, the blocking work done in a thread."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()

    def put(value: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, value)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            stop.set()

    def work() -> None:
        iterator: Iterator[T] | None = None
        try:
            iterator = make()
            for value in iterator:
                if stop.is_set():
                    break
                put(value)
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if callable(close):
                close()
            put(_END)

    thread = threading.Thread(target=work, name="lifelog-stream", daemon=True)
    thread.start()
    try:
        while True:
            value = await queue.get()
            if value is _END:
                return
            if isinstance(value, _Failure):
                raise value.error
            yield value
    finally:
        stop.set()


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event (``data`` as JSON unless it is already a string)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    lines = "".join(f"data: {line}\n" for line in payload.split("\n"))
    return f"{head}{lines}\n".encode()
