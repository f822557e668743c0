"""Firefox bookmarks, read from places.sqlite beside its history (Firefox 120+ schema)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from source_helpers import split_records
from test_browser_history import FIREFOX_SCHEMA, make_firefox, pr

from lifelog.sources.web.browser import FirefoxHistorySource

SOURCE = FirefoxHistorySource()
ADDED = datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC)


def add_bookmarks(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO moz_places (id, url, title, guid) VALUES"
        " (10, 'https://www.bbcgoodfood.com/recipes/ratatouille', 'Ratatouille recipe', 'p10'),"
        " (11, 'https://example.org/no-title', NULL, 'p11')"
    )
    folders = [  # id, type, fk, parent, position, title, guid (as Firefox creates its roots)
        (1, 2, None, 0, 0, "", "root________"),
        (2, 2, None, 1, 0, "menu", "menu________"),
        (3, 2, None, 1, 1, "toolbar", "toolbar_____"),
        (4, 2, None, 1, 2, "tags", "tags________"),
        (5, 2, None, 1, 3, "unfiled", "unfiled_____"),
        (6, 2, None, 3, 0, "Recipes", "f6"),
        (7, 1, 10, 6, 0, "Ratatouille (the good one)", "bm7"),
        (8, 2, None, 4, 0, "summer", "t8"),  # a tag: a folder under the tags root
        (9, 1, 10, 8, 0, None, "t9"),  # ... holding the tagged page
        (12, 3, None, 3, 1, None, "sep12"),  # a separator
        (13, 1, 11, 5, 0, None, "bm13"),
        (14, 1, 999, 5, 1, "dangling", "bm14"),  # its page is gone
    ]
    db.executemany(
        "INSERT INTO moz_bookmarks (id, type, fk, parent, position, title, guid, dateAdded,"
        " lastModified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, pr(ADDED), pr(ADDED)) for row in folders],
    )
    db.commit()
    db.close()


def test_bookmarks_are_read_beside_the_history(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    make_firefox(path)
    add_bookmarks(path)
    items, skips = split_records(SOURCE, path)
    visits = [i for i in items if i.kind == "visit"]
    marks = [i for i in items if i.kind == "bookmark"]
    assert len(visits) == 2  # the history is read as before
    assert [m.text for m in marks] == [
        "Bookmarked “Ratatouille (the good one)” — https://www.bbcgoodfood.com/recipes/ratatouille"
        "\nFolder: Bookmarks Toolbar / Recipes\nTags: summer",
        "Bookmarked https://example.org/no-title\nFolder: Other Bookmarks",
    ]
    first = marks[0]
    assert first.timestamp == ADDED and first.key == "bookmark/bm7" and first.source == "firefox"
    assert first.metadata["tags"] == ["summer"] and first.locator == "bookmark id 7"
    assert [(s.position, s.reason) for s in skips] == [
        ("bookmark id 14", "bookmark without an address")
    ]


def test_a_places_file_without_bookmarks_table_is_history_only(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    make_firefox(path)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE moz_bookmarks")
    db.commit()
    db.close()
    items, skips = split_records(SOURCE, path)
    assert items and all(i.kind == "visit" for i in items) and not skips


def test_a_bookmark_loop_and_hostile_values_do_not_hang(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    db = sqlite3.connect(path)
    db.executescript(FIREFOX_SCHEMA)
    db.execute("INSERT INTO moz_places (id, url, guid) VALUES (1, 'https://a.example/', 'g')")
    db.executemany(
        "INSERT INTO moz_bookmarks (id, type, fk, parent, title, guid, dateAdded)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (1, 2, None, 2, "A", "a", 1),  # two folders inside each other
            (2, 2, None, 1, "B", "b", 1),
            (3, 1, 1, 2, b"\xff bytes title", "c", "not a time"),
            (4, 1, 1, 2, "x" * 100_000, None, -5),
        ],
    )
    db.commit()
    db.close()
    items, _ = split_records(SOURCE, path)
    marks = [i for i in items if i.kind == "bookmark"]
    assert len(marks) == 2 and marks[0].timestamp is None
    assert marks[0].metadata["folder"] in ("A / B", "B / A")
