"""Calendar components that were dropped silently (issue 11): journals are kept, and
what a calendar holds that lifelog leaves out on purpose is counted in the report."""

from __future__ import annotations

from pathlib import Path

from source_helpers import split_records

from lifelog.sources.calendar.ical import IcalSource

DATA = Path(__file__).parent / "data" / "calendar"
ICAL = IcalSource()


def test_every_component_of_icalendars_test_calendar_is_kept_or_counted() -> None:
    items, skips = split_records(ICAL, DATA / "icalendar_all_components.ics")
    assert [(i.kind, i.title) for i in items] == [
        ("event", "Test Event 1"),
        ("task", "Test Todo 1"),
        ("journal", "Test Journal 1"),
    ]
    (skip,) = skips
    assert skip.position.startswith("left out")
    assert skip.reason == "1 availability block left out"


def test_journal_entries_keep_their_text_and_date() -> None:
    items, skips = split_records(ICAL, DATA / "journal_icalendar.ics")
    first, second = items
    assert first.kind == "journal" and first.title == "Lisbon, first day"
    assert "the tram 28 was full" in first.text and "grilled sardines" in first.text
    assert first.timestamp is not None and first.timestamp.isoformat().startswith("2025-03-14")
    assert first.key == "journal-2025-03-14@example.org"
    assert second.title == "Rain all day; read in."  # no SUMMARY: its first line
    (skip,) = skips
    assert skip.reason == "1 free/busy block left out"
