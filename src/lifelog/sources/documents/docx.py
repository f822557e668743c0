"""Word documents (``.docx``, ``.docm``, ``.dotx``): one item of kind ``document`` per file.

Read with python-docx, the body in document order: paragraphs, headings and
tables (one line per row, cells joined by `` | ``, merged cells once, nested
tables inlined into their cell). Headings stay paragraphs of the text and are
also listed as ``[level, text]`` in ``metadata["headings"]`` (level 0 is the
``Title`` style), so a reader can find a section. Not read: headers, footers,
footnotes, comments, text boxes, tracked deletions, embedded objects.

The core properties give the title (else the first heading, else the file
name), the author, the creation date (else the modification date, else the
file's mtime; Word's "no date", 1601, is ignored), and ``subject``,
``keywords``, ``category``, ``last_modified_by`` in the metadata.

The key is the file name (a .docx carries no stable document id): the same file
imported from another folder updates in place; two files of the same name
replace each other.

Safety: before python-docx opens the zip, every XML part is checked against zip
bombs (size and compression ratio) and the total expansion is bounded;
python-docx's XML parser never resolves entities. A damaged package is reported
as one ``Skip``; a file that is not a zip at all raises ``SourceError``.

A "Strict Open XML" document (Word's *Save as Strict Open XML Document*, ISO/IEC
29500 Strict: namespaces under ``http://purl.oclc.org/ooxml/``) is read through an
in-memory copy of the package whose XML parts name the Transitional namespaces
(python-docx knows only those); the file itself is never changed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ...archive import check_zip_member, open_zip
from ...records import Skip
from ..base import MAX_ITEM_TEXT as MAX_TEXT
from ..base import Parsed, Source, clean_text, to_utc
from .item import document_item

__all__ = ["DocxSource"]

#: a single part (document.xml ...) larger than this, uncompressed, is refused
MAX_PART_BYTES = 256 * 1024 * 1024
#: all parts together, uncompressed
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: table nesting followed at most
MAX_NESTING = 8

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_STRICT = b"http://purl.oclc.org/ooxml/"
#: a Strict namespace or relationship type: ``http://purl.oclc.org/ooxml/<area>/<name>``
_STRICT_URI = re.compile(rb"http://purl\.oclc\.org/ooxml/(\w+)/(\w+)")
#: Strict names whose Transitional spelling differs beyond the ``/2006/`` inserted
_TRANSITIONAL_NAMES = {
    b"extendedProperties": b"extended-properties",
    b"customProperties": b"custom-properties",
}


def _transitional_uri(match: re.Match[bytes]) -> bytes:
    area, name = match.group(1), match.group(2)
    name = _TRANSITIONAL_NAMES.get(name, name)
    return b"http://schemas.openxmlformats.org/" + area + b"/2006/" + name


def _is_strict(path: Path) -> bool:
    """Whether the package names the Strict namespaces (its root relationships do)."""
    with open_zip(path) as archive:
        names = set(archive.namelist())
        for name in ("_rels/.rels", "word/document.xml"):
            if name in names:
                with archive.open(name) as part:
                    if _STRICT in part.read(4096):
                        return True
        return False


def _transitional_copy(path: Path) -> io.BytesIO:
    """The package in memory with every Strict URI in its XML parts written the
    Transitional way (sizes were bounded by :func:`_check_archive`)."""
    out = io.BytesIO()
    with open_zip(path) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename.endswith((".xml", ".rels")) and _STRICT in data:
                data = _STRICT_URI.sub(_transitional_uri, data)
            copy.writestr(info.filename, data)
    out.seek(0)
    return out


def _check_archive(path: Path) -> str | None:
    """Why the package must not be opened (bomb, missing body), or None."""
    with open_zip(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "word/document.xml" not in names:
            return "not a Word document (no word/document.xml)"
        total = 0
        for info in infos:
            problem = check_zip_member(info, MAX_PART_BYTES)
            if problem and (info.filename.endswith(".xml") or info.filename.endswith(".rels")):
                return f"{info.filename}: {problem}"
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            return f"document expands to {total} bytes (limit {MAX_TOTAL_BYTES // 1024**2} MB)"
    return None


def _heading_level(paragraph: Any) -> int | None:
    try:
        style = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, AttributeError, ValueError):
        return None
    style = style or ""
    if style == "Title":
        return 0
    if style.startswith("Heading "):
        suffix = style.removeprefix("Heading ").strip()
        return int(suffix) if suffix.isdigit() else 1
    return None


def _table_lines(table: Any, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell appears once per grid column
                continue
            seen.add(id(cell._tc))
            parts = [p.text.strip() for p in cell.paragraphs if p.text.strip()]
            if depth < MAX_NESTING:
                for inner in cell.tables:
                    parts.extend(_table_lines(inner, depth + 1))
            cells.append(" ".join(parts))
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


def _body(document: Any) -> tuple[list[str], list[tuple[int, str]]]:
    """``(blocks of text, headings)`` in document order."""
    blocks: list[str] = []
    headings: list[tuple[int, str]] = []
    size = 0
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            paragraph = Paragraph(child, document)
            text = paragraph.text
            level = _heading_level(paragraph)
            if level is not None and text.strip() and len(headings) < 1000:
                headings.append((level, text.strip()[:300]))
            block = text
        elif child.tag == f"{_W}tbl":
            block = "\n".join(_table_lines(Table(child, document)))
        else:
            continue
        if block.strip():
            blocks.append(block)
            size += len(block) + 2
            if size > MAX_TEXT:
                break
    return blocks, headings


def _properties(document: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        core = document.core_properties
    except (KeyError, ValueError, AttributeError):
        return found
    for key in ("title", "author", "subject", "keywords", "last_modified_by", "category"):
        try:
            value = getattr(core, key)
        except (ValueError, KeyError, AttributeError):
            value = None
        if isinstance(value, str) and value.strip():
            found[key] = " ".join(value.split())[:1000]
    for key in ("created", "modified"):
        try:
            value = getattr(core, key)
        except (ValueError, KeyError, AttributeError, OverflowError):
            value = None
        if isinstance(value, datetime) and value.year > 1601:  # 1601: Word's "no date"
            found[key] = to_utc(value)
    return found


class DocxSource(Source):
    name = "docx"
    description = "Word documents (.docx): paragraphs, headings, tables, properties"
    extensions = (".docx", ".docm", ".dotx")

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.extensions and head.startswith(b"PK")

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        problem = _check_archive(path)
        if problem:
            yield Skip(file, "document", problem)
            return
        try:
            source: str | io.BytesIO = _transitional_copy(path) if _is_strict(path) else str(path)
            document = docx.Document(source)
            blocks, headings = _body(document)
            properties = _properties(document)
        except Exception as error:  # broad on purpose: zip, lxml and python-docx errors alike
            yield Skip(file, "document", f"damaged Word document: {error}")
            return
        text = clean_text("\n\n".join(blocks))
        if not text.strip():
            yield Skip(file, "document", "the document has no text")
            return
        metadata: dict[str, Any] = {"format": "docx", "file": path.name}
        if not isinstance(source, str):
            metadata["strict"] = True
        kept = ("subject", "keywords", "last_modified_by", "category")
        yield document_item(
            self.name,
            path,
            text,
            metadata=metadata,
            headings=headings,
            details={key: properties[key] for key in kept if key in properties},
            timestamp=properties.get("created") or properties.get("modified"),
            author=properties.get("author"),
            title=properties.get("title"),
        )
