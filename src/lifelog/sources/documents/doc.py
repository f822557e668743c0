"""Word 97-2003 documents (``.doc``): the text of the body, and the file's properties.

A ``.doc`` is an OLE compound file (read with ``olefile``, BSD-2-Clause; optional:
without it this source is unavailable, with a warning). Its text is found as [MS-DOC]
section 2.4.1 ("Retrieving Text") says: the File Information Block at the start of the
``WordDocument`` stream names the table stream (``0Table`` or ``1Table``) and the place
of the ``Clx`` in it; the ``Clx``'s piece table maps character positions to places in
``WordDocument``, each piece either 8-bit (Windows-1252, "compressed") or UTF-16. The
first ``ccpText`` characters are the main body (footnotes, headers and comments follow
them and are left out). Word's control characters become text: paragraph and cell
marks new lines, fields keep their shown result (``HYPERLINK "…"`` codes are dropped),
pictures and drawn objects are dropped. Title, author and dates come from the file's
``SummaryInformation``.

One document is one item (as Word and OpenDocument files are, see :mod:`.item`).
Refused with a ``Skip``: encrypted documents, Word 95 and older (another layout), a
``WordDocument`` stream larger than ``MAX_STREAM_BYTES``. A damaged piece table keeps
the pieces before the damage.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import olefile

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed, Source, clean_text
from .item import document_item

__all__ = ["DocSource", "doc_text"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: the WordDocument or table stream read at most
MAX_STREAM_BYTES = 64 * 1024 * 1024
#: pieces read from one piece table at most
MAX_PIECES = 1_000_000
_WORD_IDENT = 0xA5EC
_FCLX_INDEX = 33  # fcClx / lcbClx in FibRgFcLcb97
_DROPPED = {"\x01", "\x08", "\x1f", "\x00"}  # pictures, drawn objects, optional hyphens
_NEWLINE = {"\r", "\x07", "\x0b", "\x0c", "\x0e"}


class DocError(ValueError):
    """The document cannot be read (encrypted, too old, damaged): said in a Skip."""


def _pieces(table: bytes, fc_clx: int, lcb_clx: int) -> list[tuple[int, int, int, bool]]:
    """``(cp start, cp end, byte offset, compressed)`` of each piece of the body."""
    if fc_clx < 0 or lcb_clx <= 0 or fc_clx + lcb_clx > len(table):
        raise DocError("the piece table lies outside the table stream")
    clx = table[fc_clx : fc_clx + lcb_clx]
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: formatting, passed over
        (size,) = struct.unpack_from("<h", clx, at + 1)
        if size < 0:
            raise DocError("damaged piece table (negative Prc size)")
        at += 3 + size
    if at >= len(clx) or clx[at] != 0x02:
        raise DocError("no piece table (Pcdt) in the Clx")
    (lcb,) = struct.unpack_from("<I", clx, at + 1)
    plc = clx[at + 5 : at + 5 + lcb]
    count = (len(plc) - 4) // 12
    if count <= 0:
        raise DocError("empty piece table")
    count = min(count, MAX_PIECES)
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    for n in range(count):
        (raw_fc,) = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * n + 2)
        compressed = bool(raw_fc & 0x40000000)
        fc = raw_fc & 0x3FFFFFFF
        pieces.append((cps[n], cps[n + 1], fc // 2 if compressed else fc, compressed))
    return pieces


def _clean(raw: str) -> str:
    """Word's text with its control characters turned into plain text."""
    out: list[str] = []
    fields: list[bool] = []  # per open field: is its result (after \x14) being shown?
    for char in raw:
        if char == "\x13":
            fields.append(False)
            continue
        if char == "\x14":
            if fields:
                fields[-1] = True
            continue
        if char == "\x15":
            if fields:
                fields.pop()
            continue
        if fields and not fields[-1]:
            continue  # a field's code (HYPERLINK "...", PAGE ...)
        if char in _DROPPED:
            continue
        if char in _NEWLINE:
            out.append("\n")
        elif char == "\x1e":
            out.append("-")
        elif char == "\xa0":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def doc_text(word: bytes, table_of: Any) -> str:
    """The body text of a Word 97+ document from its ``WordDocument`` stream;
    ``table_of(name)`` gives the bytes of the table stream it names."""
    if len(word) < 0x200:
        raise DocError("the WordDocument stream is too short")
    ident, nfib = struct.unpack_from("<HH", word, 0)
    if ident != _WORD_IDENT:
        raise DocError(f"not a Word document (FIB id {ident:#06x})")
    if nfib < 101:  # Word 6 and 95 keep their text another way
        raise DocError(f"Word 95 or older (nFib {nfib}): not read; save it again as .doc or .docx")
    (flags,) = struct.unpack_from("<H", word, 0x0A)
    if flags & 0x0100:
        raise DocError("encrypted document: not read (no password is asked for)")
    table_name = "1Table" if flags & 0x0200 else "0Table"
    at = 32
    (csw,) = struct.unpack_from("<H", word, at)
    at += 2 + csw * 2
    (cslw,) = struct.unpack_from("<H", word, at)
    lw = struct.unpack_from(f"<{min(cslw, 22)}i", word, at + 2)
    ccp_text = lw[3] if len(lw) > 3 else 0
    at += 2 + cslw * 4
    (cb_fclcb,) = struct.unpack_from("<H", word, at)
    if cb_fclcb <= _FCLX_INDEX:
        raise DocError("the FIB has no piece table entry")
    fc_clx, lcb_clx = struct.unpack_from("<iI", word, at + 2 + _FCLX_INDEX * 8)
    table = table_of(table_name)
    if table is None:
        raise DocError(f"the table stream {table_name} is missing")
    limit = ccp_text if ccp_text > 0 else None
    parts: list[str] = []
    for start, end, offset, compressed in _pieces(table, fc_clx, lcb_clx):
        if limit is not None and start >= limit:
            break
        stop = end if limit is None else min(end, limit)
        count = max(0, stop - start)
        if compressed:
            data = word[offset : offset + count]
            parts.append(data.decode("cp1252", errors="replace"))
        else:
            data = word[offset : offset + 2 * count]
            parts.append(data.decode("utf-16-le", errors="replace"))
        if len(data) < (count if compressed else 2 * count):
            break  # the piece runs past the stream: keep what was there
    return _clean("".join(parts))


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime) and 1980 <= value.year < 3000:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return None


