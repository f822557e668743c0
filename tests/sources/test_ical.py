"""iCalendar: real exports, recurrence expansion, time zones, broken and hostile files."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.base import read_head
from lifelog.sources.calendar.ical import IcalSource
from lifelog.sources.calendar.rrule import RuleError, expand, parse_rule

SOURCE = IcalSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def calendar(tmp_path: Path, *events: str, name: str = "cal.ics", head: str = "") -> Path:
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + head
    body += "".join(events) + "END:VCALENDAR\r\n"
    path = tmp_path / name
    path.write_bytes(body.encode("utf-8"))
    return path


def event(uid: str, *lines: str) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        + f"UID:{uid}\r\n"
        + "".join(f"{ln}\r\n" for ln in lines)
        + ("END:VEVENT\r\n")
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- the real samples ------------------------------------------------------------------


def test_every_sample_parses(samples: Path) -> None:
    for path in sorted((samples / "ical").glob("*.ics")):
        assert SOURCE.sniff(path, read_head(path))
        items, skips = parse(path)
        assert items, path
        assert not [s for s in skips if "malformed" in s.reason], skips
        for item in items:
            assert item.kind == "event" and item.timestamp is not None
            assert item.timestamp.tzinfo is not None


def test_sample_exchange_quoted_tzid_and_spaced_byday(samples: Path) -> None:
    items, skips = parse(samples / "ical" / "exchange_cdo_daily_rrule_quoted_tzid.ics")
    assert skips == []
    # weekdays from Fri 3 July to Wed 22 July 2015 (UNTIL 08:00Z = 10:00 local)
    assert len(items) == 14
    assert items[0].timestamp == utc(2015, 7, 3, 8, 0)  # 10:00 at +02:00 from the VTIMEZONE
    assert items[-1].timestamp == utc(2015, 7, 22, 8, 0)
    assert all(i.timestamp and i.timestamp.weekday() < 5 for i in items)
    assert items[0].title == "Sprint 25 Daily Standup"
    assert items[0].metadata["timezone"].startswith("GMT +0100")
    assert len({i.key for i in items}) == 14


def test_sample_exdates_on_separate_lines_bare_vevent(samples: Path) -> None:
    items, _ = parse(samples / "ical" / "exdate_multiple_lines.ics")
    starts = [i.timestamp for i in items]
    assert len(items) == 15 - 5  # weekly on Tuesdays 27 Mar - 3 Jul 2012, five excluded
    assert utc(2012, 5, 29, 8, 0) not in starts and utc(2012, 4, 3, 8, 0) not in starts
    assert utc(2012, 3, 27, 8, 0) in starts and utc(2012, 7, 3, 8, 0) in starts
    assert all(i.key.startswith("nouid:") for i in items)


def test_sample_google_infinite_rule_is_bounded(samples: Path) -> None:
    items, _ = parse(samples / "ical" / "google_calendar_weekly_rrule_zurich.ics")
    assert len(items) == 500  # a never-ending weekday rule, capped
    first = items[0]
    assert first.key == "BFE33ADD-5553-48B5-B5A5-F9DA5CA4C393/20161028T120000Z"
    assert first.metadata["location"] == "Roadstar 16\n12764 Happyville\nDenmark"
    assert "Where: Roadstar 16" in first.text and "Some Description" in first.text
    assert first.metadata["calendar"] == "ITC"
    # 14:00 Zurich stays 14:00 across the switch to winter time (30 Oct 2016)
    assert items[1].timestamp == utc(2016, 10, 31, 13, 0)
    assert items[-1].timestamp and items[-1].timestamp < utc(2018, 10, 29)


def test_sample_khal_rdate_periods_with_recurrence_id(samples: Path) -> None:
    items, _ = parse(samples / "ical" / "khal_rdate_period_tzid.ics")
    assert [i.timestamp for i in items] == [
        utc(2021, 11, 1, 15),
        utc(2021, 12, 6, 15),
        utc(2022, 1, 3, 15),
        utc(2022, 2, 7, 15),
    ]
    assert items[0].participants == ("(omitted)", "omitted@example.com")
    assert items[0].metadata["attendees"][0]["status"] == "accepted"


def test_sample_thunderbird_and_cyrillic_zone(samples: Path) -> None:
    items, _ = parse(samples / "ical" / "thunderbird_event_long_vtimezone_valarm.ics")
    assert [(i.title, i.timestamp) for i in items] == [
        ("event with alarms", utc(2024, 10, 23, 14, 0))
    ]
    assert "Mozilla Standardbeschreibung" not in items[0].text  # alarms are not the event
    items, _ = parse(samples / "ical" / "tzid_cyrillic_8bit.ics")
    assert items[0].timestamp == utc(2008, 5, 30, 9, 0)  # +06:00 (summer) from its VTIMEZONE
    assert items[0].metadata["timezone"] == "Екатеринбург"


# -- made-up calendars -----------------------------------------------------------------


def test_event_fields_all_day_floating_and_todo(tmp_path: Path) -> None:
    path = calendar(
        tmp_path,
        event(
            "a@x",
            "SUMMARY:Camping with Melanie",
            "DESCRIPTION:Bring the tent\\, and the kids.\\nDunes!",
            "LOCATION:Beach",
            "DTSTART;VALUE=DATE:20230616",
            "DTEND;VALUE=DATE:20230619",
            "ORGANIZER;CN=Melanie:mailto:Mel@Example.org",
            'ATTENDEE;CN="Doe, Jane";PARTSTAT=DECLINED:mailto:jane@example.org',
            "CATEGORIES:family,holiday",
        ),
        event("b@x", "SUMMARY:Floating call", "DTSTART:20230701T090000", "DURATION:PT1H"),
        "BEGIN:VTODO\r\nUID:t@x\r\nSUMMARY:Buy milk\r\nDUE;VALUE=DATE:20230702\r\n"
        "STATUS:COMPLETED\r\nEND:VTODO\r\n",
        head="X-WR-CALNAME:Family\r\n",
    )
    items, skips = parse(path)
    assert skips == []
    camping, call, todo = items
    assert camping.key == "a@x" and camping.timestamp == utc(2023, 6, 16)
    assert camping.metadata["all_day"] is True
    assert "When: 2023-06-16 \u2013 2023-06-18 (all day)" in camping.text
    assert "Bring the tent, and the kids.\nDunes!" in camping.text
    assert camping.author == "Melanie"
    assert camping.participants == ("Melanie", "mel@example.org", "Doe, Jane", "jane@example.org")
    assert "Doe, Jane <jane@example.org> (declined)" in camping.text
    assert camping.metadata["categories"] == ["family", "holiday"]
    assert camping.metadata["calendar"] == "Family"
    assert call.metadata["floating"] is True and call.timestamp == utc(2023, 7, 1, 9)
    assert call.metadata["end"] == "2023-07-01T10:00:00"
    assert todo.kind == "task" and todo.timestamp == utc(2023, 7, 2)
    assert "Status: completed" in todo.text


def test_modified_occurrence_replaces_the_generated_one(tmp_path: Path) -> None:
    path = calendar(
        tmp_path,
        # the modification comes first in the file
        event(
            "s@x",
            "RECURRENCE-ID;TZID=Europe/Paris:20240110T090000",
            "DTSTART;TZID=Europe/Paris:20240110T140000",
            "SUMMARY:Standup (moved)",
        ),
        event(
            "s@x",
            "DTSTART;TZID=Europe/Paris:20240101T090000",
            "DTEND;TZID=Europe/Paris:20240101T091500",
            "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=WE",
            "EXDATE;TZID=Europe/Paris:20240117T090000",
            "RDATE;TZID=Europe/Paris:20240201T090000",
            "SUMMARY:Standup",
        ),
    )
    items, _ = parse(path)
    by_key = {i.key: i for i in items}
    assert by_key["s@x/20240110T080000Z"].title == "Standup (moved)"
    assert by_key["s@x/20240110T080000Z"].timestamp == utc(2024, 1, 10, 13)
    # DTSTART (Monday) counts as the first of COUNT=4: Mon 1, Wed 3, (10 moved), (17 excluded)
    assert sorted(k for k, i in by_key.items() if i.title == "Standup") == [
        "s@x/20240101T080000Z",
        "s@x/20240103T080000Z",
        "s@x/20240201T080000Z",
    ]
    assert len(items) == len(by_key) == 4


def test_window_and_cap_are_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = calendar(tmp_path, event("d@x", "DTSTART:20200101T080000Z", "RRULE:FREQ=DAILY"))
    assert len(parse(path)[0]) == 500
    monkeypatch.setenv("LIFELOG_ICS_WINDOW_DAYS", "10")
    items = parse(path)[0]
    assert [i.timestamp for i in items][-1] == utc(2020, 1, 11, 8)
    assert len(items) == 11
    monkeypatch.setenv("LIFELOG_ICS_MAX_OCCURRENCES", "3")
    assert len(parse(path)[0]) == 3
    monkeypatch.setenv("LIFELOG_ICS_WINDOW_DAYS", "not a number")
    assert len(parse(path)[0]) == 3


def test_keys_do_not_depend_on_the_path(tmp_path: Path) -> None:
    first = calendar(tmp_path, event("k@x", "DTSTART:20200101T080000Z", "SUMMARY:x"))
    other = tmp_path / "elsewhere"
    other.mkdir()
    second = calendar(other, event("k@x", "DTSTART:20200101T080000Z", "SUMMARY:x"), name="b.ics")
    assert parse(first)[0][0].id == parse(second)[0][0].id


def test_broken_components_are_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    raw = (
        "BEGIN:VCALENDAR\r\n"
        + event("ok1", "DTSTART:20200101T080000Z", "SUMMARY:first")
        + event("nostart", "SUMMARY:no start")
        + event("badrule", "DTSTART:20200101T080000Z", "RRULE:FREQ=SOMETIMES", "SUMMARY:odd")
        + "BEGIN:VTIMEZONE\r\nTZID:Evil\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        "RRULE:FREQ=SECONDLY\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
        + event("evil", "DTSTART;TZID=Evil:20200101T080000", "SUMMARY:evil zone")
        + event("ok2", "DTSTART:20200102T080000Z", "SUMMARY:last")
        + "BEGIN:VEVENT\r\nUID:cut\r\nDTSTART:2020"
    )
    path = tmp_path / "broken.ics"
    path.write_bytes(raw.encode() + b"\xff\xfe garbage")
    items, skips = parse(path)
    titles = [i.title for i in items]
    assert titles == ["first", "odd", "evil zone", "last"]
    reasons = {s.position: s.reason for s in skips}
    assert "readable DTSTART" in reasons["VEVENT at line 7"]
    assert "unreadable RRULE" in reasons["VEVENT at line 11"]
    assert any("time zone not used" in r and "SECONDLY" in r for r in reasons.values())
    assert any("never ends" in r for r in reasons.values())
    evil = items[2]
    assert evil.metadata["unknown_timezone"] == "Evil" and evil.timestamp == utc(2020, 1, 1, 8)


def test_windows_1252_text_and_binary_attachment(tmp_path: Path) -> None:
    body = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART:20200101T080000Z\r\n"
        b"SUMMARY:Caf\xe9 with Zo\xeb\r\nATTACH;ENCODING=BASE64;VALUE=BINARY:"
        + b"QUFB" * 1000
        + b"\r\n "
        + b"QUFB" * 1000
        + b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = tmp_path / "w.ics"
    path.write_bytes(body)
    items, _ = parse(path)
    assert items[0].title == "Café with Zoë"
    assert "QUFB" not in items[0].text


def test_unreadable_file_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="missing.ics"):
        list(SOURCE.parse(tmp_path / "missing.ics"))


def test_detect_by_content(tmp_path: Path) -> None:
    path = calendar(tmp_path, event("x", "DTSTART:20200101T080000Z"), name="export.dat")
    assert isinstance(detect(path), IcalSource)


def test_memory_is_bounded_on_a_large_calendar(tmp_path: Path) -> None:
    events = [
        event(
            f"e{n}",
            f"DTSTART:2020{1 + n % 12:02d}01T080000Z",
            f"SUMMARY:event {n}",
            "DESCRIPTION:" + "x" * 2000,
        )
        for n in range(600)
    ]
    path = calendar(tmp_path, *events)
    size = path.stat().st_size
    parse(calendar(tmp_path, event("warm", "DTSTART:20200101T080000Z"), name="warm.ics"))
    tracemalloc.start()
    try:
        count = sum(1 for r in SOURCE.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 600
    assert peak < size / 2, f"peak {peak} for a {size}-byte file"


# -- the recurrence expander -----------------------------------------------------------

RULES = [
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
    "FREQ=YEARLY;BYWEEKNO=1,-1;BYDAY=MO;WKST=SU",
    "FREQ=YEARLY;BYYEARDAY=1,100,-1",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU",
    "FREQ=DAILY;INTERVAL=3;BYHOUR=9,17",
    "FREQ=YEARLY;BYDAY=20MO",
    "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=1SU,-1SU",
    "FREQ=HOURLY;INTERVAL=5;BYDAY=MO",
    "FREQ=YEARLY",
    "FREQ=MONTHLY;COUNT=7",
    "FREQ=WEEKLY;UNTIL=20130101T000000",
]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    "start", [datetime(1997, 9, 2, 9), datetime(2012, 2, 29, 10, 30), datetime(2020, 12, 31, 23)]
)
def test_expander_agrees_with_dateutil(rule: str, start: datetime) -> None:
    end = start + timedelta(days=730)
    mine = expand(parse_rule(rule), start, end, 500)
    theirs = list(rrulestr(rule, dtstart=start).between(start, end, inc=True))
    if start not in theirs:
        theirs.insert(0, start)
    if "COUNT" in rule:  # DTSTART counts as the first occurrence (RFC 5545)
        theirs = theirs[:7]
    assert mine == theirs[:500]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYSETPOS=2",
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MINUTELY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=YEARLY;INTERVAL=1;BYWEEKNO=53;BYMONTH=6",
    ],
)
def test_impossible_rules_end_quickly(rule: str) -> None:
    started = time.monotonic()
    found = expand(parse_rule(rule), datetime(2000, 1, 1), datetime(2100, 1, 1), 500)
    assert found == [datetime(2000, 1, 1)]
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "text", ["FREQ=", "FREQ=DAILY;COUNT=x", "FREQ=DAILY;BYDAY=XX", "FREQ=DAILY;BYMONTH=13", ""]
)
def test_bad_rules_raise_rule_error(text: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(text)


PARTS = st.sampled_from(
    [
        "FREQ=YEARLY",
        "FREQ=MONTHLY",
        "FREQ=WEEKLY",
        "FREQ=DAILY",
        "FREQ=HOURLY",
        "FREQ=MINUTELY",
        "FREQ=SECONDLY",
        "INTERVAL=3",
        "COUNT=5",
        "UNTIL=20300101T000000Z",
        "BYMONTH=2",
        "BYMONTHDAY=-1,30",
        "BYDAY=2MO,-1FR",
        "BYDAY=SU",
        "BYYEARDAY=366",
        "BYWEEKNO=53",
        "BYSETPOS=3",
        "BYHOUR=25",
        "BYHOUR=1,2",
        "WKST=SU",
        "BYSECOND=60",
    ]
)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(PARTS, max_size=6), days=st.integers(1, 3000))
def test_any_rule_expands_within_its_bounds(parts: list[str], days: int) -> None:
    start = datetime(2001, 3, 4, 5, 6, 7)
    try:
        rule = parse_rule(";".join(parts))
    except RuleError:
        return
    found = expand(rule, start, start + timedelta(days=days), 500)
    assert found[0] == start and len(found) <= 500
    assert found == sorted(set(found))
    assert found[-1] <= start + timedelta(days=days)


LINES = st.sampled_from(
    [
        "BEGIN:VCALENDAR",
        "END:VCALENDAR",
        "BEGIN:VEVENT",
        "END:VEVENT",
        "BEGIN:VTODO",
        "END:VTODO",
        "BEGIN:VTIMEZONE",
        "END:VTIMEZONE",
        "UID:u",
        "DTSTART:20200101T000000Z",
        "DTSTART;VALUE=DATE:20200101",
        "DTSTART;TZID=Nowhere:20200101T000000",
        "DTEND:20190101T000000Z",
        "RRULE:FREQ=DAILY;BYSETPOS=9",
        "RRULE:FREQ=YEARLY;BYDAY=53MO",
        "EXDATE:20200102T000000Z",
        "RDATE;VALUE=PERIOD:20200105T100000Z/PT1H",
        "RECURRENCE-ID:20200103T000000Z",
        "SUMMARY:s",
        " folded",
        "TZID:Nowhere",
        "BEGIN:STANDARD",
        "END:STANDARD",
        "TZOFFSETTO:+0100",
        "DURATION:PT1H",
        "ATTENDEE:x",
    ]
)


@settings(max_examples=120, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(LINES, st.text(max_size=20)), max_size=40))
def test_arbitrary_calendars_never_crash(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.ics"
        path.write_text("\r\n".join(lines), encoding="utf-8", errors="surrogatepass")
        records_of(SOURCE, path)
