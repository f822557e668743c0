"""Buffered, deterministic file output: few large writes, LF newlines, fixed mtimes."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["BufferedText", "set_mtime"]

FLUSH_AT = 1 << 20


def set_mtime(path: Path, utc: int) -> None:
    os.utime(path, (utc, utc))


class BufferedText:
    """Collects strings and writes them (UTF-8, LF) about a megabyte at a time.

    ``target`` is a path (opened, and closed at the end) or an open binary handle
    such as a zip member (left open).
    """

    def __init__(self, target: Path | IO[bytes]) -> None:
        self._owned = isinstance(target, Path)
        if isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
            self._handle: IO[bytes] = target.open("wb")
        else:
            self._handle = target
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._handle.write("".join(self._parts).encode("utf-8"))
            self._parts.clear()
            self._size = 0

    def close(self) -> None:
        self.flush()
        if self._owned:
            self._handle.close()

    def __enter__(self) -> BufferedText:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
