"""Word documents written by python-docx; damaged and hostile packages."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.documents import docx as docx_source
from lifelog.sources.documents.docx import DocxSource

SOURCE = DocxSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def minutes(path: Path) -> Path:
    document = docx.Document()
    properties = document.core_properties
    properties.title = "Camping plans"
    properties.author = "Alice Martin"
    properties.created = datetime(2022, 3, 4, 5, 6, 7)
    properties.keywords = "camping"
    document.add_heading("Meeting notes", 1)
    document.add_paragraph("We agreed to go camping in June.")
    table = document.add_table(rows=3, cols=2)
    for row, (who, what) in enumerate([("Who", "What"), ("Bob", "tent"), ("Eve", "")]):
        table.cell(row, 0).text = who
        table.cell(row, 1).text = what
    table.cell(2, 0).merge(table.cell(2, 1))
    inner = table.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "pegs"
    inner.cell(0, 1).text = "ropes"
    document.add_heading("Next steps", 2)
    document.add_paragraph("Book the site before May.")
    document.add_paragraph("")
    document.save(str(path))
    return path


def test_paragraphs_headings_tables_and_properties(tmp_path: Path) -> None:
    path = minutes(tmp_path / "minutes.docx")
    assert isinstance(detect(path), DocxSource)
    (item,), skips = parse(path)
    assert skips == []
    assert item.text == (
        "Meeting notes\n\nWe agreed to go camping in June.\n\n"
        "Who | What\nBob | tent pegs | ropes\nEve\n\n"
        "Next steps\n\nBook the site before May."
    )
    assert item.title == "Camping plans" and item.author == "Alice Martin"
    assert item.timestamp == datetime(2022, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert item.metadata["headings"] == [[1, "Meeting notes"], [2, "Next steps"]]
    assert item.metadata["keywords"] == "camping"
    assert item.key == "minutes.docx" and item.kind == "document"


def test_title_falls_back_to_heading_then_file_name(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = ""
    document.add_heading("Heading title", 1)
    document.add_paragraph("body")
    document.save(str(tmp_path / "a.docx"))
    (item,), _ = parse(tmp_path / "a.docx")
    assert item.title == "Heading title"
    document = docx.Document()
    document.add_paragraph("only body")
    document.save(str(tmp_path / "plain name.docx"))
    (item,), _ = parse(tmp_path / "plain name.docx")
    assert item.title == "plain name"


def test_damaged_and_hostile_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = minutes(tmp_path / "good.docx").read_bytes()
    # not a Word document at all
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "no word/document.xml" in parse(other)[1][0].reason
    # a malformed body
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data[: len(data) // 2]
            target.writestr(info, data)
    (skip,) = parse(broken)[1]
    assert skip.file == str(broken) and "damaged Word document" in skip.reason
    # a zip bomb: a highly compressible document.xml past the (lowered) limit
    monkeypatch.setattr(docx_source, "MAX_PART_BYTES", 1_000_000)
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * 5_000_000)
    assert "too large" in parse(bomb)[1][0].reason
    # an empty document
    empty = tmp_path / "empty.docx"
    docx.Document().save(str(empty))
    assert parse(empty)[1][0].reason == "the document has no text"


def test_unreadable_files(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"PK\x03\x04 nope")
    with pytest.raises(SourceError, match="fake.docx"):
        list(SOURCE.parse(fake))
    with pytest.raises(SourceError, match="gone.docx"):
        list(SOURCE.parse(tmp_path / "gone.docx"))


with tempfile.TemporaryDirectory() as _folder:
    SEED = minutes(Path(_folder) / "seed.docx").read_bytes()


@settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(
    member=st.sampled_from(["word/document.xml", "docProps/core.xml", "word/styles.xml"]),
    junk=st.binary(max_size=40),
    offset=st.integers(0, 3000),
)
def test_damaged_parts_never_crash(member: str, junk: bytes, offset: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.docx"
        with zipfile.ZipFile(io.BytesIO(SEED)) as source, zipfile.ZipFile(path, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == member:
                    data = data[:offset] + junk + data[offset + len(junk) :]
                target.writestr(info, data)
        records_of(SOURCE, path)
