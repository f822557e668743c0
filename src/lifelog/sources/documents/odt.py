"""OpenDocument text (``.odt``, ``.ott``): LibreOffice's and OpenOffice's documents.

An ``.odt`` is a zip holding ``content.xml`` (the body) and ``meta.xml`` (title,
author, dates). The body is read in document order: headings, paragraphs, list items
(as ``- ``), tables (one line per row, cells joined by `` | ``), sections, text boxes,
and footnote bodies in place; spaces (``text:s``), tabs and line breaks as written.
Headings stay paragraphs of the text and are also listed as ``[level, text]`` in
``metadata["headings"]``. Left out: comments (``office:annotation``), tracked
deletions, images and embedded objects, headers and footers (``styles.xml``).

The whole file is one item of kind ``document``: title from the metadata, else the
first heading, else the file name; author from ``dc:creator`` (else the initial
creator); timestamp the creation date, else the modification date, else the file's
mtime. Keyed by the file name, like the other document readers.

Safety: the zip is opened with the project's archive helpers (member count and
directory size bounded); ``content.xml`` and ``meta.xml`` are refused when larger than
``MAX_XML_BYTES`` uncompressed or compressed suspiciously well (a zip bomb), and an XML
part that declares a DOCTYPE or entities (``nasty.odt``'s entity bomb) is refused
unparsed. A damaged part is one ``Skip``; a file that is not a zip raises
``SourceError``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ...archive import ZIP_ERRORS, check_zip_member, open_zip
from ...records import Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import MAX_TEXT, iso_time
from .item import document_item

__all__ = ["OdtSource", "odt_text"]

#: content.xml or meta.xml larger than this, uncompressed, is refused
MAX_XML_BYTES = 64 * 1024 * 1024
#: nesting followed at most (deeper elements are read as plain text)
MAX_DEPTH = 200

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#: the first member of an ODF package, stored: ``mimetype`` and the document's type
_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.text"
_REFUSED = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)

#: elements whose text is never part of the document's text
_LEFT_OUT = {
    f"{{{_OFFICE}}}annotation",
    f"{{{_OFFICE}}}annotation-end",
    f"{{{_TEXT}}}tracked-changes",
    f"{{{_TEXT}}}note-citation",
    f"{{{_TEXT}}}sequence-decls",
    f"{{{_TEXT}}}variable-decls",
    f"{{{_TEXT}}}user-field-decls",
    f"{{{_OFFICE}}}forms",
    f"{{{_DRAW}}}image",
    f"{{{_DRAW}}}object",
}
_BLOCKS = {f"{{{_TEXT}}}p", f"{{{_TEXT}}}h"}


class _Refused(Exception):
    """A part that must not be parsed (the message says why)."""


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise _Refused(f"no {name} in the package") from error
    problem = check_zip_member(info, MAX_XML_BYTES)
    if problem:
        raise _Refused(f"{name}: {problem}")
    try:
        with archive.open(info) as handle:
            data = handle.read(MAX_XML_BYTES + 1)
    except ZIP_ERRORS as error:
        raise _Refused(f"{name}: damaged zip member: {error}") from error
    if _REFUSED.search(data[:65536]) or (b"<!ENTITY" in data):
        raise _Refused(f"{name}: declares a DOCTYPE or entities (possible entity bomb)")
    return data


def _parse(data: bytes, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise _Refused(f"{name}: malformed XML: {error}") from error


class _Writer:
    """Text of an ODF body, block by block."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.size = 0

    def add(self, text: str) -> None:
        if text.strip() and self.size <= MAX_TEXT:
            self.blocks.append(text)
            self.size += len(text) + 2

    def inline(self, element: ElementTree.Element, out: list[str], depth: int) -> None:
        """The text of a paragraph's content, spaces and breaks as ODF writes them."""
        tag = element.tag
        if tag in _LEFT_OUT:
            return
        if tag == f"{{{_TEXT}}}s":
            out.append(" " * min(int(element.get(f"{{{_TEXT}}}c", "1") or 1), 1000))
        elif tag == f"{{{_TEXT}}}tab":
            out.append("\t")
        elif tag == f"{{{_TEXT}}}line-break":
            out.append("\n")
        elif element.text:
            out.append(element.text)
        for child in element:
            if depth < MAX_DEPTH:
                if child.tag in _BLOCKS or child.tag == f"{{{_TABLE}}}table":
                    inner = _Writer()
                    inner.block(child, depth + 1, "")
                    out.append(" " + " ".join(inner.blocks) + " ")
                else:
                    self.inline(child, out, depth + 1)
            if child.tail:
                out.append(child.tail)

    def block(self, element: ElementTree.Element, depth: int, bullet: str) -> None:
        tag = element.tag
        if tag in _LEFT_OUT or depth > MAX_DEPTH:
            return
        if tag in _BLOCKS:
            parts: list[str] = []
            self.inline(element, parts, depth)
            text = "".join(parts).strip(" ")
            if tag == f"{{{_TEXT}}}h" and text.strip() and len(self.headings) < 1000:
                level = element.get(f"{{{_TEXT}}}outline-level", "1")
                self.headings.append((int(level) if level.isdigit() else 1, text.strip()[:300]))
            self.add(bullet + text if text.strip() else "")
            return
        if tag == f"{{{_TABLE}}}table-row":
            cells: list[str] = []
            for cell in element:
                if cell.tag == f"{{{_TABLE}}}table-cell":
                    inner = _Writer()
                    for child in cell:
                        inner.block(child, depth + 1, "")
                    cells.append(" ".join(b.strip() for b in inner.blocks))
            if any(cells):
                self.add(" | ".join(cells).rstrip(" |"))
            return
        nesting = len(bullet) // 2  # lists around this one, from the bullet's indent
        if tag == f"{{{_TEXT}}}list":
            for child in element:
                self.block(child, depth + 1, "  " * nesting + "- ")
            return
        for child in element:  # a list item, a section, a frame, a text box ...
            self.block(child, depth + 1, bullet)


