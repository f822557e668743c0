"""Apple Notes NoteStore.sqlite: the schema and body encoding as the projects that read
it document them (see data/apple_notes/README.md), notes in five scripts, locked and
deleted notes counted, hostile bodies (gzip bombs, cut protobuf), damage."""

from __future__ import annotations

import gzip
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.records import Item
from lifelog.sources import detect
from lifelog.sources.notes.apple_notes import AppleNotesSource

SOURCE = AppleNotesSource()
EPOCH = 978307200

# the columns read, as iOS 15-17 / macOS 12-14 have them (ZICCLOUDSYNCINGOBJECT holds
# notes, folders and accounts; Z_ENT tells them apart through Z_PRIMARYKEY)
SCHEMA = """
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER,
  Z_MAX INTEGER);
CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZISPASSWORDPROTECTED INTEGER, ZMARKEDFORDELETION INTEGER, ZFOLDER INTEGER,
  ZNOTEDATA INTEGER, ZCREATIONDATE1 TIMESTAMP, ZCREATIONDATE3 TIMESTAMP,
  ZMODIFICATIONDATE1 TIMESTAMP, ZIDENTIFIER VARCHAR, ZSNIPPET VARCHAR, ZTITLE1 VARCHAR,
  ZTITLE2 VARCHAR, ZCRYPTOSALT BLOB, ZCRYPTOWRAPPEDKEY BLOB);
CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZNOTE INTEGER, ZCRYPTOINITIALIZATIONVECTOR BLOB, ZCRYPTOTAG BLOB, ZDATA BLOB);
"""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def body(text: str) -> bytes:
    """A ZDATA blob: gzip of NoteStoreProto{document(2){version(2)=0, note(3){text(2),
    attribute_run(5)}}}, with a varint field beside, as Notes writes."""
    note = _field(2, text.encode("utf-8")) + _field(5, b"\x08" + _varint(len(text)))
    document = _varint(2 << 3 | 0) + b"\x00" + _field(3, note)
    return gzip.compress(_varint(1 << 3 | 0) + b"\x00" + _field(2, document))


def make_notestore(path: Path, extra: list[tuple[int, str, str, bytes, int, int]] = ()) -> Path:  # type: ignore[assignment]
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, 0)", [(5, "ICFolder"), (11, "ICNote")]
    )
    db.execute("INSERT INTO ZICCLOUDSYNCINGOBJECT (Z_PK, Z_ENT, ZTITLE2) VALUES (1, 5, '여행')")
    notes = [
        (10, "E1F0A2B4-0001", "제주도 준비물", body("제주도 준비물\n비옷, 선크림, 보조 배터리")),
        (11, "E1F0A2B4-0002", "Список покупок", body("Список покупок\nхлеб, молоко\ufffc")),
        (12, "E1F0A2B4-0003", "", body("ملاحظات الاجتماع\n会議のメモ 会议记录")),
    ]
    for pk, ident, title, data in notes:
        db.execute(
            "INSERT INTO ZICCLOUDSYNCINGOBJECT (Z_PK, Z_ENT, ZFOLDER, ZIDENTIFIER, ZTITLE1,"
            " ZCREATIONDATE3, ZMODIFICATIONDATE1, ZISPASSWORDPROTECTED, ZMARKEDFORDELETION)"
            " VALUES (?, 11, 1, ?, ?, ?, ?, 0, 0)",
            (pk, ident, title or None, 735_000_000.5 + pk, 735_100_000.0),
        )
        db.execute("INSERT INTO ZICNOTEDATA (ZNOTE, ZDATA) VALUES (?, ?)", (pk, data))
    for pk, ident, title, data, locked, deleted in extra:
        db.execute(
            "INSERT INTO ZICCLOUDSYNCINGOBJECT (Z_PK, Z_ENT, ZFOLDER, ZIDENTIFIER, ZTITLE1,"
            " ZCREATIONDATE1, ZISPASSWORDPROTECTED, ZMARKEDFORDELETION)"
            " VALUES (?, 11, 1, ?, ?, 700000000, ?, ?)",
            (pk, ident, title, locked, deleted),
        )
        db.execute("INSERT INTO ZICNOTEDATA (ZNOTE, ZDATA) VALUES (?, ?)", (pk, data))
    db.commit()
    db.close()
    return path


def test_notes_in_five_scripts_found_by_tables(tmp_path: Path) -> None:
    path = make_notestore(tmp_path / "NoteStore.sqlite")
    renamed = tmp_path / "4f98687d8ab0d6d1a371110e6b7300f6e465bef2"
    renamed.write_bytes(path.read_bytes())
    for candidate in (path, renamed):
        found = detect(candidate)
        assert found is not None and found.name == "apple_notes", candidate
    items, skips = split_records(SOURCE, path)
    assert skips == []
    assert [i.key for i in items] == ["E1F0A2B4-0001", "E1F0A2B4-0002", "E1F0A2B4-0003"]
    assert items[0].text == "제주도 준비물\n비옷, 선크림, 보조 배터리"
    assert items[0].title == "제주도 준비물" and items[0].thread == "apple_notes:여행"
    assert items[0].timestamp == datetime.fromtimestamp(EPOCH + 735_000_010.5, UTC)
    assert items[1].text.endswith("хлеб, молоко[attachment]")
    assert items[2].title == "ملاحظات الاجتماع" and "会议记录" in items[2].text


def test_locked_deleted_and_hostile_bodies(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\x00" * (40 * 1024 * 1024))
    extra = [
        (20, "L", "locked", b"\x8a\x01encrypted-bytes", 1, 0),
        (21, "D", "deleted", body("gone"), 0, 1),
        (22, "B", "bomb", bomb, 0, 0),
        (23, "C", "cut", body("a note cut short")[:-12], 0, 0),
        (24, "P", "junk", gzip.compress(b"\x0a\xff\xff\xff\xff\x0f"), 0, 0),
        (25, "E", "encrypted, flag unset", b"\x01\x02\x03", 0, 0),
    ]
    path = make_notestore(tmp_path / "NoteStore.sqlite", extra)
    items, skips = split_records(SOURCE, path)
    assert len(items) == 3
    by_place = {s.position: s.reason for s in skips}
    assert "inflates past" in by_place["note 22"]
    assert "note 23" in by_place and "note 24" in by_place
    assert by_place["left out (notes)"] == (
        "1 notes in Recently Deleted, 2 password-protected notes left out"
    )


def test_a_body_too_large_is_named_and_the_rest_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lifelog.sources.notes.apple_notes.MAX_STORED_BYTES", 91)
    path = make_notestore(tmp_path / "NoteStore.sqlite")
    items, skips = split_records(SOURCE, path)
    assert [s.position for s in skips] == ["note 10"]  # the Korean note's body is 9x bytes
    assert "bytes: not read" in skips[0].reason and len(items) == 2


def test_damaged_database(tmp_path: Path) -> None:
    path = make_notestore(tmp_path / "NoteStore.sqlite")
    data = bytearray(path.read_bytes())
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(bytes(data[: len(data) // 2]))
    assert_parses_or_names_file(SOURCE, cut)
    data[-1500:] = b"\xff" * 1500
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(bytes(data))
    records = assert_parses_or_names_file(SOURCE, broken)
    assert all(isinstance(r, Item) or r.file == str(broken) for r in records)
