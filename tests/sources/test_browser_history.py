"""Browser history: Chrome's History and Firefox's places.sqlite in their real schemas, read
from a copy (in memory, or a private 0700 folder), grouped per page per day; locked, damaged,
encrypted and hostile databases end as a Skip or a SourceError, never a crash."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect, sqlitecopy
from lifelog.sources.base import read_head
from lifelog.sources.web.browser import (
    ChromeHistorySource,
    FirefoxHistorySource,
    prtime,
    search_terms,
    webkit_time,
)

CHROME = ChromeHistorySource()
FIREFOX = FirefoxHistorySource()

# Chrome's History tables, as Chrome 120+ creates them (downloads, segments ... left out)
CHROME_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,
    visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,
    last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,
    visit_time INTEGER NOT NULL,from_visit INTEGER,external_referrer_url TEXT,
    transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,
    visit_duration INTEGER DEFAULT 0 NOT NULL,
    incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,opener_visit INTEGER,
    originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,
    originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,
    consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,
    visited_link_id INTEGER DEFAULT 0 NOT NULL,app_id TEXT);
CREATE TABLE visit_source(id INTEGER PRIMARY KEY,source INTEGER NOT NULL);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,url_id INTEGER NOT NULL,
    term LONGVARCHAR NOT NULL,normalized_term LONGVARCHAR NOT NULL);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_time_index ON visits (visit_time);
CREATE INDEX urls_url_index ON urls (url);
"""

# Firefox's places.sqlite tables read (and neighbours), as Firefox 120+ creates them
FIREFOX_SCHEMA = """
CREATE TABLE moz_origins ( id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL,
    frecency INTEGER NOT NULL, recalc_frecency INTEGER NOT NULL DEFAULT 0,
    alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0,
    UNIQUE (prefix, host) );
CREATE TABLE moz_places (   id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,
    rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,
    typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
    last_visit_date INTEGER , guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL,
    url_hash INTEGER DEFAULT 0 NOT NULL , description TEXT, preview_image_url TEXT,
    site_name TEXT, origin_id INTEGER REFERENCES moz_origins(id),
    recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER,
    recalc_alt_frecency INTEGER NOT NULL DEFAULT 0);
CREATE TABLE moz_historyvisits (  id INTEGER PRIMARY KEY, from_visit INTEGER,
    place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER,
    source INTEGER DEFAULT 0 NOT NULL, triggeringPlaceId INTEGER);
CREATE TABLE moz_inputhistory (  place_id INTEGER NOT NULL, input LONGVARCHAR NOT NULL,
    use_count INTEGER, PRIMARY KEY (place_id, input));
CREATE TABLE moz_bookmarks (  id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER DEFAULT NULL,
    parent INTEGER, position INTEGER, title LONGVARCHAR, keyword_id INTEGER,
    folder_type TEXT, dateAdded INTEGER, lastModified INTEGER, guid TEXT,
    syncStatus INTEGER NOT NULL DEFAULT 0, syncChangeCounter INTEGER NOT NULL DEFAULT 1);
CREATE INDEX moz_historyvisits_placedateindex ON moz_historyvisits (place_id, visit_date);
"""

BASE = datetime(2024, 5, 2, 9, 14, tzinfo=UTC)


def webkit(moment: datetime) -> int:
    return int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)


