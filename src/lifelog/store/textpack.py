"""Item text compressed before it is stored (and so before SQLCipher encrypts its page).

``items.text`` holds either the text itself (SQLite TEXT: short texts, which zstd
cannot shrink, and every row written before compression existed) or a BLOB: one
format byte, then the compressed UTF-8. The storage class is the per-row flag, so a
memory written by an older lifelog opens and reads as it is, and old and new rows
live side by side with no migration.

Format 1 is a zstd frame (level 3, no dictionary). A dictionary per source would
shrink short messages too; its number would go in a new format byte.

Readers in Python call :func:`unpack_text`; SQL calls ``item_text(text)``, which every
connection :func:`lifelog.store.db.connect` opens has (:func:`register`).
"""

from __future__ import annotations

import threading
from typing import Any

import zstandard

__all__ = ["MIN_BYTES", "SQL_FUNCTION", "pack_text", "register", "unpack_text"]

#: texts shorter than this (UTF-8 bytes) are kept as they are: a zstd frame of a short
#: chat message is no smaller than the message
MIN_BYTES = 96
#: the format byte of a zstd frame without dictionary
ZSTD = 1
LEVEL = 3
#: the SQL function that reads ``items.text`` whichever form it has
SQL_FUNCTION = "item_text"

_local = threading.local()  # zstd contexts are not to be shared between threads


def _compressor() -> zstandard.ZstdCompressor:
    found: zstandard.ZstdCompressor | None = getattr(_local, "compressor", None)
    if found is None:
        found = _local.compressor = zstandard.ZstdCompressor(
            level=LEVEL, write_checksum=False, write_content_size=True
        )
    return found


def _decompressor() -> zstandard.ZstdDecompressor:
    found: zstandard.ZstdDecompressor | None = getattr(_local, "decompressor", None)
    if found is None:
        found = _local.decompressor = zstandard.ZstdDecompressor()
    return found


def pack_text(text: str) -> str | bytes:
    """What ``items.text`` stores for ``text``: a BLOB when compression saves bytes."""
    if len(text) < MIN_BYTES and (text.isascii() or len(text) * 4 < MIN_BYTES):
        return text  # certainly fewer than MIN_BYTES bytes, without encoding it
    data = text.encode("utf-8")
    if len(data) < MIN_BYTES:
        return text
    packed = _compressor().compress(data)
    if len(packed) + 1 >= len(data):
        return text
    return bytes((ZSTD,)) + packed


def unpack_text(value: Any) -> str:
    """The text of a stored ``items.text`` (either form)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raw = bytes(value)
    if not raw:
        return ""
    if raw[0] != ZSTD:
        raise ValueError(f"unknown text format {raw[0]} (made by a newer lifelog?)")
    return _decompressor().decompress(raw[1:]).decode("utf-8")


def register(conn: Any) -> None:
    """Give ``conn`` the SQL function ``item_text(text)``."""
    conn.create_function(SQL_FUNCTION, 1, unpack_text, deterministic=True)
