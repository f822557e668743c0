"""EPUB books (``.epub``, versions 2 and 3): one item per chapter, in reading order.

The book is read in place from its zip (nothing is extracted) with the standard
library only: ``META-INF/container.xml`` names the package document (OPF), whose
Dublin Core metadata gives the title, the authors (``dc:creator``), the language,
the publisher, the identifier and the date; its spine gives the reading order.
Chapter titles come from the table of contents (EPUB 3 ``nav`` document, else the
EPUB 2 NCX), else the chapter's first heading, else the previous chapter's title
(files split by converters), else ``part N``. Each spine document with text
becomes an item of kind ``book`` titled ``<book> — <chapter>``, its XHTML turned
into text (see :mod:`lifelog.sources.htmltext`); spine documents without text (a
cover picture) are passed over.

Keys are ``<book identifier>/<chapter path>`` (identifier: the package's
``unique-identifier``, else title and authors, else the file name), so the same
book imported from anywhere updates in place. ``thread`` groups a book's chapters.

Safety: every member is checked against zip bombs (size, compression ratio) before
it is read; paths leaving the package are refused; XML with entity declarations
is refused (no billion laughs) and no DTD is ever fetched; members listed in
``META-INF/encryption.xml`` (DRM; obfuscated fonts aside) are reported, not read.
A malformed or missing OPF is reported and the book's (X)HTML files are read in
archive order instead.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from ...archive import ZIP_ERRORS, check_zip_member, open_zip
from ...records import Item, Skip
from ..base import MAX_ITEM_TEXT as MAX_TEXT
from ..base import Parsed, Source, clean_text, file_uri
from ..dates import parse_note_date
from ..htmltext import decode_html, html_to_text, toc_links

__all__ = ["EpubSource"]

#: an XML member (container, OPF, NCX) larger than this is not read
MAX_XML_BYTES = 8 * 1024 * 1024
#: a chapter larger than this (uncompressed) is skipped
MAX_CHAPTER_BYTES = 32 * 1024 * 1024
#: bytes read from one book at most, all members together
MAX_BOOK_BYTES = 512 * 1024 * 1024
#: spine entries read at most
MAX_SPINE = 5000

_HTML_TYPES = ("application/xhtml+xml", "text/html", "application/x-dtbook+xml")
_FONT_OBFUSCATION = (
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
)


class _Refused(Exception):
    """A member that must not be read (the message says why)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _parse_xml(data: bytes) -> ElementTree.Element:
    if b"<!ENTITY" in data:
        raise _Refused("XML entity declarations are not allowed (possible entity bomb)")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise _Refused(f"malformed XML: {error}") from error


@dataclass
class _Book:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    identifier: str | None = None
    language: str | None = None
    publisher: str | None = None
    date: datetime | None = None
    #: (zip path, media type) of each spine document, in reading order
    spine: list[tuple[str, str]] = field(default_factory=list)
    #: zip path -> table-of-contents label (first one wins)
    toc: dict[str, str] = field(default_factory=dict)