def pr(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def make_chrome(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(CHROME_SCHEMA)
    pages = [
        (1, "https://www.gardenersworld.com/how-to/grow-plants/tomatoes/", "How to grow tomatoes"),
        (2, "https://www.google.com/search?q=tomato+blight&oq=tomato", "tomato blight - Google"),
        (3, "https://ads.example.net/frame", "ad frame"),
        (4, "https://news.ycombinator.com/", "Hacker News"),
    ]
    for pid, url, title in pages:
        db.execute(
            "INSERT INTO urls (id, url, title, visit_count, typed_count, last_visit_time)"
            " VALUES (?, ?, ?, 3, 1, ?)",
            (pid, url, title, webkit(BASE)),
        )
    visits = [
        # (url id, time, transition)
        (1, BASE, 0x30000001),  # typed, CHAIN_START|CHAIN_END
        (1, BASE + timedelta(hours=9), 0x30000008),  # reload, same day
        (1, BASE + timedelta(days=1), 0x30000000),  # a link, the next day
        (2, BASE + timedelta(minutes=5), 0x30000005),  # generated (omnibox search)
        (3, BASE + timedelta(minutes=6), 0x00000003),  # AUTO_SUBFRAME: an ad, not kept
        (4, BASE + timedelta(minutes=7), 0x30000000),
    ]
    for url_id, moment, transition in visits:
        db.execute(
            "INSERT INTO visits (url, visit_time, transition, visit_duration) VALUES (?,?,?,?)",
            (url_id, webkit(moment), transition, 42_000_000),
        )
    db.execute("INSERT INTO keyword_search_terms VALUES (2, 2, 'tomato blight', 'tomato blight')")
    db.commit()
    db.close()
    return path


def make_firefox(path: Path, *, keep_open: bool = False) -> sqlite3.Connection | None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(FIREFOX_SCHEMA)
    db.execute(
        "INSERT INTO moz_places (id, url, title, visit_count, typed, description, guid)"
        " VALUES (1, 'https://en.wikipedia.org/wiki/Dune_(novel)', 'Dune (novel) - Wikipedia',"
        " 2, 1, '1965 science fiction novel by Frank Herbert', 'aaaaaaaaaaaa')"
    )
    db.execute(
        "INSERT INTO moz_places (id, url, title, visit_count, guid)"
        " VALUES (2, 'https://duckduckgo.com/?q=sandworm+size&ia=web', 'sandworm size at"
        " DuckDuckGo', 1, 'bbbbbbbbbbbb')"
    )
    db.executemany(
        "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type, session)"
        " VALUES (?, ?, ?, 0)",
        [
            (1, pr(BASE), 2),
            (1, pr(BASE + timedelta(hours=1)), 1),
            (2, pr(BASE + timedelta(minutes=3)), 1),
            (2, pr(BASE + timedelta(minutes=4)), 4),  # EMBED: not kept
        ],
    )
    db.commit()
    if keep_open:
        return db
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return None


def items(records: list[Item | Skip]) -> list[Item]:
    return [r for r in records if isinstance(r, Item)]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp root of its own, so a test can see what a parse leaves there."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    yield root


def test_epochs() -> None:
    # 11644473600 s separate 1601-01-01 and 1970-01-01 (the documented FILETIME offset)
    assert webkit_time(13_358_000_000_000_000) == datetime.fromtimestamp(
        13_358_000_000 - 11_644_473_600, UTC
    )
    assert webkit_time(13_358_000_000_000_000) == datetime(2024, 4, 19, 11, 33, 20, tzinfo=UTC)
    assert prtime(1_714_641_240_000_000) == datetime(2024, 5, 2, 9, 14, tzinfo=UTC)
    for bad in (0, -1, None, "13358000000000000", True, 10**30, float("nan")):
        assert webkit_time(bad) is None
        assert prtime(bad) is None
    assert prtime(webkit(BASE)) is None  # a WebKit time read as PRTime lands past 2200


def test_search_terms() -> None:
    assert search_terms("https://www.google.com/search?q=tomato+blight") == "tomato blight"
    assert search_terms("https://www.youtube.com/results?search_query=dune+trailer") == (
        "dune trailer"
    )
    assert search_terms("https://example.com/?q=not+a+search+engine") is None
    assert search_terms("http://[::1") is None


def test_chrome_groups_visits_per_page_per_day(tmp_path: Path, private_tmp: Path) -> None:
    history = make_chrome(tmp_path / "History")
    before = hashlib.sha256(history.read_bytes()).hexdigest()
    records = list(CHROME.parse(history))
    assert not [r for r in records if isinstance(r, Skip)]
    found = items(records)
    by_title = {(i.title, i.metadata["day"]): i for i in found}
    assert len(found) == 4  # tomatoes x2 days, the search, HN; the ad frame is gone
    assert not any("ad frame" in i.text for i in found)
    tomatoes = by_title[("How to grow tomatoes", "2024-05-02")]
    assert tomatoes.kind == "visit" and tomatoes.source == "chrome"
    assert tomatoes.metadata["visits"] == 2
    assert tomatoes.metadata["typed"] is True
    assert tomatoes.metadata["transitions"] == ["reload", "typed"]
    assert tomatoes.metadata["seconds_on_page"] == 84.0
    assert tomatoes.timestamp == BASE
    assert "2 visits on 2024-05-02 (first 09:14, last 18:14 UTC)" in tomatoes.text
    assert "gardenersworld.com/how-to/grow-plants/tomatoes" in tomatoes.text
    assert tomatoes.thread == "chrome:www.gardenersworld.com"
    assert tomatoes.uri is not None and tomatoes.uri.startswith("file://")
    next_day = by_title[("How to grow tomatoes", "2024-05-03")]
    assert next_day.id != tomatoes.id and next_day.metadata["visits"] == 1
    search = by_title[("tomato blight - Google", "2024-05-02")]
    assert "Searched for: tomato blight" in search.text
    # the live file is untouched and no copy is left behind
    assert hashlib.sha256(history.read_bytes()).hexdigest() == before
    assert list(private_tmp.iterdir()) == []
    # stable ids: a second read gives the same items
    assert [i.id for i in items(list(CHROME.parse(history)))] == [i.id for i in found]


def test_firefox_wal_visits_not_yet_checkpointed_are_read(
    tmp_path: Path, private_tmp: Path
) -> None:
    places = tmp_path / "places.sqlite"
    writer = make_firefox(places, keep_open=True)
    assert writer is not None
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute(
            "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type, session)"
            " VALUES (1, ?, 1, 0)",
            (pr(BASE + timedelta(days=3)),),
        )
        writer.commit()
        wal = places.with_name("places.sqlite-wal")
        assert wal.stat().st_size > 0  # the newest visit is only in the -wal journal
        found = items(list(FIREFOX.parse(places)))
    finally:
        writer.close()
    days = sorted((i.title, i.metadata["day"]) for i in found)
    assert days == [
        ("Dune (novel) - Wikipedia", "2024-05-02"),
        ("Dune (novel) - Wikipedia", "2024-05-05"),
        ("sandworm size at DuckDuckGo", "2024-05-02"),
    ]
    dune = next(i for i in found if i.metadata["day"] == "2024-05-02" and "Dune" in (i.title or ""))
    assert dune.source == "firefox" and dune.metadata["visits"] == 2 and dune.metadata["typed"]
    assert "Frank Herbert" in dune.text  # the page description Firefox keeps
    worm = next(i for i in found if "sandworm" in (i.title or ""))
    assert worm.metadata["visits"] == 1  # the EMBED visit is not counted
    assert "Searched for: sandworm size" in worm.text
    assert list(private_tmp.iterdir()) == []


def test_firefox_checkpointed_wal_mode_file_is_read_in_memory(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = tmp_path / "places.sqlite"
    make_firefox(places)
    assert places.read_bytes()[18:20] == b"\x02\x02"  # WAL mode in the header
    made: list[str] = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kw: made.append("x") or real(**kw))
    assert len(items(list(FIREFOX.parse(places)))) == 2
    assert made == []  # nothing of the history touched the disk


def test_large_database_goes_through_a_private_folder_removed_afterwards(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = make_chrome(tmp_path / "History")
    monkeypatch.setattr(sqlitecopy, "MAX_IN_MEMORY", 1024)  # "too large" for memory
    stream = CHROME.parse(history)
    first = next(stream)
    assert isinstance(first, Item)
    (folder,) = list(private_tmp.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    rest = list(stream)
    assert len(rest) == 3
    assert list(private_tmp.iterdir()) == []


def test_a_database_locked_by_a_running_browser(tmp_path: Path, private_tmp: Path) -> None:
    history = make_chrome(tmp_path / "History")
    browser_conn = sqlite3.connect(history, isolation_level=None, timeout=0)
    try:
        browser_conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        browser_conn.execute("BEGIN EXCLUSIVE")
        browser_conn.execute(
            "INSERT INTO urls (url, title, last_visit_time) VALUES ('https://x.test/', 'x', 1)"
        )
        browser_conn.execute(
            "INSERT INTO visits (url, visit_time) VALUES (last_insert_rowid(), ?)",
            (webkit(BASE),),
        )
        blocked = sqlite3.connect(history, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            blocked.execute("SELECT count(*) FROM urls").fetchone()
        blocked.close()
        started = time.monotonic()
        found = items(list(CHROME.parse(history)))
        assert time.monotonic() - started < 5
        assert len(found) == 4  # the committed history; the open transaction is not seen
        assert not any("x.test" in i.text for i in found)
    finally:
        browser_conn.execute("ROLLBACK")
        browser_conn.close()
    assert list(private_tmp.iterdir()) == []


def test_a_hot_journal_beside_the_file_is_rolled_back_on_the_copy(
    tmp_path: Path, private_tmp: Path
) -> None:
    history = make_chrome(tmp_path / "History")
    journal = history.with_name("History-journal")
    journal.write_bytes(b"\x00" * 512)  # a zeroed (finished) journal: nothing to roll back
    assert len(items(list(CHROME.parse(history)))) == 4
    assert journal.read_bytes() == b"\x00" * 512
    assert list(private_tmp.iterdir()) == []


def test_damaged_databases_end_as_skip_or_source_error(tmp_path: Path) -> None:
    history = make_chrome(tmp_path / "History")
    data = bytearray(history.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # scribble over every page after the first
        data[start + 8 : start + 200] = os.urandom(192)
    history.write_bytes(bytes(data))
    try:
        records = list(CHROME.parse(history))
    except SourceError as error:  # the schema page itself was hit
        assert "History" in str(error) and "malformed" in str(error)
    else:
        skips = [r for r in records if isinstance(r, Skip)]
        assert skips and "damaged" in skips[-1].reason and skips[-1].file == str(history)

    cut = tmp_path / "cut" / "History"
    cut.parent.mkdir()
    make_chrome(cut)
    cut.write_bytes(cut.read_bytes()[:5000])
    with pytest.raises(SourceError, match="cut/History: not a readable SQLite database"):
        list(CHROME.parse(cut))


def test_not_a_history_database(tmp_path: Path) -> None:
    other = tmp_path / "History"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.commit()
    db.close()
    claimed = detect(other)  # named History: claimed by name, refused when read
    assert claimed is not None and claimed.name == "chrome"
    with pytest.raises(SourceError, match="not a Chrome history database"):
        list(CHROME.parse(other))
    text = tmp_path / "places.sqlite"
    text.write_text("not a database at all\n" * 100)
    with pytest.raises(SourceError):
        list(FIREFOX.parse(text))


def test_an_encrypted_database_is_a_clear_error(tmp_path: Path) -> None:
    sqlcipher3 = pytest.importorskip("sqlcipher3")
    history = tmp_path / "History"
    db = sqlcipher3.connect(str(history))
    db.execute("PRAGMA key = 'secret'")
    db.executescript(CHROME_SCHEMA)
    db.commit()
    db.close()
    assert not read_head(history).startswith(b"SQLite format 3")
    assert detect(history) is None or detect(history).name not in ("chrome", "firefox")
    with pytest.raises(SourceError, match="not a readable SQLite database"):
        list(CHROME.parse(history))


def test_detection(tmp_path: Path) -> None:
    chrome = make_chrome(tmp_path / "History")
    firefox = tmp_path / "places.sqlite"
    make_firefox(firefox)
    renamed = tmp_path / "backup.sqlite"
    renamed.write_bytes(chrome.read_bytes())
    found = {p.name: (detect(p).name if detect(p) else None) for p in (chrome, firefox, renamed)}
    assert found == {"History": "chrome", "places.sqlite": "firefox", "backup.sqlite": "chrome"}
    plain = tmp_path / "History.txt"
    plain.write_text("History of Rome\n")
    assert detect(plain) is None or detect(plain).name not in ("chrome", "firefox")
    other = tmp_path / "app.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE visits (id INTEGER)")  # a 'visits' table alone is not Chrome
    db.commit()
    db.close()
    assert detect(other) is None or detect(other).name not in ("chrome", "firefox")


def test_hostile_values(tmp_path: Path) -> None:
    history = tmp_path / "History"
    make_chrome(history)
    db = sqlite3.connect(history)
    db.execute(
        "INSERT INTO urls (id, url, title, last_visit_time) VALUES (9, ?, ?, 0)",
        ("data:text/html," + "A" * 3_000_000, b"\xff\xfe binary title"),
    )
    db.execute("INSERT INTO visits (url, visit_time, transition) VALUES (9, ?, 0)", (webkit(BASE),))
    db.execute("INSERT INTO visits (url, visit_time, transition) VALUES (4, 0, 0)")
    db.execute("INSERT INTO visits (url, visit_time, transition) VALUES (4, 'soon', 'x')")
    db.execute("INSERT INTO visits (url, visit_time, transition) VALUES (77, ?, 0)", (1,))
    db.commit()
    db.close()
    records = list(CHROME.parse(history))
    skips = [r for r in records if isinstance(r, Skip)]
    assert len(skips) == 2 and all("time out of range" in s.reason for s in skips)
    data_page = next(i for i in items(records) if i.metadata["url"].startswith("data:"))
    assert len(data_page.text) < 3000 and len(data_page.key) < 2100


@settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(min_size=0, max_size=6000),
    header=st.sampled_from(["magic", "chrome", "firefox"]),
)
def test_arbitrary_bytes_never_crash(body: bytes, header: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "History"
        if header != "magic":  # a real first page, garbage after
            made = Path(folder) / "made.sqlite"
            if header == "chrome":
                make_chrome(made)
            else:
                make_firefox(made)
            prefix = made.read_bytes()[:4096]
        else:
            prefix = b"SQLite format 3\x00" + body[:84]
        path.write_bytes(prefix + body)
        source = CHROME if header != "firefox" else FIREFOX
        started = time.monotonic()
        try:
            records = list(source.parse(path))
        except SourceError:
            records = []
        assert time.monotonic() - started < 5
        assert all(isinstance(r, Item | Skip) for r in records)


@pytest.mark.bench
def test_history_parse_speed(tmp_path: Path) -> None:
    """A heavy user's year: 200,000 visits to 20,000 pages (a few favourites most of the
    time) over 365 days."""
    import random
    import tracemalloc

    rng = random.Random(7)
    history = tmp_path / "History"
    db = sqlite3.connect(history)
    db.executescript(CHROME_SCHEMA)
    db.executemany(
        "INSERT INTO urls (id, url, title, last_visit_time) VALUES (?, ?, ?, 0)",
        ((n, f"https://site{n % 500}.example/page/{n}", f"Page number {n}") for n in range(20_000)),
    )
    start = webkit(datetime(2024, 1, 1, tzinfo=UTC))
    day = 86_400_000_000
    db.executemany(
        "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, ?)",
        (
            (
                min(int(rng.paretovariate(0.6)) - 1, 19_999),
                start + rng.randrange(365) * day + rng.randrange(day),
                rng.choice((0, 1, 8, 0x30000000)),
            )
            for _ in range(200_000)
        ),
    )
    db.commit()
    db.close()
    size = history.stat().st_size / 1e6
    started = time.perf_counter()
    count = sum(isinstance(r, Item) for r in CHROME.parse(history))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    again = sum(isinstance(r, Item) for r in CHROME.parse(history))
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(
        f"\nchrome history: {size:.1f} MB, 200000 visits -> {count} page-day items"
        f" in {seconds:.2f} s ({200_000 / seconds:,.0f} visits/s, {count / seconds:,.0f} items/s),"
        f" Python peak {peak:.0f} MB (SQLite holds one more copy of the file)"
    )
    assert count == again and 10_000 < count < 200_000


def test_a_query_running_too_long_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = make_chrome(tmp_path / "History")
    db = sqlite3.connect(history)
    db.executemany(
        "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, 0)",
        ((n % 4 + 1, webkit(BASE) + n * 1_000_000) for n in range(20_000)),
    )
    db.commit()
    db.close()
    monkeypatch.setattr(sqlitecopy, "MAX_SECONDS", -1.0)  # the deadline has already passed
    try:
        records = list(CHROME.parse(history))
    except SourceError as error:
        assert "interrupted" in str(error)
    else:
        skips = [r for r in records if isinstance(r, Skip)]
        assert len(skips) == 1 and "interrupted" in skips[0].reason


def test_a_view_posing_as_a_table_is_refused(tmp_path: Path) -> None:
    history = tmp_path / "History"
    db = sqlite3.connect(history)
    db.execute("CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, title TEXT)")
    db.execute(
        "CREATE VIEW visits AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
        " SELECT x AS id, 1 AS url, x AS visit_time FROM n"
    )
    db.commit()
    db.close()
    started = time.monotonic()
    with pytest.raises(SourceError, match="no table visits"):
        list(CHROME.parse(history))
    assert time.monotonic() - started < 2
