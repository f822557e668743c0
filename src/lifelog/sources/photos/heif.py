"""EXIF and size of a HEIC/HEIF photo without a HEIF decoder.

iPhones save photos as HEIC. Pillow cannot open them without the optional
``pillow-heif`` plugin, but their EXIF block (time, place, camera) sits in the
ISO base media container as an item of type ``Exif``, and their size in an
``ispe`` property. This module walks just enough of the container (``meta`` →
``iinf`` / ``iloc`` / ``iprp``) to find them, reading at most ``MAX_META``
bytes of metadata and ``MAX_EXIF`` bytes of EXIF, so a hostile file cannot make
it read or allocate much. It never decodes pixels (so no OCR without
pillow-heif).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

__all__ = ["HEIF_BRANDS", "HeifError", "heif_metadata", "is_heif"]

HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")
MAX_META = 16 * 1024 * 1024
MAX_EXIF = 4 * 1024 * 1024
MAX_TOP_BOXES = 64
#: item location entries (items and their extents) read at most
MAX_EXTENTS = 100_000


class HeifError(ValueError):
    """The container is malformed or holds no readable metadata."""


def is_heif(head: bytes) -> bool:
    """Whether ``head`` starts an ISO base media file whose brand is a HEIF still image."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """``(type, payload start, payload end)`` of the boxes in ``data[start:end]``."""
    found: list[tuple[bytes, int, int]] = []
    at = start
    while at + 8 <= end and len(found) < 10_000:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise HeifError("truncated box header")
            size = struct.unpack_from(">Q", data, at + 8)[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise HeifError(f"box {kind!r} runs past its parent")
        found.append((kind, at + header, at + size))
        at += size
    return found


def _uint(data: bytes, at: int, size: int) -> tuple[int, int]:
    if size == 0:
        return 0, at
    if size not in (1, 2, 4, 8) or at + size > len(data):
        raise HeifError("bad integer field")
    return int.from_bytes(data[at : at + size], "big"), at + size


def _exif_item(data: bytes, start: int, end: int) -> int | None:
    """The item id of the ``Exif`` item listed in an ``iinf`` box."""
    version = data[start]
    at = start + 4
    count, at = _uint(data, at, 2 if version == 0 else 4)
    for kind, begin, stop in _boxes(data, at, end)[:count]:
        if kind != b"infe" or stop - begin < 12:
            continue
        entry_version = data[begin]
        if entry_version < 2:
            continue
        item, pos = _uint(data, begin + 4, 2 if entry_version == 2 else 4)
        pos += 2  # item_protection_index
        if data[pos : pos + 4] == b"Exif":
            return item
    return None


def _locations(data: bytes, start: int, end: int, wanted: int) -> list[tuple[int, int, int]]:
    """``(construction method, offset, length)`` extents of item ``wanted`` in ``iloc``."""
    version = data[start]
    at = start + 4
    if at + 2 > end:
        raise HeifError("truncated iloc")
    offset_size, length_size = data[at] >> 4, data[at] & 0x0F
    base_size, index_size = data[at + 1] >> 4, data[at + 1] & 0x0F
    at += 2
    count, at = _uint(data, at, 2 if version < 2 else 4)
    budget = MAX_EXTENTS  # zero-width fields would let a hostile box loop without reading
    for _ in range(min(count, MAX_EXTENTS)):
        item, at = _uint(data, at, 2 if version < 2 else 4)
        method = 0
        if version in (1, 2):
            method_field, at = _uint(data, at, 2)
            method = method_field & 0x0F
        _reference, at = _uint(data, at, 2)
        base, at = _uint(data, at, base_size)
        extents, at = _uint(data, at, 2)
        spans: list[tuple[int, int, int]] = []
        budget -= extents + 1
        if budget < 0:
            raise HeifError("too many item locations")
        for _ in range(extents):
            if version in (1, 2) and index_size:
                _index, at = _uint(data, at, index_size)
            offset, at = _uint(data, at, offset_size)
            length, at = _uint(data, at, length_size)
            spans.append((method, base + offset, length))
        if item == wanted:
            return spans
    return []


def _largest_size(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The largest ``ispe`` (image spatial extent) in ``iprp/ipco``: the full image's size."""
    best: tuple[int, int] | None = None
    for kind, begin, stop in _boxes(data, start, end):
        if kind != b"ipco":
            continue
        for prop, pbegin, pstop in _boxes(data, begin, stop):
            if prop == b"ispe" and pstop - pbegin >= 12:
                width, height = struct.unpack_from(">II", data, pbegin + 4)
                if best is None or width * height > best[0] * best[1]:
                    best = (width, height)
    return best


def _read_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    handle.seek(offset)
    return handle.read(length)


def heif_metadata(source: Path | BinaryIO) -> tuple[bytes | None, tuple[int, int] | None]:
    """``(EXIF bytes starting with the TIFF header, (width, height))`` of a HEIF file.

    ``source`` is a path or a seekable binary handle. Either result may be None
    when absent. Raises ``HeifError`` on a malformed container and ``OSError`` when
    the file cannot be read.
    """
    if isinstance(source, Path):
        with source.open("rb") as handle:
            return _heif_metadata(handle)
    return _heif_metadata(source)


def _heif_metadata(handle: BinaryIO) -> tuple[bytes | None, tuple[int, int] | None]:
    handle.seek(0, 2)
    file_size = handle.tell()
    handle.seek(0)
    meta: bytes | None = None
    at = 0
    for _ in range(MAX_TOP_BOXES):
        header = _read_at(handle, at, 16)
        if len(header) < 8:
            break
        size, kind = struct.unpack_from(">I4s", header)
        skip = 8
        if size == 1:
            if len(header) < 16:
                raise HeifError("truncated box header")
            size, skip = struct.unpack_from(">Q", header, 8)[0], 16
        elif size == 0:
            size = file_size - at
        if size < skip:
            raise HeifError(f"bad size for box {kind!r}")
        if kind == b"meta":
            if size > MAX_META:
                raise HeifError("metadata box too large")
            meta = _read_at(handle, at + skip, size - skip)
            if len(meta) != size - skip:
                raise HeifError("file cut short inside the metadata box")
            break
        at += size
    if meta is None:
        raise HeifError("no metadata box")
    children = _boxes(meta, 4, len(meta))  # meta is a FullBox: 4 bytes version + flags
    by_kind = {kind: (begin, end) for kind, begin, end in children}
    size_found = _largest_size(meta, *by_kind[b"iprp"]) if b"iprp" in by_kind else None
    if b"iinf" not in by_kind or b"iloc" not in by_kind:
        return None, size_found
    exif_id = _exif_item(meta, *by_kind[b"iinf"])
    if exif_id is None:
        return None, size_found
    spans = _locations(meta, *by_kind[b"iloc"], exif_id)
    if not spans or sum(length for _m, _o, length in spans) > MAX_EXIF:
        return None, size_found
    blob = bytearray()
    for method, offset, length in spans:
        if method == 1 and b"idat" in by_kind:  # stored inside the meta box
            begin, end = by_kind[b"idat"]
            blob += meta[begin + offset : min(begin + offset + length, end)]
        elif method == 0:
            blob += _read_at(handle, offset, length)
    if len(blob) < 4:
        return None, size_found
    skip_to = int.from_bytes(blob[:4], "big") + 4  # offset of the TIFF header
    if skip_to > len(blob):
        return None, size_found
    return bytes(blob[skip_to:]), size_found
