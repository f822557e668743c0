"""xCal (RFC 6321): the RFC's own example 2 read as its iCalendar form is (time zones,
recurrence, RDATE period, a modified occurrence), events in five scripts, damage."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.records import Skip
from lifelog.sources import detect
from lifelog.sources.calendar.ical import IcalSource
from lifelog.sources.calendar.xcal import XcalSource

SOURCE = XcalSource()
DATA = Path(__file__).parent / "data" / "calendar"
NS = 'xmlns="urn:ietf:params:xml:ns:icalendar-2.0"'


def _event(uid: str, start: str, summary: str, extra: str = "") -> str:
    return (
        f"<vevent><properties><uid><text>{uid}</text></uid>"
        f"<dtstamp><date-time>2024-01-01T00:00:00Z</date-time></dtstamp>"
        f"<dtstart><date-time>{start}</date-time></dtstart>"
        f"<summary><text>{summary}</text></summary>{extra}</properties></vevent>"
    )


def _calendar(*events: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><icalendar {NS}><vcalendar><properties>'
        "<prodid><text>-//t//t//EN</text></prodid><version><text>2.0</text></version>"
        f"</properties><components>{''.join(events)}</components></vcalendar></icalendar>"
    )


def test_rfc6321_example_reads_as_its_icalendar() -> None:
    path = DATA / "rfc6321_example2.xml"
    found = detect(path)
    assert found is not None and found.name == "xcal"
    items, skips = split_records(SOURCE, path)
    expected, _ = split_records(IcalSource(), DATA / "rfc6321_example2.ics")
    assert skips == []
    assert len(items) == len(expected) >= 6  # five daily, the RDATE, one moved
    assert [(i.key, i.timestamp, i.text) for i in items] == [
        (i.key, i.timestamp, i.text) for i in expected
    ]
    assert {i.metadata["format"] for i in items} == {"xcal"}
    assert any(i.title == "Event #2 bis" for i in items)


def test_five_scripts_geo_and_parameters(tmp_path: Path) -> None:
    path = tmp_path / "calendar.xml"
    location = (
        "<location><parameters><language><text>ru</text></language></parameters>"
        "<text>Москва, Красная площадь</text></location>"
        "<geo><latitude>55.7539</latitude><longitude>37.6208</longitude></geo>"
        "<description><text>اجتماع العائلة — 家族の集まり — 家庭聚会</text></description>"
        "<attendee><parameters><cn><text>김민준</text></cn><rsvp><boolean>true</boolean>"
        "</rsvp></parameters><cal-address>mailto:minjun@example.org</cal-address></attendee>"
    )
    path.write_text(
        _calendar(_event("a@x", "2024-05-01T10:00:00Z", "가족 모임", location)), encoding="utf-8"
    )
    (item,) = [r for r in SOURCE.parse(path) if not isinstance(r, Skip)]
    assert item.title == "가족 모임"
    assert "Москва, Красная площадь" in item.text and "家庭聚会" in item.text
    assert "김민준" in " ".join(item.participants) or "김민준" in item.text


def test_bad_components_and_cut_xml(tmp_path: Path) -> None:
    good = _event("a@x", "2024-05-01T10:00:00Z", "first")
    broken = "<vevent><properties><geo><latitude>north</latitude></geo></properties></vevent>"
    path = tmp_path / "bad.xml"
    text = _calendar(good, broken, _event("b@x", "2024-05-02T10:00:00Z", "second"))
    path.write_text(text, encoding="utf-8")
    items, skips = split_records(SOURCE, path)
    assert [i.title for i in items] == ["first", "second"]
    assert len(skips) == 1 and skips[0].position == "component vevent"
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.index("second")], encoding="utf-8")
    items, skips = split_records(SOURCE, cut)
    assert [i.title for i in items] == ["first"]
    assert "malformed XML" in skips[-1].reason and skips[-1].position.startswith("line 1")


def test_entity_bomb_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + f"]><icalendar {NS}><vcalendar><components><vevent><properties>"
        + "<summary><text>&i;</text></summary></properties></vevent></components>"
        + "</vcalendar></icalendar>"
    )
    path = tmp_path / "bomb.xml"
    path.write_text(bomb, encoding="utf-8")
    records = assert_parses_or_names_file(SOURCE, path)
    assert all(len(getattr(r, "text", "")) < 10_000_000 for r in records)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 4000), st.binary(max_size=100))
def test_mutated_files_never_crash(cut: int, junk: bytes) -> None:
    good = (DATA / "rfc6321_example2.xml").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cal.xml"
        path.write_bytes(good[: cut % (len(good) + 1)] + junk)
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
