"""EPUB: books written by the tests (EPUB 2 and 3), broken and hostile archives."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.base import read_head
from lifelog.sources.documents import epub
from lifelog.sources.documents.epub import EpubSource

SOURCE = EpubSource()
CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def chapter(body: str, title: str = "x") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{title}</title></head><body>{body}</body></html>"
    )


def package(items: str, spine: str, metadata: str | None = None, version: str = "3.0") -> str:
    metadata = metadata or (
        '<dc:identifier id="bid">urn:isbn:9780000000001</dc:identifier>'
        "<dc:title>Summer Book</dc:title><dc:creator>Ann Author</dc:creator>"
        "<dc:creator>Bo Writer</dc:creator><dc:language>en</dc:language>"
        "<dc:publisher>Small Press</dc:publisher><dc:date>2019-05-01</dc:date>"
    )
    return (
        f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="{version}" '
        'unique-identifier="bid"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'{metadata}</metadata><manifest>{items}</manifest><spine toc="ncx">{spine}</spine>'
        "</package>"
    )


def make_epub(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def book3(path: Path, **extra: str | bytes) -> Path:
    """An EPUB 3 book: cover, two chapters (the second split in two files), nav document."""
    items = (
        '<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2b" href="text/ch2_split.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        '<item id="img" href="cover.jpg" media-type="image/jpeg"/>'
    )
    spine = "".join(
        f'<itemref idref="{i}"/>' for i in ("cover", "nav", "c1", "c2", "c2b", "img", "c1")
    )
    files: dict[str, str | bytes] = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/content.opf": package(items, spine),
        "OEBPS/cover.xhtml": chapter('<img src="cover.jpg" alt="Cover"/>'),
        "OEBPS/nav.xhtml": chapter(
            '<nav epub:type="toc"><ol><li><a href="text/ch1.xhtml">1. The Beach</a></li>'
            '<li><a href="text/ch2.xhtml#start">2. The Dunes</a></li></ol></nav>'
        ),
        "OEBPS/text/ch1.xhtml": chapter(
            "<section><header><h1>The Beach</h1></header><p>We went camping in June.</p>"
            "<nav><p>Chapter-local navigation is text of the book.</p></nav></section>"
            "<script>alert(1)</script>"
        ),
        "OEBPS/text/ch2.xhtml": chapter("<h2>The Dunes</h2><p>The kids loved the dunes.</p>"),
        "OEBPS/text/ch2_split.xhtml": chapter("<p>More about the dunes &amp; the sea.</p>"),
    }
    files.update(extra)
    return make_epub(path, files)


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_epub3_chapters_in_reading_order(tmp_path: Path) -> None:
    path = book3(tmp_path / "summer.epub")
    assert SOURCE.sniff(path, read_head(path)) and isinstance(detect(path), EpubSource)
    items, skips = parse(path)
    assert skips == []
    assert [i.title for i in items] == [
        "Summer Book \u2014 1. The Beach",
        "Summer Book \u2014 2. The Dunes",
        "Summer Book \u2014 2. The Dunes",  # a split file carries on its chapter
    ]
    first, second, third = items
    assert first.kind == "book" and first.author == "Ann Author, Bo Writer"
    assert first.text == (
        "The Beach\n\nWe went camping in June.\n\nChapter-local navigation is text of the book."
    )
    assert third.text == "More about the dunes & the sea."
    assert first.key == "urn:isbn:9780000000001/OEBPS/text/ch1.xhtml"
    assert first.thread == second.thread == "epub:urn:isbn:9780000000001"
    assert first.timestamp == datetime(2019, 5, 1, tzinfo=UTC)
    assert first.metadata["authors"] == ["Ann Author", "Bo Writer"]
    assert first.metadata["publisher"] == "Small Press" and first.metadata["language"] == "en"
    assert first.locator == "OEBPS/text/ch1.xhtml (part 2 of 5)"


def test_epub2_ncx_and_fallback_titles(tmp_path: Path) -> None:
    items = (
        '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
        '<item id="a" href="a%20b.html" media-type="application/xhtml+xml"/>'
        '<item id="b" href="b.html" media-type="application/xhtml+xml"/>'
        '<item id="c" href="c.html" media-type="application/xhtml+xml"/>'
    )
    ncx = (
        '<?xml version="1.0"?><!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" '
        '"http://www.daisy.org/z3986/2005/ncx-2005-1.dtd"><ncx '
        'xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap><navPoint id="p1">'
        '<navLabel><text>Opening</text></navLabel><content src="a%20b.html"/></navPoint>'
        "</navMap></ncx>"
    )
    path = make_epub(
        tmp_path / "old.epub",
        {
            "META-INF/container.xml": CONTAINER,
            "OEBPS/content.opf": package(
                items,
                '<itemref idref="a"/><itemref idref="b"/><itemref idref="c"/>',
                "<dc:title>Old Book</dc:title><dc:creator>Someone</dc:creator>",
                version="2.0",
            ),
            "OEBPS/toc.ncx": ncx,
            "OEBPS/a b.html": chapter("<p>first</p>"),
            "OEBPS/b.html": chapter("<h1>Heading B</h1><p>second</p>"),
            "OEBPS/c.html": chapter("<p>third</p>"),
        },
    )
    items_, skips = parse(path)
    assert skips == []
    assert [i.metadata["chapter"] for i in items_] == ["Opening", "Heading B", "Heading B"]
    # no identifier: title and authors make the key
    assert items_[0].key == "Old Book / Someone/OEBPS/a b.html"


def test_broken_package_falls_back_to_archive_order(tmp_path: Path) -> None:
    path = make_epub(
        tmp_path / "broken.epub",
        {
            "META-INF/container.xml": CONTAINER,
            "OEBPS/content.opf": "<package><metadata><dc:title>unclosed",
            "OEBPS/one.xhtml": chapter("<p>one</p>"),
            "OEBPS/two.xhtml": chapter("<p>two</p>"),
        },
    )
    items, skips = parse(path)
    assert [i.text for i in items] == ["one", "two"]
    assert skips[0].position == "package document" and "malformed XML" in skips[0].reason
    assert items[0].key == "broken.epub/OEBPS/one.xhtml"


def test_hostile_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><x>&b;</x>'
    path = book3(
        tmp_path / "hostile.epub",
        **{"META-INF/encryption.xml": bomb},
    )
    items, skips = parse(path)
    assert len(items) == 3
    assert any("entity" in s.reason for s in skips)
    # a chapter outside the package, a DRM-encrypted one and a zip bomb
    items_xml = (
        '<item id="evil" href="../../../etc/passwd" media-type="application/xhtml+xml"/>'
        '<item id="drm" href="drm.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="big" href="big.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="ok" href="ok.xhtml" media-type="application/xhtml+xml"/>'
    )
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
        '<enc:CipherData><enc:CipherReference URI="OEBPS/drm.xhtml"/></enc:CipherData>'
        "</enc:EncryptedData></encryption>"
    )
    monkeypatch.setattr(epub, "MAX_CHAPTER_BYTES", 1_000_000)
    path = make_epub(
        tmp_path / "evil.epub",
        {
            "META-INF/container.xml": CONTAINER,
            "META-INF/encryption.xml": encryption,
            "OEBPS/content.opf": package(
                items_xml, "".join(f'<itemref idref="{i}"/>' for i in ("evil", "drm", "big", "ok"))
            ),
            "OEBPS/drm.xhtml": b"\x8a\x00 encrypted bytes",
            "OEBPS/big.xhtml": "<p>" + "a" * 5_000_000 + "</p>",
            "OEBPS/ok.xhtml": chapter("<p>fine</p>"),
        },
    )
    items, skips = parse(path)
    assert [i.text for i in items] == ["fine"]
    reasons = {s.position: s.reason for s in skips}
    assert "DRM" in reasons["OEBPS/drm.xhtml"]
    assert "too large" in reasons["OEBPS/big.xhtml"]
    assert "etc/passwd" not in str(reasons)


def test_not_a_zip_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.epub"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceError, match="fake.epub"):
        list(SOURCE.parse(path))
    with pytest.raises(SourceError, match="gone.epub"):
        list(SOURCE.parse(tmp_path / "gone.epub"))


def test_damaged_member_is_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    path = book3(tmp_path / "damaged.epub")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("OEBPS/text/ch2.xhtml")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(data))
    items, skips = parse(path)
    assert [i.metadata["href"] for i in items] == [
        "OEBPS/text/ch1.xhtml",
        "OEBPS/text/ch2_split.xhtml",
    ]
    assert skips[0].position == "OEBPS/text/ch2.xhtml"
    assert "damaged zip member" in skips[0].reason and skips[0].file == str(path)


NAMES = st.sampled_from(
    [
        "META-INF/container.xml",
        "OEBPS/content.opf",
        "OEBPS/a.xhtml",
        "OEBPS/toc.ncx",
        "OEBPS/nav.xhtml",
        "../x",
        "META-INF/encryption.xml",
    ]
)
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            CONTAINER,
            package(
                '<item id="a" href="a.xhtml" media-type="application/xhtml+xml"/>',
                '<itemref idref="a"/>',
            ),
            chapter("<p>x</p>"),
            "<ncx><navMap><navPoint><content src='../../x'/></navPoint></navMap></ncx>",
        ]
    ),
)


@settings(max_examples=80, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.dictionaries(NAMES, VALUES, max_size=6))
def test_arbitrary_books_never_crash(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        path = Path(folder) / "fuzz.epub"
        path.write_bytes(buffer.getvalue())
        records_of(SOURCE, path)