class _Reader:
    """Bounded reads from the book's zip."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = {info.filename: info for info in archive.infolist()}
        self.total = 0

    def read(self, name: str, limit: int) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise _Refused("missing from the archive")
        problem = check_zip_member(info, limit)
        if problem:
            raise _Refused(problem)
        if self.total + info.file_size > MAX_BOOK_BYTES:
            raise _Refused(f"book larger than {MAX_BOOK_BYTES // 1024**2} MB uncompressed")
        try:
            with self.archive.open(info) as handle:
                data = handle.read(limit + 1)
        except ZIP_ERRORS as error:
            raise _Refused(f"damaged zip member: {error}") from error
        self.total += len(data)
        return data[:limit]


def _resolve(base: str, href: str) -> str | None:
    """The zip path ``href`` (relative to the folder ``base``) points at, or None."""
    target = unquote(href.split("#", 1)[0]).strip()
    if not target or "://" in target or target.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(base, target))
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def _text_of(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())[:1000]


def _read_metadata(book: _Book, package: ElementTree.Element) -> None:
    unique = package.get("unique-identifier")
    for element in package.iter():
        name = _local(element.tag) if isinstance(element.tag, str) else ""
        value = _text_of(element) if name in _DC else ""
        if not value:
            if name == "meta" and element.get("property") == "dcterms:modified":
                book.date = book.date or parse_note_date(_text_of(element))
            continue
        if name == "title" and book.title is None:
            book.title = value
        elif name == "creator" and len(book.authors) < 20:
            book.authors.append(value)
        elif name == "identifier" and (book.identifier is None or element.get("id") == unique):
            book.identifier = value
        elif name == "language" and book.language is None:
            book.language = value
        elif name == "publisher" and book.publisher is None:
            book.publisher = value
        elif name == "date":
            moment = parse_note_date(value)
            if moment is not None and ("publication" in str(element.attrib) or not book.date):
                book.date = moment


_DC = frozenset(("title", "creator", "identifier", "language", "publisher", "date"))


def _read_package(reader: _Reader, opf_path: str, book: _Book) -> tuple[str | None, str | None]:
    """Fill ``book`` from the OPF; ``(nav path, ncx path)``."""
    package = _parse_xml(reader.read(opf_path, MAX_XML_BYTES))
    base = posixpath.dirname(opf_path)
    _read_metadata(book, package)
    manifest: dict[str, tuple[str, str, str]] = {}
    nav = ncx = None
    spine_toc = None
    itemrefs: list[ElementTree.Element] = []
    for element in package.iter():
        name = _local(element.tag) if isinstance(element.tag, str) else ""
        if name == "item":
            target = _resolve(base, element.get("href", ""))
            if target is None or not element.get("id"):
                continue
            media = element.get("media-type", "").lower()
            properties = element.get("properties", "")
            manifest[element.get("id", "")] = (target, media, properties)
            if "nav" in properties.split():
                nav = target
            if media == "application/x-dtbncx+xml":
                ncx = ncx or target
        elif name == "spine":
            spine_toc = element.get("toc")
        elif name == "itemref" and len(itemrefs) < MAX_SPINE:
            itemrefs.append(element)
    if spine_toc and spine_toc in manifest:
        ncx = manifest[spine_toc][0]
    seen: set[str] = set()
    for ref in itemrefs:
        entry = manifest.get(ref.get("idref", ""))
        if entry is None or entry[0] in seen or "nav" in entry[2].split():
            continue
        seen.add(entry[0])
        book.spine.append((entry[0], entry[1]))
    return nav, ncx


def _read_toc(reader: _Reader, book: _Book, nav: str | None, ncx: str | None) -> None:
    if nav:
        markup, _, _ = decode_html(reader.read(nav, MAX_XML_BYTES))
        base = posixpath.dirname(nav)
        for href, text in toc_links(markup):
            target = _resolve(base, href)
            if target and text:
                book.toc.setdefault(target, text)
    if ncx and not book.toc:
        root = _parse_xml(reader.read(ncx, MAX_XML_BYTES))
        base = posixpath.dirname(ncx)
        for point in root.iter():
            if not isinstance(point.tag, str) or _local(point.tag) != "navpoint":
                continue
            label: str | None = None
            content: str | None = None
            for child in point:
                name = _local(child.tag) if isinstance(child.tag, str) else ""
                if name == "navlabel":
                    label = _text_of(child)
                elif name == "content":
                    content = child.get("src")
            target = _resolve(base, content or "")
            if target and label:
                book.toc.setdefault(target, label)


def _encrypted(reader: _Reader) -> set[str]:
    """Members encrypted with DRM (font obfuscation does not count)."""
    if "META-INF/encryption.xml" not in reader.names:
        return set()
    root = _parse_xml(reader.read("META-INF/encryption.xml", MAX_XML_BYTES))
    found: set[str] = set()
    for data in root.iter():
        if not isinstance(data.tag, str) or _local(data.tag) != "encrypteddata":
            continue
        method = next(
            (
                e.get("Algorithm", "")
                for e in data.iter()
                if _local(str(e.tag)) == "encryptionmethod"
            ),
            "",
        )
        if method in _FONT_OBFUSCATION:
            continue
        for ref in data.iter():
            if _local(str(ref.tag)) == "cipherreference" and ref.get("URI"):
                target = _resolve("", ref.get("URI", ""))
                if target:
                    found.add(target)
    return found


def _opf_path(reader: _Reader) -> str:
    container = _parse_xml(reader.read("META-INF/container.xml", MAX_XML_BYTES))
    for element in container.iter():
        if isinstance(element.tag, str) and _local(element.tag) == "rootfile":
            media = element.get("media-type", "application/oebps-package+xml")
            target = _resolve("", element.get("full-path", ""))
            if target and "oebps-package" in media:
                return target
    raise _Refused("container.xml names no package document")


class EpubSource(Source):
    name = "epub"
    description = "EPUB e-books: one item per chapter, with title and authors"
    extensions = (".epub",)

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".epub" and head.startswith(b"PK")

    def parse(self, path: Path) -> Iterator[Parsed]:
        with open_zip(path) as archive:
            yield from self._parse(path, _Reader(archive))

    def _parse(self, path: Path, reader: _Reader) -> Iterator[Parsed]:
        book = _Book()
        file = str(path)
        try:
            opf = _opf_path(reader)
            nav, ncx = _read_package(reader, opf, book)
        except _Refused as error:
            yield Skip(file, "package document", f"{error}; reading the chapters in archive order")
            book = _Book(
                spine=[
                    (name, "text/html")
                    for name in reader.names
                    if name.lower().endswith((".xhtml", ".html", ".htm"))
                ][:MAX_SPINE]
            )
            nav = ncx = None
        try:
            _read_toc(reader, book, nav, ncx)
        except _Refused as error:
            yield Skip(file, "table of contents", str(error))
        try:
            drm = _encrypted(reader)
        except _Refused as error:
            yield Skip(file, "META-INF/encryption.xml", str(error))
            drm = set()
        yield from self._chapters(path, reader, book, drm)

    def _chapters(
        self, path: Path, reader: _Reader, book: _Book, drm: set[str]
    ) -> Iterator[Parsed]:
        file = str(path)
        title = book.title or path.stem
        identity = book.identifier or (
            f"{book.title} / {', '.join(book.authors)}" if book.title else path.name
        )
        try:
            moment = book.date or datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            moment = None
        previous: str | None = None
        number = 0
        for position, (member, media) in enumerate(book.spine, start=1):
            if media and not media.startswith(_HTML_TYPES):
                continue
            if member in drm:
                yield Skip(file, member, "chapter is encrypted (DRM); it cannot be read")
                continue
            try:
                data = reader.read(member, MAX_CHAPTER_BYTES)
            except _Refused as error:
                yield Skip(file, member, str(error))
                if "book larger" in str(error):
                    return
                continue
            markup, _, errors = decode_html(data)
            heading, text = html_to_text(markup)
            text = clean_text(text)
            if not text.replace("[", "").replace("]", "").strip() or _only_alts(text):
                continue
            number += 1
            chapter = book.toc.get(member) or heading or previous or f"part {number}"
            previous = chapter
            truncated = len(text) > MAX_TEXT
            metadata: dict[str, Any] = {
                "format": "epub",
                "file": path.name,
                "book": title,
                "chapter": chapter,
                "spine": position,
                "href": member,
            }
            for key, value in (
                ("authors", book.authors),
                ("language", book.language),
                ("publisher", book.publisher),
                ("identifier", book.identifier),
            ):
                if value:
                    metadata[key] = value
            if errors:
                metadata["encoding_errors"] = True
            if truncated:
                metadata["truncated"] = True
            yield Item(
                source=self.name,
                key=f"{identity}/{member}",
                kind="book",
                text=text[:MAX_TEXT],
                timestamp=moment,
                author=", ".join(book.authors) or None,
                title=f"{title} \u2014 {chapter}" if chapter != title else title,
                thread=f"epub:{identity}",
                uri=file_uri(path, member),
                locator=f"{member} (part {position} of {len(book.spine)})",
                metadata=metadata,
            )


def _only_alts(text: str) -> bool:
    """Text made only of image descriptions (``[cover]``)."""
    stripped = text.strip()
    return stripped.startswith("[") and stripped.endswith("]") and "\n\n" not in stripped
