"""iMessage chat.db: the real schema (subset), Apple dates, attributedBody, a copy only."""

from __future__ import annotations

import sqlite3
import tempfile
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.base import read_head
from lifelog.sources.chat.imessage import ImessageSource, apple_time, typedstream_text

SOURCE = ImessageSource()

# the tables and columns read, as macOS Ventura creates them (other columns left out)
SCHEMA = """
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL,
    country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT,
    UNIQUE (id, service));
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT,
    service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0,
    last_addressed_handle TEXT, display_name TEXT, group_id TEXT);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    text TEXT, replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0,
    subject TEXT, country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0,
    type INTEGER DEFAULT 0, service TEXT, account TEXT, account_guid TEXT,
    error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
    is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0,
    cache_has_attachments INTEGER DEFAULT 0, item_type INTEGER DEFAULT 0,
    other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0,
    associated_message_guid TEXT DEFAULT NULL, associated_message_type INTEGER DEFAULT 0,
    thread_originator_guid TEXT DEFAULT NULL, date_edited INTEGER DEFAULT 0);
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
    message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
    message_date INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id));
CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
    handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    created_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT,
    transfer_name TEXT, total_bytes INTEGER DEFAULT 0);
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID)
    ON DELETE CASCADE, attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE,
    UNIQUE(message_id, attachment_id));
"""


def attributed_body(text: str) -> bytes:
    """An NSAttributedString archived by NSArchiver (typedstream), as Messages writes it."""
    data = text.encode("utf-8")
    length = bytes([len(data)]) if len(data) < 0x80 else b"\x81" + len(data).to_bytes(2, "little")
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00"
        b"\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+"
        + length
        + data
        + b"\x86\x84\x02iI\x01\x05\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84"
        b"\x96\x96\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84"
        b"\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86"
    )