def _codec(codepage: Any) -> str:
    """The Python codec of a property set's code page (PIDSI_CODEPAGE)."""
    if not isinstance(codepage, int) or codepage == 0:
        return "cp1252"
    codepage &= 0xFFFF  # stored as a signed 16-bit number: 65001 reads as -535
    name = {65001: "utf-8", 1200: "utf-16-le", 20127: "ascii"}.get(codepage, f"cp{codepage}")
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


def _text(value: Any, codec: str = "cp1252") -> str | None:
    if isinstance(value, bytes):
        value = value.decode(codec, errors="replace")
    if isinstance(value, str):
        value = clean_text(value).strip("\x00 ").strip()
        return value[:500] or None
    return None


class DocSource(Source):
    name = "doc"
    description = "Word 97-2003 documents (.doc): body text and properties"
    extensions = (".doc", ".dot")

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(OLE_MAGIC):
            return False
        if path.suffix.lower() in self.extensions:
            return True
        try:
            with olefile.OleFileIO(str(path)) as ole:
                return bool(ole.exists("WordDocument"))
        except Exception:  # noqa: BLE001 - sniffing a damaged compound file must not fail
            return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        try:
            ole = olefile.OleFileIO(file)
        except Exception as error:  # olefile raises many types on damaged files
            raise SourceError(
                f"{path}: not a readable Word document ({type(error).__name__}: {error})"
            ) from error
        with ole:

            def stream(name: str) -> bytes | None:
                if not ole.exists(name) or ole.get_size(name) > MAX_STREAM_BYTES:
                    return None
                data: bytes = ole.openstream(name).read(MAX_STREAM_BYTES)
                return data

            try:
                word = stream("WordDocument")
                if word is None:
                    raise DocError(
                        "no WordDocument stream under "
                        f"{MAX_STREAM_BYTES // 1024**2} MB (not a Word document?)"
                    )
                text = doc_text(word, stream)
            except (DocError, struct.error, OSError, ValueError, IndexError) as error:
                yield Skip(file, "document", str(error) or type(error).__name__)
                return
            try:
                meta = ole.get_metadata()
            except Exception:  # noqa: BLE001 - the properties are a nicety
                meta = None
        text = clean_text(text).strip()
        if not text:
            yield Skip(file, "document", "the document has no text")
            return
        details: dict[str, Any] = {}
        codec = _codec(getattr(meta, "codepage", None))
        for key in ("subject", "keywords", "comments"):
            found = _text(getattr(meta, key, None), codec)
            if found:
                details[key] = found
        yield document_item(
            self.name,
            path,
            text,
            metadata={"format": "doc", "file": path.name},
            headings=[],
            details=details,
            timestamp=_moment(getattr(meta, "create_time", None))
            or _moment(getattr(meta, "last_saved_time", None)),
            author=_text(getattr(meta, "author", None), codec),
            title=_text(getattr(meta, "title", None), codec),
        )
