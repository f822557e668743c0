"""Android's call log (calllog.db, contacts2.db): the calls table as AOSP's
CallLogDatabaseHelper creates it, calls in five scripts, found by tables; damage."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from source_helpers import assert_parses_or_names_file, split_records

from lifelog.sources import detect
from lifelog.sources.chat.android_calls import AndroidCallsSource

SOURCE = AndroidCallsSource()

# CallLogDatabaseHelper (AOSP packages/providers/ContactsProvider): the calls table and
# its neighbour in calllog.db
SCHEMA = """
CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT,
  presentation INTEGER NOT NULL DEFAULT 1, post_dial_digits TEXT NOT NULL DEFAULT '',
  via_number TEXT NOT NULL DEFAULT '', date INTEGER, duration INTEGER,
  data_usage INTEGER, type INTEGER, features INTEGER NOT NULL DEFAULT 0,
  subscription_component_name TEXT, subscription_id TEXT, phone_account_address TEXT,
  phone_account_hidden INTEGER NOT NULL DEFAULT 0, sub_id INTEGER DEFAULT -1, new INTEGER,
  name TEXT, numbertype INTEGER, numberlabel TEXT, countryiso TEXT, voicemail_uri TEXT,
  is_read INTEGER, geocoded_location TEXT, lookup_uri TEXT, matched_number TEXT,
  normalized_number TEXT, photo_id INTEGER NOT NULL DEFAULT 0, photo_uri TEXT,
  formatted_number TEXT, add_for_all_users INTEGER NOT NULL DEFAULT 1,
  last_modified INTEGER DEFAULT 0, _data TEXT, has_content INTEGER, mime_type TEXT,
  source_data TEXT, source_package TEXT, transcription TEXT, transcription_state INTEGER
  NOT NULL DEFAULT 0, state INTEGER, dirty INTEGER NOT NULL DEFAULT 0, deleted INTEGER
  NOT NULL DEFAULT 0, backed_up INTEGER NOT NULL DEFAULT 0, restored INTEGER NOT NULL
  DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0, is_omtp_voicemail INTEGER NOT NULL
  DEFAULT 0);
CREATE TABLE voicemail_status (_id INTEGER PRIMARY KEY AUTOINCREMENT, source_package TEXT
  NOT NULL, phone_account_component_name TEXT, phone_account_id TEXT, settings_uri TEXT,
  voicemail_access_uri TEXT, configuration_state INTEGER, data_channel_state INTEGER,
  notification_channel_state INTEGER);
"""

CALLS = [
    ("+82 10-1234-5678", 1714586531000, 125, 1, "김민준", "대한민국", "KR"),
    ("+7 495 123-45-67", 1714590000000, 0, 3, "Анна", "Москва", "RU"),
    ("+966 50 123 4567", 1714593600000, 42, 2, None, "الرياض", "SA"),
    ("+81 90-1234-5678", 1714597200000, 300, 1, "佐藤", "東京", "JP"),
    ("+86 138 0013 8000", 1714600800000, 0, 6, "王伟", "北京", "CN"),
]


def make_calllog(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO calls (number, date, duration, type, name, geocoded_location, countryiso)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        CALLS,
    )
    db.execute("INSERT INTO calls (number, date, duration, type) VALUES ('x', 'never', 1, 1)")
    db.commit()
    db.close()
    return path


def test_calls_in_five_scripts_found_by_tables(tmp_path: Path) -> None:
    path = make_calllog(tmp_path / "calllog.db")
    renamed = tmp_path / "backup-copy"
    renamed.write_bytes(path.read_bytes())
    for candidate in (path, renamed):
        found = detect(candidate)
        assert found is not None and found.name == "android_calls", candidate
    items, skips = split_records(SOURCE, path)
    assert [i.text for i in items] == [
        "Incoming call with 김민준 (+82 10-1234-5678), 2 min 5 s",
        "Missed call with Анна (+7 495 123-45-67)",
        "Outgoing call with +966 50 123 4567, 42 s",
        "Incoming call with 佐藤 (+81 90-1234-5678), 5 min 0 s",
        "Blocked call with 王伟 (+86 138 0013 8000)",
    ]
    assert items[0].timestamp == datetime(2024, 5, 1, 18, 2, 11, tzinfo=UTC)
    assert items[0].thread == "sms:+821012345678" and items[0].kind == "event"
    assert items[2].metadata["place"] == "الرياض" and items[4].metadata["call"] == "blocked"
    (skip,) = skips
    assert "call _id 6" == skip.position and "date" in skip.reason


def test_an_sms_database_is_not_a_call_log(tmp_path: Path) -> None:
    from test_android_sms import make_db

    found = detect(make_db(tmp_path / "mmssms.db"))
    assert found is not None and found.name == "android_sms"


def test_damaged_database(tmp_path: Path) -> None:
    data = bytearray(make_calllog(tmp_path / "calllog.db").read_bytes())
    cut = tmp_path / "cut.db"
    cut.write_bytes(bytes(data[: len(data) // 2]))
    assert_parses_or_names_file(SOURCE, cut)
    data[-800:] = b"\xff" * 800
    broken = tmp_path / "broken.db"
    broken.write_bytes(bytes(data))
    assert_parses_or_names_file(SOURCE, broken)
