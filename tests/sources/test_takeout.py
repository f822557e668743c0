"""Google Takeout parts (files and archive members), the archive end to end, hostile input."""

from __future__ import annotations

import io
import json
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifelog import Memory
from lifelog.records import Item, Skip
from lifelog.samplelife.clock import epoch
from lifelog.samplelife.takeout import write_takeout
from lifelog.sources import detect
from lifelog.sources.takeout.activity import ActivitySource, YoutubeSource, html_date
from lifelog.sources.takeout.location import LocationSource
from lifelog.sources.takeout.takeout import KeepSource, TakeoutChromeSource

CHROME = TakeoutChromeSource()
KEEP = KeepSource()
YOUTUBE = YoutubeSource()
ACTIVITY = ActivitySource()
LOCATION = LocationSource()


def parse(source: Any, path: Path) -> tuple[list[Item], list[Skip]]:
    found = list(source.parse(path))
    return [r for r in found if isinstance(r, Item)], [r for r in found if isinstance(r, Skip)]


def write(path: Path, data: str | bytes | Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


# -- Chrome -------------------------------------------------------------------------------

CHROME_HISTORY = {
    "Browser History": [
        {
            "favicon_url": "https://sean.fish/favicon.ico",
            "page_transition": "LINK",
            "title": "sean",
            "url": "https://sean.fish",
            "client_id": "W1vSb98l403jhPeK==",
            "time_usec": 1617404690134513,
        },
        {"title": "no address", "time_usec": 1617404690134514},
        {"url": "https://example.org/", "time_usec": "not a time"},
        "not an object",
        {"url": "https://example.org/typed", "time_usec": "1617404790000000", "title": ""},
    ]
}


def test_chrome_history_visits(tmp_path: Path) -> None:
    path = write(tmp_path / "Takeout" / "Chrome" / "BrowserHistory.json", CHROME_HISTORY)
    assert detect(path) is not None and detect(path).name == "takeout_chrome"  # type: ignore[union-attr]
    items, skips = parse(CHROME, path)
    assert [i.title for i in items] == ["sean", "https://example.org/typed"]
    first = items[0]
    assert first.kind == "visit" and first.text == "sean\nhttps://sean.fish"
    assert first.timestamp == datetime(2021, 4, 2, 23, 4, 50, 134513, tzinfo=UTC)
    assert first.metadata == {
        "url": "https://sean.fish",
        "domain": "sean.fish",
        "transition": "LINK",
    }
    assert [s.position for s in skips] == [
        "Browser History entry 2",
        "Browser History entry 3",
        "Browser History entry 4",
    ]


def test_chrome_history_cut_short_keeps_the_visits_before(tmp_path: Path) -> None:
    text = json.dumps(CHROME_HISTORY)
    path = write(tmp_path / "History.json", text[: text.index('"no address"')])
    items, skips = parse(CHROME, path)
    assert [i.title for i in items] == ["sean"]
    assert "the rest is not read" in skips[-1].reason


# -- Keep ---------------------------------------------------------------------------------

KEEP_TEXT = {
    "color": "DEFAULT",
    "isTrashed": False,
    "isPinned": True,
    "isArchived": False,
    "textContent": "Buy a teal kettle\nAsk Priya about the dunes",
    "title": "Errands",
    "userEditedTimestampUsec": 1690000000000000,
    "createdTimestampUsec": 1680000000123456,
    "labels": [{"name": "Home"}, {"name": "Lisbon"}],
    "annotations": [
        {"description": "A guide", "source": "WEBLINK", "title": "Dunes", "url": "https://x.pt"}
    ],
    "sharees": [{"isOwner": False, "type": "WRITER", "email": "priya@example.net"}],
}
KEEP_LIST = {
    "isTrashed": True,
    "title": "",
    "listContent": [{"text": "tent", "isChecked": True}, {"text": "stove", "isChecked": False}],
    "userEditedTimestampUsec": 1690000000000000,
}


def test_keep_notes_text_and_list(tmp_path: Path) -> None:
    keep = tmp_path / "Takeout" / "Keep"
    text_path = write(keep / "Errands.json", KEEP_TEXT)
    list_path = write(keep / "2023-07-22T04_26_40.000Z.json", KEEP_LIST)
    assert detect(text_path).name == "takeout_keep"  # type: ignore[union-attr]
    [note], skips = parse(KEEP, text_path)
    assert skips == []
    assert note.kind == "note" and note.title == "Errands"
    assert note.text.startswith("Buy a teal kettle\nAsk Priya")
    assert "Dunes https://x.pt" in note.text
    assert note.timestamp == datetime(2023, 3, 28, 10, 40, 0, 123456, tzinfo=UTC)
    assert note.key == "created:1680000000123456"
    assert note.metadata["labels"] == ["Home", "Lisbon"] and note.metadata["pinned"] is True
    assert note.metadata["edited"].startswith("2023-07-22")
    assert note.participants == ("priya@example.net",)
    [checklist], _ = parse(KEEP, list_path)
    assert checklist.text == "[x] tent\n[ ] stove" and checklist.title == "[x] tent"
    assert checklist.metadata["trashed"] is True and checklist.metadata["list"] is True
    assert checklist.key == "note:2023-07-22T04_26_40.000Z"  # no creation time: the file


def test_keep_edits_keep_the_id_and_broken_notes_are_skips(tmp_path: Path) -> None:
    keep = tmp_path / "Keep"
    [before], _ = parse(KEEP, write(keep / "a.json", KEEP_TEXT))
    renamed = {**KEEP_TEXT, "title": "Errands (done)", "textContent": "all done"}
    [after], _ = parse(KEEP, write(keep / "Errands (done).json", renamed))
    assert before.id == after.id and before.text != after.text
    _, [bad] = parse(KEEP, write(keep / "bad.json", '{"title": "x", "textContent": '))
    assert "invalid JSON" in bad.reason and bad.file.endswith("bad.json")
    _, [empty] = parse(KEEP, write(keep / "empty.json", {"textContent": "", "isTrashed": False}))
    assert "empty" in empty.reason


def test_keep_html_copies_are_passed_over_unless_alone(tmp_path: Path) -> None:
    keep = tmp_path / "Takeout" / "Keep"
    write(keep / "Errands.json", KEEP_TEXT)
    copy = write(keep / "Errands.html", "<html><body><div>Buy a teal kettle</div></body></html>")
    alone = write(
        keep / "Old.html", "<html><title>Old</title><body><p>An old note</p></body></html>"
    )
    assert detect(copy).name == "takeout_keep"  # type: ignore[union-attr]
    assert parse(KEEP, copy) == ([], [])
    items, _ = parse(KEEP, alone)
    assert [i.source for i in items] == ["html"] and "An old note" in items[0].text


# -- YouTube and My Activity --------------------------------------------------------------

WATCH = [
    {
        "header": "YouTube",
        "title": "Watched Cooking pasta & more",
        "titleUrl": "https://www.youtube.com/watch?v=abc123",
        "subtitles": [{"name": "Kitchen Notes", "url": "https://www.youtube.com/channel/UCxyz"}],
        "time": "2020-08-26T00:06:44.123Z",
        "products": ["YouTube"],
        "activityControls": ["YouTube watch history"],
    },
    {
        "header": "YouTube",
        "title": "Watched An advert",
        "titleUrl": "https://www.youtube.com/watch?v=ad1",
        "time": "2020-08-25T16:06:44Z",
        "products": ["YouTube"],
        "details": [{"name": "From Google Ads"}],
    },
    {"header": "YouTube", "title": "Watched a removed video", "time": "garbage"},
]
SEARCH = [
    {
        "header": "YouTube",
        "title": "Searched for tent stove",
        "titleUrl": "https://www.youtube.com/results?search_query=tent+stove",
        "time": "2021-06-01T10:00:00.000Z",
        "products": ["YouTube"],
    }
]


def _cell(body: str, caption: str = "", header: str = "YouTube") -> str:
    return (
        '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">'
        '<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">'
        f"{header}<br></p></div>"
        '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">'
        f"{body}</div>"
        '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 '
        'mdl-typography--text-right"></div>'
        '<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">'
        f"{caption}</div></div></div>"
    )


WATCH_HTML = (
    '<html><head><meta charset="UTF-8"><style>.mdl-grid{display:flex}'
    + ".x{}" * 5000  # a long style sheet before the first record, as Takeout writes
    + '</style></head><body><div class="mdl-grid">'
    + _cell(
        'Watched&nbsp;<a href="https://www.youtube.com/watch?v=abc123">Cooking pasta &amp; more</a>'
        '<br><a href="https://www.youtube.com/channel/UCxyz">Kitchen Notes</a>'
        "<br>Aug 25, 2020, 5:06:44\u202fPM PDT",
        "<b>Products:</b><br>&emsp;YouTube<br><b>Why is this here?</b><br>&emsp;Saved<br>",
    )
    + _cell(
        'Watched&nbsp;<a href="https://www.youtube.com/watch?v=ad1">An advert</a>'
        "<br>25 Aug 2020, 17:06:44 BST",
        "<b>Products:</b><br>&emsp;YouTube<br><b>Details:</b><br>&emsp;From Google Ads<br>",
    )
    + _cell("Watched a video that has been removed<br>Jan 1, 2021, 1:00:00 AM XYZT")
    + _cell("Watched <a href='x'>y</a><br>yesterday")
    + "</div></body></html>"
)


def test_youtube_watch_and_search_history_json(tmp_path: Path) -> None:
    history = tmp_path / "Takeout" / "YouTube and YouTube Music" / "history"
    watch = write(history / "watch-history.json", WATCH)
    search = write(history / "search-history.json", SEARCH)
    assert detect(watch).name == "takeout_youtube"  # type: ignore[union-attr]
    items, skips = parse(YOUTUBE, watch)
    assert [i.kind for i in items] == ["watch", "watch"]
    pasta, advert = items
    assert pasta.text == (
        "Watched Cooking pasta & more\nKitchen Notes\nhttps://www.youtube.com/watch?v=abc123"
    )
    assert pasta.metadata["channel"] == "Kitchen Notes"
    assert pasta.timestamp == datetime(2020, 8, 26, 0, 6, 44, 123000, tzinfo=UTC)
    assert advert.metadata["ad"] is True
    assert [s.position for s in skips] == ["record 3"]
    [query], _ = parse(YOUTUBE, search)
    assert query.kind == "search" and query.title == "Searched for tent stove"


def test_youtube_html_gives_the_same_ids_as_the_json(tmp_path: Path) -> None:
    json_items, _ = parse(YOUTUBE, write(tmp_path / "a" / "watch-history.json", WATCH))
    html_path = write(tmp_path / "b" / "watch-history.html", WATCH_HTML)
    assert detect(html_path).name == "takeout_youtube"  # type: ignore[union-attr]
    items, skips = parse(YOUTUBE, html_path)
    assert [i.id for i in items[:2]] == [i.id for i in json_items]
    pasta, advert, removed = items
    assert pasta.metadata["channel_url"] == "https://www.youtube.com/channel/UCxyz"
    assert pasta.metadata["products"] == ["YouTube"]  # "Why is this here?" is its own heading
    assert advert.metadata["details"] == ["From Google Ads"] and advert.metadata["ad"] is True
    assert removed.metadata["zone_assumed"] is True
    assert [(s.position, "unreadable date" in s.reason) for s in skips] == [("record 4", True)]


def test_html_dates() -> None:
    def when(text: str) -> tuple[str, bool] | None:
        found = html_date(text)
        return (found[0].isoformat(), found[1]) if found else None

    assert when("Mar 8, 2018, 5:14:40 PM") == ("2018-03-08T17:14:40+00:00", False)
    assert when("Jan 25, 2019, 8:23:48 AM GMT") == ("2019-01-25T08:23:48+00:00", False)
    assert when("Sep 10, 2019, 8:51:45 PM MSK") == ("2019-09-10T17:51:45+00:00", False)
    assert when("12 Jun 2023, 23:05:00 CEST") == ("2023-06-12T21:05:00+00:00", False)
    assert when("Jun 12, 2023, 11:05:00\u202fPM GMT+02:00") == ("2023-06-12T21:05:00+00:00", False)
    assert when("Jun 12, 2023, 11:05:00 PM ABCD") == ("2023-06-12T23:05:00+00:00", True)
    assert when("Feb 30, 2023, 1:00:00 AM UTC") is None
    assert when("13:00 yesterday") is None


def test_an_over_long_html_record_is_skipped_and_the_next_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lifelog.sources.takeout.activity as activity

    monkeypatch.setattr(activity, "MAX_RECORD_CHARS", 2000)
    monkeypatch.setattr(activity, "READ_CHARS", 512)
    huge = _cell("Watched " + "x" * 5000 + "<br>Jan 1, 2021, 1:00:00 AM UTC")
    small = _cell("Watched z<br>Jan 2, 2021, 1:00:00 AM UTC")
    path = write(tmp_path / "watch-history.html", "<html>" + huge + small + "</html>")
    items, skips = parse(YOUTUBE, path)
    assert [i.title for i in items] == ["Watched z"]
    assert [s.position for s in skips] == ["record 1"]


def test_other_my_activity_files(tmp_path: Path) -> None:
    records = [
        {
            "header": "Search",
            "title": "Searched for camping peneda geres",
            "titleUrl": "https://www.google.com/search?q=camping+peneda+geres",
            "time": "2023-05-01T08:00:00.000Z",
            "products": ["Search"],
        }
    ]
    path = write(tmp_path / "My Activity" / "Search" / "MyActivity.json", records)
    found = detect(path)
    assert found is not None and found.name == "takeout_activity"
    [item], _ = parse(ACTIVITY, path)
    assert item.kind == "search" and item.metadata["header"] == "Search"
    # a translated file name still reads: YouTube records are recognised by their header
    german = write(tmp_path / "Verlauf" / "Wiedergabeverlauf.json", WATCH)
    assert detect(german).name == "takeout_youtube"  # type: ignore[union-attr]


# -- Location History -----------------------------------------------------------------------


def _fix(stamp: str, lat: float, lon: float, accuracy: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        "latitudeE7": round(lat * 1e7),
        "longitudeE7": round(lon * 1e7),
        "accuracy": accuracy,
        "timestamp": stamp,
        **extra,
    }


RECORDS = {
    "locations": [
        _fix("2023-06-19T08:00:00.000Z", 38.7140, -9.1530),
        _fix("2023-06-19T08:30:00.000Z", 38.7140, -9.1531),
        _fix(
            "2023-06-19T09:00:00Z",
            38.7197,
            -9.1449,
            activity=[{"activity": [{"type": "WALKING", "confidence": 80}], "timestamp": "x"}],
        ),
        _fix("2023-06-19T09:01:00Z", 10.0, 10.0),  # a jump no one makes in a minute
        _fix("2023-06-19T12:00:00Z", 38.7198, -9.1450, accuracy=5000),
        {"timestampMs": "1687258800000", "latitudeE7": 387140000, "longitudeE7": -91530000},
        {"timestampMs": "1687262400000", "latitudeE7": 4294967295, "longitudeE7": 0},  # overflow
        {"latitudeE7": 1, "longitudeE7": 1},
        {"timestamp": "2023-06-20T10:00:00Z"},
    ]
}


def test_raw_location_records_are_summarised_per_day(tmp_path: Path) -> None:
    path = write(tmp_path / "Takeout" / "Location History" / "Records.json", RECORDS)
    assert detect(path).name == "takeout_location"  # type: ignore[union-attr]
    items, skips = parse(LOCATION, path)
    assert [i.key for i in items] == ["day:2023-06-19", "day:2023-06-20"]
    first, second = items
    assert first.kind == "location_day" and first.metadata["fixes"] == 5
    assert first.text.startswith("Location history for 2023-06-19 (UTC): 5 location fixes from")
    assert 0.8 < first.metadata["km"] < 1.2  # home to work; the jump to 10,10 is not counted
    assert first.metadata["places"][0] == {
        "lat": 38.715,
        "lon": -9.155,
        "fixes": 2,
        "first": "2023-06-19T08:00:00+00:00",
        "last": "2023-06-19T08:30:00+00:00",
    }
    assert first.metadata["activities"] == {"WALKING": 1}
    assert "on foot (1)" in first.text
    assert second.metadata["fixes"] == 2  # timestampMs and the overflowed latitude
    assert second.metadata["bbox"][0] == pytest.approx(-0.0000001, abs=1e-6)
    assert [s.reason for s in skips] == ["2 location fixes without a readable time or position"]


SEMANTIC = {
    "timelineObjects": [
        {
            "placeVisit": {
                "location": {
                    "latitudeE7": 417000000,
                    "longitudeE7": -81000000,
                    "placeId": "ChIJpeneda",
                    "address": "Parque Nacional da Peneda-Gerês\nPortugal",
                    "name": "Peneda-Gerês campsite",
                    "semanticType": "TYPE_UNKNOWN",
                },
                "duration": {
                    "startTimestamp": "2023-06-17T15:00:00.000Z",
                    "endTimestamp": "2023-06-19T10:00:00.000Z",
                },
                "placeConfidence": "HIGH_CONFIDENCE",
            }
        },
        {
            "activitySegment": {
                "startLocation": {"latitudeE7": 417000000, "longitudeE7": -81000000},
                "endLocation": {"latitudeE7": 387140000, "longitudeE7": -91530000},
                "duration": {
                    "startTimestampMs": "1687168800000",
                    "endTimestampMs": "1687183200000",
                },
                "distance": 352000,
                "activityType": "IN_PASSENGER_VEHICLE",
                "transitPath": {"name": "A3", "transitStops": [{"name": "Braga"}, {"x": 1}]},
            }
        },
        {"placeVisit": {"location": {}, "duration": {}}},
        {"somethingElse": {}},
        [],
    ]
}


def test_semantic_location_history_visits_and_trips(tmp_path: Path) -> None:
    folder = tmp_path / "Takeout" / "Location History" / "Semantic Location History" / "2023"
    path = write(folder / "2023_JUNE.json", SEMANTIC)
    assert detect(path).name == "takeout_location"  # type: ignore[union-attr]
    items, skips = parse(LOCATION, path)
    visit, trip = items
    assert visit.kind == "place_visit" and visit.title == "Peneda-Gerês campsite"
    assert visit.text.startswith(
        "Visited Peneda-Gerês campsite, 2023-06-17 15:00 to 2023-06-19 10:00 UTC."
    )
    assert visit.key == "visit:ChIJpeneda|2023-06-17T15:00:00Z"
    assert visit.metadata["place_id"] == "ChIJpeneda" and visit.metadata["lat"] == 41.7
    assert trip.kind == "trip" and trip.text.startswith("Travelled 352.0 km by car from 41.7000")
    assert trip.metadata["stops"] == ["Braga"] and trip.metadata["line"] == "A3"
    assert trip.timestamp == datetime(2023, 6, 19, 10, 0, tzinfo=UTC)
    assert [s.position for s in skips] == [
        "timeline object 3",
        "timeline object 4",
        "timeline object 5",
    ]


# -- the archive end to end ----------------------------------------------------------------


def _ids(memory: Memory) -> dict[str, str]:
    return dict(memory.store.conn.execute("SELECT id, hash FROM items").fetchall())


def test_a_takeout_zip_ingests_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    life = write_takeout(tmp_path / "takeout-20240101T000000Z-001.zip", scale=0.02,
                         until=epoch(2023, 2, 15))  # fmt: skip
    with Memory.init(tmp_path / "memory") as memory:
        report = memory.ingest(life.path)
        counts = dict(
            memory.store.conn.execute("SELECT source, count(*) FROM items GROUP BY source")
        )
        assert counts["mbox"] == life.records["mails"]
        assert counts["takeout_chrome"] == life.records["chrome visits"]
        assert counts["takeout_keep"] == life.records["keep notes"]
        assert counts["vcard"] == life.records["contacts"]
        assert counts["ical"] == life.records["calendar events"]
        assert counts["takeout_youtube"] == (
            life.records["youtube watches"] + life.records["youtube searches"]
        )
        days = 45  # 1 January to 14 February: the export ends at midnight on the 15th
        assert counts["takeout_location"] == days + life.records["semantic objects"]
        assert report.by_source["mbox"].added == life.records["mails"]
        # the Drive PDF is read inside the zip, from an in-memory copy
        assert not [s for s in report.skipped if s.file.endswith("storage-invoice.pdf")]
        assert counts["pdf"] >= 1
        labels = memory.store.conn.execute(
            "SELECT metadata FROM items WHERE source = 'mbox' AND metadata LIKE '%labels%'"
        ).fetchall()
        assert labels
        before = _ids(memory)
        again = memory.ingest(life.path)
        assert (again.added, again.updated, again.files_resumed_past) == (0, 0, 1)
        forced = memory.ingest(life.path, force=True)
        assert (forced.added, forced.updated) == (0, 0)
        assert _ids(memory) == before


def test_a_newer_export_adds_only_what_is_new(tmp_path: Path) -> None:
    older = write_takeout(tmp_path / "2023" / "takeout.zip", scale=0.02, until=epoch(2023, 1, 31))
    newer = write_takeout(tmp_path / "2024" / "takeout.zip", scale=0.02, until=epoch(2023, 3, 31))
    with Memory.init(tmp_path / "memory") as memory:
        first = memory.ingest(older.path)
        before = _ids(memory)
        second = memory.ingest(newer.path)
        after = _ids(memory)
    with Memory.init(tmp_path / "fresh") as fresh:
        only_newer = fresh.ingest(newer.path)
        assert set(_ids(fresh)) == set(after)  # nothing duplicated, nothing lost
    assert set(before) < set(after)
    assert second.added == len(after) - len(before) == only_newer.added - first.added
    # what both exports hold keeps its id; it points at the newer archive now
    assert second.updated + second.unchanged == len(before)


def test_an_extracted_takeout_folder_reads_the_same_as_the_zip(tmp_path: Path) -> None:
    life = write_takeout(tmp_path / "takeout.zip", scale=0.02, until=epoch(2023, 1, 20))
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(life.path) as archive:
        archive.extractall(folder)
    with Memory.init(tmp_path / "a") as zipped, Memory.init(tmp_path / "b") as extracted:
        zipped.ingest(life.path)
        report = extracted.ingest(folder)
        assert report.unrecognised == []
        extra = set(_ids(extracted)) - set(_ids(zipped))
        assert set(_ids(zipped)) <= set(_ids(extracted))
        # the index page is an ordinary HTML page on disk (inside the zip it is passed
        # over); the Drive PDF is read in both, with the same ids
        sources = {extracted.get(item_id).source for item_id in extra}
        assert sources == {"html"} and len(extra) == 1


def test_the_same_takeout_as_a_tgz_gives_the_same_items(tmp_path: Path) -> None:
    import tarfile

    life = write_takeout(tmp_path / "takeout.zip", scale=0.02, until=epoch(2023, 1, 10))
    tgz = tmp_path / "takeout.tgz"
    with zipfile.ZipFile(life.path) as archive, tarfile.open(tgz, "w:gz") as tar:
        for info in archive.infolist():
            data = archive.read(info)
            entry = tarfile.TarInfo(info.filename)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    with Memory.init(tmp_path / "a") as a, Memory.init(tmp_path / "b") as b:
        a.ingest(life.path)
        b.ingest(tgz)
        assert set(_ids(a)) == set(_ids(b))


# -- hostile input ---------------------------------------------------------------------------

SOURCES = (CHROME, KEEP, YOUTUBE, ACTIVITY, LOCATION)
NAMES = {
    CHROME: "BrowserHistory.json",
    KEEP: "Keep/note.json",
    YOUTUBE: "watch-history.html",
    ACTIVITY: "MyActivity.json",
    LOCATION: "Records.json",
}
PREFIXES = (
    b'{"Browser History": [',
    b'{"title": "t", "textContent": "',
    b'[{"header": "YouTube", "title": "Watched x", "time": "2020-01-01T00:00:00Z"}, ',
    b'{"locations": [{"latitudeE7": 1, "longitudeE7": ',
    b'{"timelineObjects": [{"placeVisit": {"duration": {"startTimestamp": ',
    b'<div class="outer-cell"><p class="mdl-typography--title">YouTube</p>'
    b'<div class="content-cell mdl-typography--body-1">',
    b"",
)
PIECES = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"null", b"1e999", b"-1", b"<br>",
         b'"time_usec": 1e30', b'"latitudeE7": 4294967295', b'"timestampMs": "9"' * 3,
         b"\xef\xbb\xbf", b"\x00", b'<div class="outer-cell', b"Jan 1, 2021, 1:00:00 AM UTC"]
    ),
)  # fmt: skip


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from(SOURCES),
    prefix=st.sampled_from(PREFIXES),
    pieces=st.lists(PIECES, max_size=30),
)
def test_arbitrary_input_never_crashes_and_ends_quickly(
    which: Any, prefix: bytes, pieces: list[bytes]
) -> None:
    data = prefix + b"".join(pieces)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / NAMES[which]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        try:
            records = list(which.parse(path))
        except Exception as error:  # only the file-level SourceError may escape
            from lifelog.errors import SourceError

            assert isinstance(error, SourceError), error
            records = []
        for record in records:
            assert isinstance(record, Item | Skip)
            if isinstance(record, Item):
                assert record.key and record.timestamp is None or record.timestamp.tzinfo
    assert time.perf_counter() - started < 2.0


def test_a_huge_records_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "Records.json"
    fix = json.dumps(_fix("2023-06-19T08:00:00.000Z", 38.714, -9.153)).encode()
    with path.open("wb") as out:
        out.write(b'{"locations": [')
        for day in range(1, 29):
            stamp = f'"2023-02-{day:02d}T'.encode()
            out.write(b",".join(fix.replace(b'"2023-06-19T', stamp) for _ in range(3000)))
            out.write(b"," if day < 20 else b"")
        out.write(b"]}")
    assert path.stat().st_size > 6_000_000
    tracemalloc.start()
    items, _ = parse(LOCATION, path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(items) == 20 and items[0].metadata["fixes"] == 3000
    assert peak < 3_000_000  # the file is never held whole


@pytest.mark.slow
def test_the_takeout_bench_reports_sources_and_memory(tmp_path: Path) -> None:
    from lifelog.bench.takeout import bench_takeout

    result = bench_takeout(tmp_path, 8 * 1024 * 1024)
    assert result.archive_bytes >= 8 * 1024 * 1024
    assert result.sources["mbox"]["items"] > 0 and result.sources["takeout_location"]["items"]
    assert 0 < result.peak_rss < 1024**3
    assert "items/s" in result.markdown("test")
