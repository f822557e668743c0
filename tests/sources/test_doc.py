"""Word 97-2003 .doc: files written by LibreOffice 7.4's "MS Word 97" filter (see
data/doc/), text in five scripts with a hyperlink field and a table, properties, the
refusals (encrypted, Word 95), damage."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

pytest.importorskip("olefile")

from lifelog.records import Item, Skip  # noqa: E402 - after the optional dependency's check
from lifelog.sources import detect  # noqa: E402
from lifelog.sources.archive import ArchiveSource  # noqa: E402
from lifelog.sources.documents.doc import DocSource  # noqa: E402

SOURCE = DocSource()
DATA = Path(__file__).parent / "data" / "doc"
TRIP = DATA / "family_trip.doc"
LATIN = DATA / "notes_latin.doc"


def test_text_in_five_scripts_fields_and_tables() -> None:
    found = detect(TRIP)
    assert found is not None and found.name == "doc"
    items, skips = split_records(SOURCE, TRIP)
    assert skips == []
    (item,) = items
    assert item.title == "가족 여행 계획 — План поездки" and item.author == "김민준"
    text = item.text
    assert text.startswith("제주도 가족 여행\n우리는 7월에 제주도에 갑니다.")
    assert "Бабушка приедет во вторник." in text
    assert "Подробности на сайте поездки." in text  # the link's text, not its field code
    assert "HYPERLINK" not in text and "example.org" not in text
    assert "سنلتقي في المطار" in text and "我们在济州岛住三天。" in text
    assert "7월 3일\n한라산" in text  # table cells
    assert "Café crème — naïve résumé." in text
    assert item.metadata["comments"] == "Jeju trip"


def test_a_latin_only_document_and_the_same_inside_a_zip(tmp_path: Path) -> None:
    (item,) = [r for r in SOURCE.parse(LATIN) if isinstance(r, Item)]
    assert item.text == (
        "Shopping list for Saturday\nBread, cheese, apples, coffee (the good one).\n"
        "Call the plumber about the kitchen sink."
    )
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(LATIN, "old/notes_latin.doc")
    (zipped,) = [r for r in ArchiveSource().parse(archive) if isinstance(r, Item)]
    assert zipped.id == item.id and zipped.text == item.text


def _word_stream_offset(data: bytes) -> int:
    """Where the WordDocument stream (its FIB, 0xA5EC) starts in the file."""
    for at in range(512, len(data), 512):
        if data[at : at + 2] == b"\xec\xa5":
            return at
    raise AssertionError("no FIB")


def test_encrypted_and_word95_are_refused_with_a_reason(tmp_path: Path) -> None:
    data = bytearray(TRIP.read_bytes())
    fib = _word_stream_offset(bytes(data))
    encrypted = bytearray(data)
    encrypted[fib + 0x0B] |= 0x01  # fEncrypted
    path = tmp_path / "locked.doc"
    path.write_bytes(bytes(encrypted))
    (skip,) = SOURCE.parse(path)
    assert isinstance(skip, Skip) and "encrypted" in skip.reason
    old = bytearray(data)
    old[fib + 2 : fib + 4] = (100).to_bytes(2, "little")  # nFib of Word 95
    path = tmp_path / "word95.doc"
    path.write_bytes(bytes(old))
    (skip,) = SOURCE.parse(path)
    assert isinstance(skip, Skip) and "Word 95" in skip.reason


def test_damaged_files(tmp_path: Path) -> None:
    data = TRIP.read_bytes()
    cut = tmp_path / "cut.doc"
    cut.write_bytes(data[: len(data) // 2])
    assert_parses_or_names_file(SOURCE, cut)
    not_ole = tmp_path / "plain.doc"
    not_ole.write_text("an old text file called .doc", encoding="utf-8")
    assert detect(not_ole) is None or detect(not_ole).name != "doc"  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 12288), st.binary(min_size=1, max_size=64))
def test_mutated_files_never_crash(at: int, junk: bytes) -> None:
    data = bytearray(TRIP.read_bytes())
    data[at : at + len(junk)] = junk
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.doc"
        path.write_bytes(bytes(data))
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