def apple_ns(moment: datetime) -> int:
    return int((moment - datetime(2001, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000_000


def build(path: Path, schema: str = SCHEMA) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.executescript(schema)
    return connection


def sample_db(path: Path) -> Path:
    db = build(path)
    db.executemany(
        "INSERT INTO handle (ROWID, id, service) VALUES (?, ?, ?)",
        [(1, "+15555550100", "iMessage"), (2, "tom@example.org", "iMessage")],
    )
    db.executemany(
        "INSERT INTO chat (ROWID, guid, style, chat_identifier, display_name) VALUES (?,?,?,?,?)",
        [
            (1, "iMessage;-;+15555550100", 45, "+15555550100", ""),
            (2, "iMessage;+;chat123", 43, "chat123", "Camping crew"),
        ],
    )
    db.executemany("INSERT INTO chat_handle_join VALUES (?, ?)", [(1, 1), (2, 1), (2, 2)])
    when = apple_ns(datetime(2023, 6, 19, 21, 15, 3, tzinfo=UTC))
    long_text = "Long story about the dunes 🏖️ " * 10
    rows: list[tuple[Any, ...]] = [
        # ROWID, guid, text, attributedBody, handle_id, date, is_from_me, service,
        # cache_has_attachments, item_type, group_title, assoc_type, assoc_guid, thread_orig
        (1, "G-1", "Back from camping! The kids loved the dunes.", None, 1, when, 0,
         "iMessage", 0, 0, None, 0, None, None),
        (2, "G-2", None, attributed_body("Great, café tomorrow? 🏕️"), 1, when + 60 * 10**9, 1,
         "iMessage", 0, 0, None, 0, None, "G-1"),
        (3, "G-3", None, attributed_body(long_text), 2, when + 120 * 10**9, 0, "iMessage",
         0, 0, None, 0, None, None),
        (4, "G-4", "\ufffc", None, 2, when + 180 * 10**9, 0, "iMessage", 1, 0, None, 0, None,
         None),
        (5, "G-5", "Loved “Back from camping!”", None, 1, when + 240 * 10**9, 0, "iMessage",
         0, 0, None, 2000, "p:0/G-1", None),
        (6, "G-6", None, None, 0, when + 300 * 10**9, 1, "iMessage", 0, 2, "Dune lovers", 0,
         None, None),
    ]  # fmt: skip
    db.executemany(
        "INSERT INTO message (ROWID, guid, text, attributedBody, handle_id, date, is_from_me,"
        " service, cache_has_attachments, item_type, group_title, associated_message_type,"
        " associated_message_guid, thread_originator_guid) VALUES"
        " (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.executemany(
        "INSERT INTO chat_message_join (chat_id, message_id) VALUES (?, ?)",
        [(1, 1), (1, 2), (2, 3), (2, 4), (1, 5), (2, 6)],
    )
    db.execute(
        "INSERT INTO attachment (ROWID, guid, filename, transfer_name) VALUES"
        " (1, 'A-1', '~/Library/Messages/Attachments/ab/IMG_0001.HEIC', 'IMG_0001.HEIC')"
    )
    db.execute("INSERT INTO message_attachment_join VALUES (4, 1)")
    db.commit()
    db.close()
    return path


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_messages_from_the_real_schema(tmp_path: Path) -> None:
    path = sample_db(tmp_path / "chat.db")
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    one, two, three, four, five, six = items
    assert one.key == "G-1" and one.author == "+15555550100"
    assert one.timestamp == datetime(2023, 6, 19, 21, 15, 3, tzinfo=UTC)
    assert one.thread == "imessage:iMessage;-;+15555550100" and one.title == "+15555550100"
    assert one.participants == ("+15555550100", "Me")
    assert two.text == "Great, café tomorrow? 🏕️" and two.author == "Me"
    assert two.metadata["from_attributed_body"] is True and two.metadata["reply_to"] == "G-1"
    assert three.text == "Long story about the dunes 🏖️ " * 10  # a 2-byte typedstream length
    assert three.title == "Camping crew"
    assert three.participants == ("+15555550100", "tom@example.org", "Me")
    assert four.text == "[attachment: IMG_0001.HEIC]"
    assert four.metadata["attachments"] == ["IMG_0001.HEIC"]
    assert five.metadata["reaction"] == "loved" and five.metadata["reaction_to"] == "p:0/G-1"
    assert (
        six.metadata["system"] is True and six.text == "[renamed the conversation to “Dune lovers”]"
    )
    assert one.locator == "message G-1"


def test_the_live_database_is_only_copied(tmp_path: Path) -> None:
    path = sample_db(tmp_path / "chat.db")
    live = sqlite3.connect(path)  # Messages is running: WAL mode, uncheckpointed rows
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute(
        "INSERT INTO message (guid, text, handle_id, date) VALUES ('G-7', 'in the wal', 1, 1)"
    )
    live.commit()
    assert (tmp_path / "chat.db-wal").stat().st_size > 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    items, _ = parse(path)
    assert items[-1].text == "in the wal"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    live.close()


def test_old_schema_seconds_and_missing_columns(tmp_path: Path) -> None:
    db = build(
        tmp_path / "chat.db",
        "CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT, service TEXT);"
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT,"
        " handle_id INTEGER, date INTEGER, is_from_me INTEGER);",
    )
    db.execute("INSERT INTO handle VALUES (1, 'ann@example.org', 'iMessage')")
    db.execute("INSERT INTO message VALUES (1, 'OLD-1', 'hello 2012', 1, 350000000, 0)")
    db.commit()
    db.close()
    items, skips = parse(tmp_path / "chat.db")
    assert skips == []
    # 978307200 is 2001-01-01 in Unix time
    assert items[0].timestamp == datetime.fromtimestamp(978307200 + 350000000, UTC)
    assert items[0].thread == "imessage:handle:ann@example.org"


def test_apple_time_and_typedstream_edges() -> None:
    assert apple_time(0) is None and apple_time(-5) is None and apple_time("x") is None
    assert apple_time(10**30) is None
    assert apple_time(1) == datetime(2001, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert apple_time(10**18) == apple_time(10**9)  # nanoseconds and seconds agree
    assert typedstream_text(None) is None and typedstream_text(b"") is None
    assert typedstream_text(b"NSString\x01\x94\x84\x01+\x81\xff\xff short") is None
    assert typedstream_text(attributed_body("x")[:-200]) is None
    assert typedstream_text(bytearray(attributed_body("ok"))) == "ok"


def test_bad_rows_are_skipped(tmp_path: Path) -> None:
    path = sample_db(tmp_path / "chat.db")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO message (guid, text, date) VALUES ('', 'no guid', 1)")
    db.execute("INSERT INTO message (guid, text, date) VALUES ('G-9', 'weird date', 'soon')")
    db.commit()
    db.close()
    items, skips = parse(path)
    assert [s.position for s in skips] == ["message ROWID 7"]
    assert items[-1].key == "G-9" and items[-1].timestamp is None


def test_unreadable_databases_raise(tmp_path: Path) -> None:
    garbage = tmp_path / "chat.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)
    with pytest.raises(SourceError, match="chat.db"):
        list(SOURCE.parse(garbage))
    other = tmp_path / "other.db"
    db = build(other, "CREATE TABLE t (x);")
    db.close()
    assert not SOURCE.sniff(other, read_head(other))
    with pytest.raises(SourceError, match="not a Messages database"):
        list(SOURCE.parse(other))
    with pytest.raises(SourceError, match="missing.db"):
        list(SOURCE.parse(tmp_path / "missing.db"))


@settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=20)),
            st.one_of(st.none(), st.binary(max_size=80), st.builds(attributed_body, st.text())),
            st.one_of(
                st.none(),
                st.integers(min_value=-(2**63), max_value=2**63 - 1),
                st.floats(allow_nan=True),
                st.text(max_size=5),
            ),
            st.integers(min_value=-2, max_value=5),
            st.one_of(st.none(), st.integers(min_value=0, max_value=3006)),
        ),
        max_size=6,
    ),
)
def test_arbitrary_rows_never_crash(rows: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chat.db"
        db = build(path)
        db.execute("INSERT INTO handle (ROWID, id, service) VALUES (1, 'x', 'SMS')")
        for n, (text, body, date, handle, assoc) in enumerate(rows):
            db.execute(
                "INSERT INTO message (guid, text, attributedBody, date, handle_id,"
                " associated_message_type, cache_has_attachments) VALUES (?,?,?,?,?,?,1)",
                (f"g{n}", text, body, date, handle, assoc),
            )
        db.commit()
        db.close()
        records_of(SOURCE, path)


@given(blob=st.binary(max_size=300))
def test_typedstream_never_crashes(blob: bytes) -> None:
    result = typedstream_text(b"NSString\x01\x94\x84\x01+" + blob)
    assert result is None or isinstance(result, str)


def rows(count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        yield (f"B-{n}", "lorem ipsum " * 100, 1, n * 10**9, n % 2)


def test_big_database_streams(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    db = build(path)
    db.execute("INSERT INTO handle (ROWID, id, service) VALUES (1, '+1555', 'SMS')")
    db.executemany(
        "INSERT INTO message (guid, text, handle_id, date, is_from_me) VALUES (?,?,?,?,?)",
        rows(8_000),
    )
    db.commit()
    db.close()
    size = path.stat().st_size
    tracemalloc.start()
    try:
        seen = sum(1 for r in SOURCE.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 8_000 and size > 9_000_000
    assert peak < size / 5, f"peak {peak} for {size} bytes"
