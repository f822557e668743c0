"""Kindle My Clippings.txt: four Kindle generations' real files (klip, MIT), damage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import parse_bytes_or_names_file, split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.media.kindle import KindleSource, parse_added, parse_details

SOURCE = KindleSource()
DATA = Path(__file__).parent / "data" / "kindle"


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_paperwhite_highlights() -> None:
    items, skips = parse(DATA / "paperwhite_clippings.txt")
    assert not skips
    assert [i.title for i in items] == [
        "The Mythical Man Month",
        "The Mythical Man Month",
        "Two Scoops of Django: Best Practices for Django 1.5",
    ]  # the byte order mark before a later title is not part of it
    first = items[0]
    assert first.kind == "highlight" and first.author == "Frederick P. Brooks"
    assert first.text.startswith("Good cooking takes time.")
    assert first.timestamp == datetime(2013, 11, 19, 13, 23, 50, tzinfo=UTC)
    assert first.locator == "location 181-182"
    assert first.thread == "kindle:The Mythical Man Month"
    assert items[2].metadata["book_author"] == "Daniel Greenfeld;Audrey Roy"


def test_touch_notes_are_mine_and_pages_kept() -> None:
    items, _ = parse(DATA / "touch_clippings.txt")
    note, highlight = items
    assert (
        note.kind == "note" and note.author == "Me" and note.text == "regex should not be allowed"
    )
    assert note.metadata["page"] == "41" and note.metadata["location"] == "391"
    assert highlight.title == "Das Kapital" and highlight.author == "Didier Drogba"
    assert highlight.locator == "page 41 location 390-391"


def test_kindle4_short_locations_and_bogus_zone() -> None:
    items, _ = parse(DATA / "kindle4_clippings.txt")
    assert [i.metadata["location"] for i in items] == ["563-64", "116-18"]
    assert items[0].timestamp == datetime(2017, 4, 29, 21, 23, 29, tzinfo=UTC)
    assert items[1].title == "Lab Girl" and items[1].author == "Hope Jahren"


def test_old_kindle_without_final_newline() -> None:
    items, skips = parse(DATA / "old_gen_kindle_clippings.txt")
    assert [i.kind for i in items] == ["highlight", "note", "highlight", "note"]
    assert items[-1].text == "perl philosophy"
    assert items[-1].timestamp == datetime(2011, 11, 14, 10, 27, tzinfo=UTC)
    assert not skips


def test_bom_crlf_bookmarks_and_other_languages(tmp_path: Path) -> None:
    path = tmp_path / "My Clippings.txt"
    text = (DATA / "paperwhite_clippings.txt").read_text(encoding="utf-8") + (
        "El nombre del viento (Patrick Rothfuss)\n"
        "- Tu subrayado en la página 5 | posición 100-105 | Añadido el viernes, 1 de enero de"
        " 2024 10:30:45\n\nMe llamo Kvothe.\n==========\n"
        "Der Process (Franz Kafka)\n- Ihr Lesezeichen auf Seite 3 | Position 40 | Hinzugefügt"
        " am Montag, 3. Juni 2024 08:00:00\n\n\n==========\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    items, skips = parse(path)
    assert len(items) == 4 and items[0].title == "The Mythical Man Month"
    spanish = items[-1]
    assert spanish.text == "Me llamo Kvothe." and spanish.metadata["page"] == "5"
    assert spanish.timestamp == datetime(2024, 1, 1, 10, 30, 45, tzinfo=UTC)
    assert [s.reason for s in skips] == ["1 bookmarks (no text) left out"]
    found = detect(path)
    assert found is not None and found.name == "kindle"


def test_a_damaged_clipping_is_skipped_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "clips.txt"
    path.write_text(
        "Book (Author)\n- Your Highlight on Location 1-2 | Added on Monday, 1 January 2024 9:00\n\n"
        "kept\n==========\n"
        "a title with no details line\n\nand text\n==========\n"
        "Book (Author)\n- Your Highlight on Location 9 | Added on someday\n\nundated, kept\n"
        "==========\nBook (Author)\n- Your Highlight on Location 12 | Added on Tu",  # cut short
        encoding="utf-8",
    )
    items, skips = parse(path)
    assert [i.text for i in items] == ["kept", "undated, kept"]
    assert items[1].timestamp is None
    assert [(s.position, s.reason) for s in skips] == [
        ("line 6", "clipping without a details line"),
        ("line 15", "highlight without text"),
    ]


def test_detection_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "renamed.txt"
    path.write_bytes((DATA / "touch_clippings.txt").read_bytes())
    found = detect(path)
    assert found is not None and found.name == "kindle"
    other = tmp_path / "note.txt"
    other.write_text("Groceries\n- milk | eggs\n\nShop\n==========\nnothing else\n")
    found = detect(other)
    assert found is None or found.name != "kindle"


def test_details_parser() -> None:
    found = parse_details("- Your Highlight on page 5 | Location 100-105 | Added on Friday")
    assert (found["kind"], found["page"], found["location"]) == ("highlight", "5", "100-105")
    assert parse_added("Samstag, 1. Juni 2024 08:00:00") == datetime(2024, 6, 1, 8, tzinfo=UTC)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(
        st.one_of(
            st.sampled_from(["Book (A)\n", "- Your Note | Added on x\n", "\n", "==========\n"]),
            st.text(max_size=12),
        ),
        max_size=40,
    ),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_crashes(pieces: list[str], raw: bytes) -> None:
    for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
        parse_bytes_or_names_file(SOURCE, "My Clippings.txt", data)
