"""Safari History.db, made with the tables Safari 17 creates (macOS 14)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from source_helpers import assert_parses_or_names_file, split_records

from lifelog.sources import detect
from lifelog.sources.web.safari import SafariHistorySource, core_data_time

SOURCE = SafariHistorySource()
BASE = datetime(2024, 5, 2, 9, 14, tzinfo=UTC)

# as Safari creates them (sqlite3 History.db .schema), with the neighbours it keeps
SAFARI_SCHEMA = """
CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT,url TEXT NOT NULL UNIQUE,
  domain_expansion TEXT NULL,visit_count INTEGER NOT NULL,daily_visit_counts BLOB NOT NULL,
  weekly_visit_counts BLOB NULL,autocomplete_triggers BLOB NULL,
  should_recompute_derived_visit_counts INTEGER NOT NULL,visit_count_score INTEGER NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT,history_item INTEGER NOT NULL
  REFERENCES history_items(id) ON DELETE CASCADE,visit_time REAL NOT NULL,title TEXT NULL,
  load_successful BOOLEAN NOT NULL DEFAULT 1,http_non_get BOOLEAN NOT NULL DEFAULT 0,
  synthesized BOOLEAN NOT NULL DEFAULT 0,redirect_source INTEGER NULL UNIQUE REFERENCES
  history_visits(id) ON DELETE CASCADE,redirect_destination INTEGER NULL UNIQUE REFERENCES
  history_visits(id) ON DELETE CASCADE,origin INTEGER NOT NULL DEFAULT 0,
  generation INTEGER NOT NULL DEFAULT 0,attributes INTEGER NOT NULL DEFAULT 0,
  score INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_tombstones (id INTEGER PRIMARY KEY AUTOINCREMENT,start_time REAL NOT NULL,
  end_time REAL NOT NULL,url TEXT,generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE metadata (key TEXT NOT NULL UNIQUE, value);
CREATE INDEX history_visits__last_visit ON history_visits (history_item, visit_time DESC);
"""


def core(moment: datetime) -> float:
    return (moment - datetime(2001, 1, 1, tzinfo=UTC)).total_seconds()


def make_safari(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SAFARI_SCHEMA)
    items = [
        (1, "https://www.apple.com/", "apple"),
        (2, "http://apple.com/", "apple"),
        (3, "https://developer.apple.com/documentation/swift", "apple"),
    ]
    for item_id, url, domain in items:
        db.execute(
            "INSERT INTO history_items (id, url, domain_expansion, visit_count,"
            " daily_visit_counts, should_recompute_derived_visit_counts, visit_count_score)"
            " VALUES (?, ?, ?, 2, x'', 0, 100)",
            (item_id, url, domain),
        )
    visits = [  # id, item, time, title, loaded, redirect destination
        (1, 2, BASE, None, 1, 2),  # http://apple.com/ redirected to https: left out
        (2, 1, BASE + timedelta(seconds=1), "Apple", 1, None),
        (3, 1, BASE + timedelta(hours=3), "Apple", 1, None),
        (4, 3, BASE + timedelta(minutes=5), "Swift | Apple Developer Documentation", 1, None),
        (5, 3, BASE + timedelta(minutes=6), None, 0, None),  # a failed load: left out
    ]
    for vid, item_id, moment, title, loaded, destination in visits:
        db.execute(
            "INSERT INTO history_visits (id, history_item, visit_time, title, load_successful,"
            " redirect_destination) VALUES (?, ?, ?, ?, ?, ?)",
            (vid, item_id, core(moment), title, loaded, destination),
        )
    db.commit()
    db.close()
    return path


def test_visits_grouped_per_page_per_day(tmp_path: Path) -> None:
    items, skips = split_records(SOURCE, make_safari(tmp_path / "History.db"))
    assert not skips
    assert [i.title for i in items] == ["Apple", "Swift | Apple Developer Documentation"]
    apple = items[0]
    assert apple.kind == "visit" and apple.source == "safari"
    assert apple.text.splitlines()[:2] == [
        "Visited “Apple” — https://www.apple.com/",
        "2 visits on 2024-05-02 (first 09:14, last 12:14 UTC)",
    ]
    assert apple.timestamp == BASE + timedelta(seconds=1)
    assert apple.metadata["browser"] == "Safari"
    assert items[1].metadata["visits"] == 1  # the failed load is not a visit


def test_recognised_by_its_tables_whatever_its_name(tmp_path: Path) -> None:
    renamed = make_safari(tmp_path / "3e1a3a2b8f7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e")
    found = detect(renamed)
    assert found is not None and found.name == "safari"


def test_damaged_database(tmp_path: Path) -> None:
    path = make_safari(tmp_path / "History.db")
    data = bytearray(path.read_bytes())
    data[len(data) // 2 :] = b"\x00" * (len(data) - len(data) // 2)
    path.write_bytes(bytes(data))
    assert_parses_or_names_file(SOURCE, path)
    cut = tmp_path / "cut" / "History.db"
    cut.parent.mkdir()
    cut.write_bytes(path.read_bytes()[:1500])
    assert_parses_or_names_file(SOURCE, cut)


def test_core_data_epoch() -> None:
    assert core_data_time(0) == datetime(2001, 1, 1, tzinfo=UTC)
    assert core_data_time(736_000_000.5) is not None
    assert core_data_time(float("nan")) is None and core_data_time("x") is None
    assert core_data_time(-1e12) is None
