"""PDF: documents written by the tests (text layer, scans, outline, encryption), broken files."""

from __future__ import annotations

import os
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.documents.pdf import PdfSource, page_ranges, tesseract

SOURCE = PdfSource()


def make_pdf(pages: list[str | None | bytes]) -> bytes:
    """A minimal valid PDF. Each page: text (a text layer), None (an image only, like a
    scan) or bytes (a raw, possibly broken, FlateDecode content stream)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog, pages_obj = add(b""), add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    image = add(
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream"
    )
    kids = []
    for page in pages:
        extra = b""
        if page is None:
            stream = b"q 100 0 0 100 50 50 cm /Im1 Do Q"
        elif isinstance(page, bytes):
            stream, extra = page, b" /Filter /FlateDecode"
        else:
            lines = []
            for number, line in enumerate(page.split("\n")):
                escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                lines.append(f"BT /F1 12 Tf 72 {720 - 16 * number} Td ({escaped}) Tj ET")
            stream = "\n".join(lines).encode("latin-1")
        content = add(
            b"<< /Length %d%s >>\nstream\n" % (len(stream), extra) + stream + b"\nendstream"
        )
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                % (pages_obj, content, font, image)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)


def report(path: Path, pages: list[str | None | bytes], password: str | None = None) -> Path:
    """A PDF with metadata, an outline and roman page labels for the front matter."""
    plain = path.with_suffix(".plain.pdf")
    plain.write_bytes(make_pdf(pages))
    writer = PdfWriter(clone_from=plain)
    writer.add_metadata(
        {
            "/Title": "Microsoft Word - Trip report",
            "/Author": "Melanie",
            "/CreationDate": "D:20230619100000+02'00'",
            "/Keywords": "camping, beach",
        }
    )
    writer.add_outline_item(title="Preface", page_number=0)
    writer.add_outline_item(title="The trip", page_number=1)
    writer.set_page_label(0, 0, style="/r")
    if len(pages) > 1:
        writer.set_page_label(1, len(pages) - 1, style="/D", start=1)
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
    writer.write(path)
    plain.unlink()
    return path


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


@pytest.fixture
def no_ocr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert tesseract() is None


def test_one_item_per_page_with_metadata(tmp_path: Path, no_ocr: None) -> None:
    path = report(tmp_path / "trip.pdf", ["Preface text", "We went camping (at the beach).", ""])
    assert isinstance(detect(path), PdfSource)
    items, skips = parse(path)
    assert skips == []  # the blank third page is passed over silently
    preface, trip = items
    assert preface.text == "Preface text"
    assert trip.text == "We went camping (at the beach)."
    assert preface.title == "Trip report \u2014 p. i" and trip.title == "Trip report \u2014 p. 1"
    assert trip.kind == "document" and trip.author == "Melanie"
    assert trip.timestamp == datetime(2023, 6, 19, 8, 0, tzinfo=UTC)
    assert trip.locator == "page 2" and trip.uri and trip.uri.endswith("trip.pdf#page=2")
    assert trip.metadata["page"] == 2 and trip.metadata["pages"] == 3
    assert trip.metadata["page_label"] == "1" and trip.metadata["section"] == "The trip"
    assert trip.metadata["keywords"] == "camping, beach"
    assert preface.thread == trip.thread
    assert trip.key.startswith("trip.pdf") and trip.key.endswith("/page 2")


def test_keys_follow_the_document_not_the_folder(tmp_path: Path, no_ocr: None) -> None:
    path = report(tmp_path / "a.pdf", ["one"], password="")  # encryption adds an /ID
    other = tmp_path / "copy"
    other.mkdir()
    (other / "a.pdf").write_bytes(path.read_bytes())
    first, second = parse(path)[0][0], parse(other / "a.pdf")[0][0]
    assert first.id == second.id and "#" in first.key  # name#<pdf id>/page 1


def test_scanned_pages_without_ocr_are_reported_once(tmp_path: Path, no_ocr: None) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([None, None, "typed page", None]))
    items, skips = parse(path)
    assert [i.text for i in items] == ["typed page"]
    (skip,) = skips
    assert skip.position == "pages 1-2, 4" and "install tesseract" in skip.reason
    assert skip.file == str(path)


def test_scanned_pages_with_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "tesseract"
    fake.write_text('#!/bin/sh\n[ -s "$1" ] && echo "Recognised words from the scan"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tools))
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([None, "typed"]))
    items, skips = parse(path)
    assert skips == []
    assert items[0].text.strip() == "Recognised words from the scan"
    assert items[0].metadata["ocr"] is True and "ocr" not in items[1].metadata


def test_encrypted_documents(tmp_path: Path, no_ocr: None) -> None:
    items, _ = parse(report(tmp_path / "open.pdf", ["readable"], password=""))
    assert [i.text for i in items] == ["readable"]
    items, skips = parse(report(tmp_path / "locked.pdf", ["secret"], password="hunter2"))
    assert items == [] and "password" in skips[0].reason and skips[0].position == "document"


def test_a_broken_page_is_skipped_and_the_rest_imported(tmp_path: Path, no_ocr: None) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(make_pdf(["first", b"x\x9c\xff\xfe this is not deflate data", "third"]))
    items, skips = parse(path)
    assert [i.text for i in items] == ["first", "third"]
    assert [(s.position, s.reason) for s in skips] == [("page 2", "page content cannot be decoded")]


def test_unreadable_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a pdf at all")
    with pytest.raises(SourceError, match="garbage.pdf"):
        list(SOURCE.parse(garbage))
    with pytest.raises(SourceError, match="missing.pdf"):
        list(SOURCE.parse(tmp_path / "missing.pdf"))


def test_truncated_file(tmp_path: Path, no_ocr: None) -> None:
    whole = make_pdf(["alpha page", "beta page", "gamma page"])
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: whole.index(b"xref")])  # no cross-reference table, no trailer
    with pytest.raises(SourceError, match="cut.pdf: cannot read PDF .damaged or cut short"):
        list(SOURCE.parse(path))


def test_page_ranges() -> None:
    assert page_ranges([7, 1, 2, 3, 9, 10]) == "1-3, 7, 9-10"
    assert page_ranges([]) == ""


SEED = make_pdf(["hello world", None, "more text"])


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.binary(max_size=8)), max_size=6),
    tail=st.integers(10, len(SEED)),
)
def test_damaged_documents_never_crash(cuts: list[tuple[int, bytes]], tail: int) -> None:
    data = bytearray(SEED[:tail])
    for offset, junk in cuts:
        data[offset : offset + len(junk)] = junk
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.pdf"
        path.write_bytes(bytes(data))
        saved = os.environ.get("PATH", "")
        os.environ["PATH"] = folder  # no OCR tools
        try:
            assert_parses_or_names_file(SOURCE, path)
        finally:
            os.environ["PATH"] = saved
