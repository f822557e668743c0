"""PDF documents: one item per page, so that every citation names its page.

The text layer of each page is extracted with pypdf. A page becomes an item of
kind ``document`` titled ``<document title> — p. <page label>`` (the printed page
number when the PDF defines page labels, else the page's position), with
``uri`` ``file:///…/doc.pdf#page=N`` (the PDF open parameter viewers understand)
and ``locator`` ``page N``. The pages of a document share its ``thread``. Title,
author, subject, keywords, producer and the creation date (else the modification
date, else the file's mtime: the timestamp of every page) come from the document
information dictionary; the outline (bookmarks) gives each page its ``section``.

Keys are ``<file name>#<first half of the PDF's /ID>/page N``: the /ID identifies a
document across copies and survives edits, so a re-import from another folder
updates in place.

Pages without a text layer (scans) are read with OCR when the ``tesseract``
binary is on ``PATH``: the page is rendered with ``pdftoppm`` (poppler) when
present, else its embedded images are extracted (Pillow) and read one by one;
``LIFELOG_OCR_LANG`` picks tesseract's languages (default ``eng``). Without
tesseract these pages are reported in one ``Skip`` naming them.

Limits: encrypted PDFs are opened with the empty password (most "protected"
PDFs only restrict printing); others are reported and skipped. At most
``MAX_PAGES`` pages are read; a document that takes longer than
``MAX_SECONDS`` stops there with a report; pypdf's own limits bound
decompression (no stream may inflate past 75 MB).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ...errors import SourceError
from ...records import Item, Skip
from ..base import MAX_ITEM_TEXT as MAX_TEXT
from ..base import Parsed, Source, clean_text, file_uri, to_utc

__all__ = ["PdfSource", "ocr_image", "page_ranges", "tesseract"]

#: pages read from one document at most
MAX_PAGES = 5000
#: seconds spent on one document at most (text extraction and OCR)
MAX_SECONDS = 600.0
#: seconds one OCR call (rendering or tesseract) may take
OCR_TIMEOUT = 120
#: images read by OCR from one page at most (when the page cannot be rendered)
MAX_OCR_IMAGES = 8

_TITLE_NOISE = ("Microsoft Word - ", "Microsoft PowerPoint - ", "Microsoft Excel - ")


def tesseract() -> str | None:
    """Path of the tesseract binary, if installed."""
    return shutil.which("tesseract")


def ocr_image(image: Path, languages: str | None = None) -> str | None:
    """Text tesseract reads in ``image``, or None when it is missing or fails."""
    binary = tesseract()
    if binary is None:
        return None
    lang = languages or os.environ.get("LIFELOG_OCR_LANG", "eng")
    try:
        result = subprocess.run(
            [binary, str(image), "stdout", "-l", lang],
            capture_output=True,
            timeout=OCR_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")


def page_ranges(pages: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    parts: list[str] = []
    start = previous = None
    for page in sorted(pages):
        if previous is not None and page == previous + 1:
            previous = page
            continue
        if start is not None:
            parts.append(f"{start}-{previous}" if previous != start else str(start))
        start = previous = page
    if start is not None:
        parts.append(f"{start}-{previous}" if previous != start else str(start))
    return ", ".join(parts)


def _ocr_page(path: Path, page: Any, number: int) -> str | None:
    """OCR of one page: rendered by pdftoppm, else its embedded images."""
    with tempfile.TemporaryDirectory(prefix="lifelog-ocr-") as folder:
        work = Path(folder)
        renderer = shutil.which("pdftoppm")
        if renderer is not None:
            try:
                subprocess.run(
                    [renderer, "-f", str(number), "-l", str(number), "-r", "300", "-png"]
                    + [str(path), str(work / "page")],
                    capture_output=True,
                    timeout=OCR_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                pass
            rendered = sorted(work.glob("page*.png"))
            if rendered:
                return ocr_image(rendered[0])
        texts: list[str] = []
        try:
            images = list(page.images)[:MAX_OCR_IMAGES]
        except Exception:  # broad on purpose: pypdf raises many types on broken images
            return None
        for index, image in enumerate(images):
            target = work / f"image{index}.png"
            try:
                image.image.save(target)
            except Exception:  # broad on purpose: Pillow or pypdf could not decode it
                continue
            text = ocr_image(target)
            if text and text.strip():
                texts.append(text.strip())
        return "\n\n".join(texts) if texts else None


def _scan_state(page: Any) -> str:
    """Why a page has no text: ``"image"`` (it draws pictures: a scan),
    ``"blank"``, or ``"broken"`` (its content cannot be decoded)."""
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        raw = page.get("/Contents")
        raw = raw.get_object() if raw is not None else None
        streams = list(raw) if isinstance(raw, list) else [raw]
        # pypdf logs and swallows a failed decompression: compare with the encoded size
        # (``_data`` holds a stream's raw bytes; pypdf has no public accessor for it)
        encoded = sum(len(getattr(s.get_object(), "_data", b"") or b"") for s in streams if s)
    except Exception:  # broad on purpose: pypdf raises many types on damaged streams
        return "broken"
    if not data and encoded:
        return "broken"
    if b"Do" not in data and b"BI" not in data:  # no XObject drawn, no inline image
        return "blank"
    return "image"


def _string(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()).strip()
    return text[:1000] or None


def _document_id(reader: Any) -> str | None:
    try:
        ids = reader.trailer.get("/ID")
        first = ids[0].get_object() if ids else None
    except Exception:  # broad on purpose: a damaged trailer
        return None
    if first is None:
        return None
    raw = getattr(first, "original_bytes", None)
    raw = raw if isinstance(raw, bytes) else str(first).encode("utf-8", "replace")
    if not raw.strip(b"\x00 "):
        return None  # all zeros: some generators write a constant id
    return raw.hex()[:64]


def _info(reader: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        info = reader.metadata
    except Exception:  # broad on purpose: a damaged information dictionary
        return found
    if info is None:
        return found
    for key, name in (
        ("title", "/Title"),
        ("author", "/Author"),
        ("subject", "/Subject"),
        ("keywords", "/Keywords"),
        ("producer", "/Producer"),
        ("creator", "/Creator"),
    ):
        try:
            value = _string(info.get(name))
        except Exception:  # broad on purpose: a damaged value
            value = None
        if value:
            found[key] = value
    for key, attribute in (("created", "creation_date"), ("modified", "modification_date")):
        try:
            moment = getattr(info, attribute)
        except Exception:  # broad on purpose: an unparseable date string
            moment = None
        if isinstance(moment, datetime):
            try:
                found[key] = to_utc(moment)
            except (OverflowError, ValueError):
                pass
    return found


def _sections(reader: Any, pages: int) -> dict[int, str]:
    """Page index -> title of the outline entry that starts there (first wins)."""
    found: dict[int, str] = {}
    try:
        pending = list(reader.outline)
    except Exception:  # broad on purpose: a damaged outline
        return found
    seen = 0
    while pending and seen < 5000:
        entry = pending.pop(0)
        seen += 1
        if isinstance(entry, list):
            pending[:0] = entry
            continue
        try:
            index = reader.get_destination_page_number(entry)
            title = _string(entry.title)
        except Exception:  # broad on purpose: a damaged value
            continue
        if title and isinstance(index, int) and 0 <= index < pages:
            found.setdefault(index, title)
    return found


def _labels(reader: Any, pages: int) -> list[str]:
    try:
        labels = list(reader.page_labels)
    except Exception:  # broad on purpose: a damaged /PageLabels tree
        labels = []
    if len(labels) != pages:
        return [str(n) for n in range(1, pages + 1)]
    return [str(label)[:40] or str(n) for n, label in enumerate(labels, start=1)]


class PdfSource(Source):
    name = "pdf"
    description = "PDF documents: the text layer page by page (OCR with tesseract)"
    extensions = (".pdf",)

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".pdf" or head[:1024].lstrip().startswith(b"%PDF-")

    def parse(self, path: Path) -> Iterator[Parsed]:
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        file = str(path)
        try:
            reader = PdfReader(path, strict=False)
            encrypted = reader.is_encrypted
        except (OSError, PyPdfError, ValueError, KeyError, TypeError, RecursionError) as error:
            raise SourceError(
                f"{path}: cannot read PDF (damaged or cut short?): {error}"
            ) from error
        if encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception as error:  # broad on purpose: unsupported algorithm, missing crypto
                yield Skip(file, "document", f"encrypted PDF that cannot be opened: {error}")
                return
            if not opened:
                yield Skip(file, "document", "encrypted PDF: a password is needed to read it")
                return
        try:
            count = len(reader.pages)
        except Exception as error:  # broad on purpose: a broken page tree
            yield Skip(file, "document", f"cannot read the page tree: {error}")
            return
        yield from self._pages(path, reader, count)

    def _pages(self, path: Path, reader: Any, count: int) -> Iterator[Parsed]:
        file = str(path)
        info = _info(reader)
        doc_id = _document_id(reader)
        key = f"{path.name}#{doc_id}" if doc_id else path.name
        title = info.get("title") or ""
        for noise in _TITLE_NOISE:
            title = title.removeprefix(noise)
        title = title or path.stem
        try:
            mtime: datetime | None = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            mtime = None
        moment = info.get("created") or info.get("modified") or mtime
        labels = _labels(reader, count)
        sections = _sections(reader, count)
        has_ocr = tesseract() is not None
        unread: list[int] = []
        started = time.monotonic()
        section = None
        for index in range(min(count, MAX_PAGES)):
            number = index + 1
            if time.monotonic() - started > MAX_SECONDS:
                yield Skip(
                    file,
                    f"pages {number}-{count}",
                    f"document took longer than {MAX_SECONDS:.0f} s; the rest was not read",
                )
                break
            section = sections.get(index, section)
            try:
                page = reader.pages[index]
                text = page.extract_text() or ""
            except Exception as error:  # broad on purpose: pypdf raises many types on bad pages
                yield Skip(file, f"page {number}", f"cannot extract text: {error}")
                continue
            ocr = False
            if not text.strip():
                state = _scan_state(page)
                if state == "broken":
                    yield Skip(file, f"page {number}", "page content cannot be decoded")
                    continue
                if state == "blank":
                    continue
                if not has_ocr:
                    unread.append(number)
                    continue
                text = _ocr_page(path, page, number) or ""
                ocr = True
                if not text.strip():
                    yield Skip(file, f"page {number}", "no text layer and OCR found no text")
                    continue
            text = clean_text(text)
            metadata: dict[str, Any] = {
                "format": "pdf",
                "file": path.name,
                "page": number,
                "pages": count,
                "document_title": title,
            }
            if labels[index] != str(number):
                metadata["page_label"] = labels[index]
            if section:
                metadata["section"] = section
            for name in ("subject", "keywords", "producer", "creator"):
                if name in info:
                    metadata[name] = info[name]
            if doc_id:
                metadata["pdf_id"] = doc_id
            if ocr:
                metadata["ocr"] = True
            if len(text) > MAX_TEXT:
                text = text[:MAX_TEXT]
                metadata["truncated"] = True
            yield Item(
                source=self.name,
                key=f"{key}/page {number}",
                kind="document",
                text=text,
                timestamp=moment,
                author=info.get("author"),
                title=f"{title} \u2014 p. {labels[index]}",
                thread=f"pdf:{key}",
                uri=file_uri(path, f"page={number}"),
                locator=f"page {number}",
                metadata=metadata,
            )
        if count > MAX_PAGES:
            yield Skip(
                file, f"pages {MAX_PAGES + 1}-{count}", f"only the first {MAX_PAGES} pages are read"
            )
        if unread:
            yield Skip(
                file,
                f"page{'s' if len(unread) > 1 else ''} {page_ranges(unread)}",
                f"{len(unread)} page(s) have no text layer (scanned?); "
                "install tesseract (and poppler-utils) to read them with OCR",
            )