def odt_text(content: ElementTree.Element) -> tuple[list[str], list[tuple[int, str]]]:
    """``(blocks of text, headings)`` of a ``content.xml`` root, in document order."""
    writer = _Writer()
    body = content.find(f"{{{_OFFICE}}}body")
    text = body.find(f"{{{_OFFICE}}}text") if body is not None else None
    for child in text if text is not None else []:
        writer.block(child, 1, "")
    return writer.blocks, writer.headings


def _properties(meta: ElementTree.Element) -> dict[str, Any]:
    found: dict[str, Any] = {}
    node = meta.find(f"{{{_OFFICE}}}meta")
    if node is None:
        return found
    for key, tag in (
        ("title", f"{{{_DC}}}title"),
        ("author", f"{{{_DC}}}creator"),
        ("initial_creator", f"{{{_META}}}initial-creator"),
        ("subject", f"{{{_DC}}}subject"),
        ("description", f"{{{_DC}}}description"),
        ("language", f"{{{_DC}}}language"),
    ):
        value = node.findtext(tag)
        if value and value.strip():
            found[key] = " ".join(value.split())[:1000]
    keywords = [k.text.strip() for k in node.findall(f"{{{_META}}}keyword") if k.text]
    if keywords:
        found["keywords"] = keywords[:100]
    for key, tag in (("created", f"{{{_META}}}creation-date"), ("modified", f"{{{_DC}}}date")):
        moment = iso_time(node.findtext(tag))
        if moment is not None:
            found[key] = moment
    return found


class OdtSource(Source):
    name = "odt"
    description = "OpenDocument text (.odt): paragraphs, headings, lists, tables, properties"
    extensions = (".odt", ".ott")

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(b"PK"):
            return False
        return path.suffix.lower() in self.extensions or _MIMETYPE in head[:100]

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        with open_zip(path) as archive:
            try:
                content = _parse(_read_part(archive, "content.xml"), "content.xml")
                blocks, headings = odt_text(content)
            except _Refused as refused:
                yield Skip(file, "document", str(refused))
                return
            try:
                meta = _properties(_parse(_read_part(archive, "meta.xml"), "meta.xml"))
            except _Refused:
                meta = {}
        text = clean_text("\n\n".join(blocks))
        if not text.strip():
            yield Skip(file, "document", "the document has no text")
            return
        kept = ("subject", "description", "keywords", "language")
        yield document_item(
            self.name,
            path,
            text,
            metadata={"format": "odt", "file": path.name},
            headings=headings,
            details={key: meta[key] for key in kept if key in meta},
            timestamp=meta.get("created") or meta.get("modified"),
            author=meta.get("author") or meta.get("initial_creator"),
            title=meta.get("title"),
        )
