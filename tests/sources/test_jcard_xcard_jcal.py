"""jCard, xCard and jCal: the JSON and XML forms of vCard and iCalendar (issue 11).

Each is read as the vCard or iCalendar text it stands for, so the items must be the ones
the vcard and ical readers make of the same data; the fixtures come in pairs written by
other projects (ical.js) or by the icalendar library itself (see data/*/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.calendar.ical import IcalSource
from lifelog.sources.calendar.jcal import JcalSource
from lifelog.sources.contacts.jcard import JcardSource, basic_time
from lifelog.sources.contacts.vcard import VcardSource
from lifelog.sources.contacts.xcard import XcardSource

DATA = Path(__file__).parent / "data"
CONTACTS = DATA / "contacts"
CALENDAR = DATA / "calendar"


def _same(a: Item, b: Item) -> None:
    assert (a.kind, a.key, a.title, a.text, a.timestamp, a.participants, a.author) == (
        b.kind,
        b.key,
        b.title,
        b.text,
        b.timestamp,
        b.participants,
        b.author,
    )
    strip = ("format", "file")
    assert {k: v for k, v in a.metadata.items() if k not in strip} == {
        k: v for k, v in b.metadata.items() if k not in strip
    }


@pytest.mark.parametrize("stem", ["icaljs_vcard_author", "icaljs_vcard"])
def test_jcard_makes_the_items_of_its_vcard(stem: str) -> None:
    jcard = list(JcardSource().parse(CONTACTS / f"{stem}.json"))
    vcard = list(VcardSource().parse(CONTACTS / f"{stem}.vcf"))
    assert len(jcard) == len(vcard) == 1
    assert isinstance(jcard[0], Item) and isinstance(vcard[0], Item)
    _same(jcard[0], vcard[0])
    assert jcard[0].source == "jcard" and jcard[0].metadata["format"] == "jcard"
    assert jcard[0].uri is not None and jcard[0].uri.endswith(".json#card 1")


def test_jcard_keeps_structured_values_dates_and_numbers() -> None:
    (item,) = JcardSource().parse(CONTACTS / "icaljs_vcard.json")
    assert isinstance(item, Item)
    assert item.title == "J. Doe"
    assert "Organization: ABC, Inc., North American Division, Marketing" in item.text
    assert "Birthday: --0203" in item.text  # "--02-03" in jCard, basic format as in vCard
    assert item.metadata["phones"] == ["+3301234567"]
    assert item.timestamp is not None and item.timestamp.isoformat() == "1995-10-31T22:27:10+00:00"


def test_basic_time_follows_rfc_7095_section_4() -> None:
    assert basic_time("--02-03", "date-and-or-time") == "--0203"
    assert basic_time("2009-08-08T14:30-05:00") == "20090808T1430-0500"
    assert basic_time("1995-10-31T22:27:10Z", "timestamp") == "19951031T222710Z"
    assert basic_time("12:30:00-05:00", "time") == "123000-0500"


def test_several_jcards_in_one_list_and_a_damaged_one_skipped(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(
        '[["vcard", [["fn", {}, "text", "Ada Lovelace"],'
        ' ["email", {"type": "home"}, "text", "ada@example.org"]], []],'
        ' ["vcard", "not a list of properties", []],'
        ' ["vcard", [["fn", {}, "text"]], []],'
        ' ["vcard", [["fn", {"group": "item1"}, "text", "Alan; Turing, OBE"],'
        ' ["tel", {}, "uri", "tel:+44-20-7946-0000"]], []]]',
        encoding="utf-8",
    )
    assert isinstance(detect(path), JcardSource)
    records = list(JcardSource().parse(path))
    items = [r for r in records if isinstance(r, Item)]
    skips = [r for r in records if isinstance(r, Skip)]
    assert [i.title for i in items] == ["Ada Lovelace", "Alan; Turing, OBE"]
    assert items[0].metadata["emails"] == ["ada@example.org"]
    assert items[1].metadata["phones"] == ["+442079460000"]
    assert [s.position.split(" (")[0] for s in skips] == ["card 2", "card 3"]
    assert all("malformed jCard" in s.reason for s in skips)


def test_a_truncated_jcard_file_keeps_the_cards_before_the_damage(tmp_path: Path) -> None:
    text = (CONTACTS / "icaljs_vcard_author.json").read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(f"[{text}, {text[: len(text) // 2]}", encoding="utf-8")
    records = list(JcardSource().parse(path))
    assert isinstance(records[0], Item) and records[0].title == "Simon Perreault"
    assert isinstance(records[-1], Skip) and "the rest is not read" in records[-1].reason


def test_xcard_reads_the_rfc_6351_example() -> None:
    path = CONTACTS / "rfc6351_author.xml"
    assert isinstance(detect(path), XcardSource)
    (item,) = XcardSource().parse(path)
    assert isinstance(item, Item)
    assert item.source == "xcard" and item.kind == "contact"
    assert item.title == "Simon Perreault"
    assert item.metadata["emails"] == ["simon.perreault@viagenie.ca"]
    assert item.metadata["phones"] == ["+14186569254", "+14182626501"]
    assert item.metadata["organization"] == "Viagenie"
    assert "Address: 2875 boul. Laurier, suite D2-630, Quebec, QC, G1V 2M2, Canada (work)" in (
        item.text
    )
    assert "Anniversary: 20090808T1430-0500" in item.text
    assert "Phone: +1-418-262-6501 (work, text, cell, video)" in item.text


def test_xcard_groups_and_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "book.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vcards xmlns="urn:ietf:params:xml:ns:vcard-4.0">\n'
        "<vcard><tel><uri>tel:+1-555-555-556</uri></tel>"
        '<group name="contact"><fn><text>Gordon</text></fn>'
        "<tel><uri>tel:+1-555-555-555</uri></tel></group></vcard>\n"
        "<vcard><nickname><text>Jim</text><text>Jimmie</text></nickname></vcard>\n"
        "<vcard><fn><text>Broken</text></vcard>\n",
        encoding="utf-8",
    )
    records = list(XcardSource().parse(path))
    items = [r for r in records if isinstance(r, Item)]
    skips = [r for r in records if isinstance(r, Skip)]
    assert items[0].title == "Gordon"
    assert items[0].metadata["phones"] == ["+1555555556", "+1555555555"]
    assert any(s.position == "card 2" and "no name" in s.reason for s in skips)
    assert "malformed XML" in skips[-1].reason and skips[-1].position.startswith("line 5")


@pytest.mark.parametrize("stem", ["icalendar_all_components", "journal_icalendar"])
def test_jcal_makes_the_items_of_its_ics(stem: str) -> None:
    jcal = list(JcalSource().parse(CALENDAR / f"{stem}.jcal.json"))
    ical = list(IcalSource().parse(CALENDAR / f"{stem}.ics"))
    assert len(jcal) == len(ical) > 1
    for a, b in zip(jcal, ical, strict=True):
        if isinstance(b, Skip):
            assert isinstance(a, Skip) and (a.position, a.reason) == (b.position, b.reason)
            continue
        assert isinstance(a, Item)
        _same(a, b)
        assert a.source == "jcal" and a.metadata["format"] == "jcal"


def test_jcal_the_rfc_7265_example_in_ical_js_wrapper() -> None:
    path = CALENDAR / "icaljs_rfc7265.json"
    assert isinstance(detect(path), JcalSource)
    (item,) = JcalSource().parse(path)
    assert isinstance(item, Item)
    assert (item.title, item.kind, item.key) == (
        "Planning meeting",
        "event",
        "4088E990AD89CB3DBB484909",
    )
    assert item.metadata["all_day"] is True
    assert item.timestamp is not None and item.timestamp.date().isoformat() == "2008-10-06"


def test_jcal_a_damaged_component_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(
        '["vcalendar", [["version", {}, "text", "2.0"]], ['
        '["vevent", [["uid", {}, "text", "a"], ["summary", {}, "text", "Dentist"],'
        ' ["dtstart", {}, "date-time", "2024-05-02T09:00:00Z"]], []],'
        ' ["vevent", [["dtstart", {}, "date-time"]], []],'
        ' ["vevent", 5, []],'
        ' ["vevent", [["uid", {}, "text", "b"], ["summary", {}, "text", "Daily standup"],'
        ' ["dtstart", {}, "date-time", "2024-05-06T09:00:00Z"],'
        ' ["rrule", {}, "recur", {"freq": "DAILY", "count": 3}]], []]]]',
        encoding="utf-8",
    )
    records = list(JcalSource().parse(path))
    items = [r for r in records if isinstance(r, Item)]
    skips = [r for r in records if isinstance(r, Skip)]
    assert [i.title for i in items] == ["Dentist"] + ["Daily standup"] * 3
    assert [s.position for s in skips] == ["component 2 (vevent)", "component 3 (vevent)"]
    assert all("malformed jCal component" in s.reason for s in skips)


def test_jcal_not_a_calendar(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"vcalendar": []}', encoding="utf-8")
    assert not isinstance(detect(path), JcalSource)
    truncated = tmp_path / "cut.json"
    text = (CALENDAR / "journal_icalendar.jcal.json").read_text(encoding="utf-8")
    truncated.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    records = list(JcalSource().parse(truncated))
    assert any(isinstance(r, Skip) and "the rest is not read" in r.reason for r in records)
