"""OpenDocument text: real files written by OpenOffice.org (odfpy's tests), hostile zips."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.documents import odt
from lifelog.sources.documents.odt import OdtSource

SOURCE = OdtSource()
DATA = Path(__file__).parent / "data" / "odt"
MIMETYPE = "application/vnd.oasis.opendocument.text"
NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def make_odt(path: Path, body: str, meta: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE)  # stored, first
        archive.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
            f"<office:body><office:text>{body}</office:text></office:body>"
            "</office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
        if meta is not None:
            archive.writestr("meta.xml", meta)
    return path


def test_spaces_tabs_and_breaks_as_written() -> None:
    items, skips = parse(DATA / "serious_poem.odt")
    assert not skips
    assert items[0].text.splitlines() == [
        "The boy stood    on the burning deck,",
        "\tWhence all\tbut\t\thim had fled.",
        "The flames   that lit\tthe battle's\twreck,",
        "            Shone o'er him, round the dead.",
    ]
    assert items[0].timestamp == datetime(2008, 7, 17, 19, 11, 5, tzinfo=UTC)


def test_tables_lists_headings_and_properties() -> None:
    (table,), _ = parse(DATA / "simpletable.odt")
    assert table.text == "Cell 1 | Cell 2\n\nCell 3 (bold) | Cell 4 (italic)"
    assert table.author == "Søren Roug"
    (lists,), _ = parse(DATA / "twolevellist.odt")
    assert lists.text.split("\n\n") == [
        "Line 1",
        "- Item A",
        "- Item B",
        "  - Subitem B.1",
        "  - Subitem B.2 (bold)",
        "- Item C",
        "Line 4",
    ]
    (heading,), _ = parse(DATA / "headerfooter.odt")
    assert heading.text == "Lorem ipsum" and heading.title == "Lorem ipsum"
    assert heading.metadata["headings"] == [[1, "Lorem ipsum"]]


def test_an_entity_bomb_is_refused_unparsed() -> None:
    items, skips = parse(DATA / "nasty.odt")
    assert not items
    assert skips[0].reason == "content.xml: declares a DOCTYPE or entities (possible entity bomb)"


def test_detected_by_content_when_renamed(tmp_path: Path) -> None:
    renamed = tmp_path / "poem.zip"
    renamed.write_bytes((DATA / "simpletable.odt").read_bytes())
    found = detect(renamed)
    assert found is not None and found.name == "odt"


def test_comments_and_footnote_marks_left_out_footnotes_kept(tmp_path: Path) -> None:
    path = make_odt(
        tmp_path / "notes.odt",
        "<text:p>Main<office:annotation><text:p>a comment</text:p></office:annotation> text"
        "<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>"
        "the footnote</text:p></text:note-body></text:note>.</text:p>",
        meta=(
            '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Notes</dc:title>'
            "<dc:date>2024-02-03T04:05:06</dc:date></office:meta></office:document-meta>"
        ),
    )
    (item,), _ = parse(path)
    assert item.text == "Main text the footnote ."
    assert item.title == "Notes" and item.timestamp == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_damaged_packages(tmp_path: Path) -> None:
    good = (DATA / "simpletable.odt").read_bytes()
    cut = tmp_path / "cut.odt"
    cut.write_bytes(good[: len(good) // 2])
    assert_parses_or_names_file(SOURCE, cut)
    corrupt = tmp_path / "corrupt.odt"
    make_odt(corrupt, "<text:p>" + "words " * 5000 + "</text:p>")
    with zipfile.ZipFile(corrupt) as archive:
        assert archive.infolist()[1].filename == "content.xml"
    data = bytearray(corrupt.read_bytes())
    with zipfile.ZipFile(corrupt) as archive:
        info = archive.getinfo("content.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 20 : start + 36] = b"\x00" * 16
    corrupt.write_bytes(bytes(data))
    items, skips = parse(corrupt)
    assert not items and "damaged" in skips[0].reason
    not_zip = tmp_path / "plain.odt"
    not_zip.write_bytes(b"PK\x03\x04 not really a zip")
    assert_parses_or_names_file(SOURCE, not_zip)
    missing = tmp_path / "missing.odt"
    with zipfile.ZipFile(missing, "w") as archive:
        archive.writestr("mimetype", MIMETYPE)
    items, skips = parse(missing)
    assert skips[0].reason == "no content.xml in the package"


def test_a_zip_bomb_and_deep_nesting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(odt, "MAX_XML_BYTES", 1024 * 1024)
    bomb = tmp_path / "bomb.odt"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", MIMETYPE)
        archive.writestr("content.xml", b"<a>" + b" " * (4 * 1024 * 1024) + b"</a>")
    items, skips = parse(bomb)
    assert not items and skips[0].reason.startswith("content.xml: zip member too large")
    deep = make_odt(
        tmp_path / "deep.odt",
        "<text:section>" * 5000
        + "<text:p>deep</text:p>"
        + "</text:section>" * 5000
        + "<text:p>shallow</text:p>",
    )
    items, _ = parse(deep)
    assert items[0].text.endswith("shallow")
