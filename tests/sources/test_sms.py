"""SMS Backup & Restore XML: texts, MMS, calls, the app's quirks and hostile XML."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import parse_bytes_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.base import read_head
from lifelog.sources.chat.sms import SmsSource

SOURCE = SmsSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


HEADER = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    "<!--File Created By SMS Backup & Restore v10.05.602 on 19/06/2023 23:40:25-->\n"
    '<?xml-stylesheet type="text/xsl" href="sms.xsl"?>\n'
)
SMSES = (
    HEADER + '<smses count="5" backup_set="abc" backup_date="1687218025000" type="full">\n'
    '  <sms protocol="0" address="+1 (555) 555-0100" date="1687209303000" type="1" '
    'subject="null" body="Back from camping! The kids loved the dunes. &#55356;&#57301;" '
    'toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" '
    'date_sent="1687209300000" sub_id="1" readable_date="19 Jun 2023 23:15:03" '
    'contact_name="Melanie" />\n'
    '  <sms protocol="0" address="+15555550100" date="1687209360000" type="2" '
    'body="Great! Caf&#233; tomorrow?&#10;At 10" read="1" status="-1" locked="0" '
    'date_sent="0" readable_date="19 Jun 2023 23:16:00" contact_name="Melanie" />\n'
    '  <sms address="+15555550100" date="1687209360000" type="2" body="sent twice" '
    'contact_name="Melanie" />\n'
    '  <sms address="+15555550100" date="1687209360000" type="2" body="sent twice" '
    'contact_name="Melanie" />\n'
    '  <mms date="1687209400000" ct_t="application/vnd.wap.multipart.related" msg_box="1" '
    'rr="null" sub="null" read_status="null" address="+15555550100~+15555550199" '
    'm_id="mms-1@carrier" read="1" m_size="12345" m_type="132" '
    'readable_date="19 Jun 2023 23:16:40" contact_name="Melanie, Tom">\n'
    "    <parts>\n"
    '      <part seq="-1" ct="application/smil" name="null" chset="null" cd="null" fn="null" '
    'cid="&lt;smil&gt;" cl="smil.xml" ctt_s="null" ctt_t="null" '
    "text='&lt;smil&gt;&lt;body&gt;&lt;/body&gt;&lt;/smil&gt;' />\n"
    '      <part seq="0" ct="image/jpeg" name="IMG_0001.jpg" chset="null" cd="null" fn="null" '
    'cid="&lt;IMG&gt;" cl="IMG_0001.jpg" ctt_s="null" ctt_t="null" text="null" '
    'data="/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U" />\n'
    '      <part seq="0" ct="text/plain" name="null" chset="106" cd="null" fn="null" '
    'cid="&lt;text&gt;" cl="text000001.txt" ctt_s="null" ctt_t="null" text="Dunes!" />\n'
    "    </parts>\n"
    "    <addrs>\n"
    '      <addr address="+15555550100" type="137" charset="106" />\n'
    '      <addr address="insert-address-token" type="151" charset="106" />\n'
    '      <addr address="+15555550199" type="151" charset="106" />\n'
    "    </addrs>\n"
    "  </mms>\n"
    "</smses>\n"
)
CALLS = (
    HEADER + '<calls count="2">\n'
    '  <call number="+15555550100" duration="125" date="1687209303000" type="2" '
    'presentation="1" readable_date="19 Jun 2023" contact_name="Melanie" />\n'
    '  <call number="+15555550177" duration="0" date="1687209999000" type="3" '
    'presentation="1" contact_name="(Unknown)" />\n'
    "</calls>\n"
)


def write(directory: Path, text: str | bytes, name: str = "sms-20230619234025.xml") -> Path:
    path = directory / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_texts_and_mms(tmp_path: Path) -> None:
    path = write(tmp_path, SMSES)
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    first, second, twice1, twice2, mms = items
    assert first.text == "Back from camping! The kids loved the dunes. 🏕"  # surrogate pair fixed
    assert first.author == "Melanie" and first.participants == ("Melanie", "Me")
    assert first.timestamp == datetime(2023, 6, 19, 21, 15, 3, tzinfo=UTC)
    assert first.thread == "sms:+15555550100" and first.title == "Melanie"
    assert first.metadata["direction"] == "received" and first.kind == "message"
    assert second.text == "Great! Café tomorrow?\nAt 10" and second.author == "Me"
    assert second.thread == first.thread  # the same number, written differently
    # no ids in the export: same number, time and direction get an ordinal
    assert (twice1.key, twice2.key) == (second.key + "/1", second.key + "/2")
    assert mms.key == "mms/mms-1@carrier" and mms.text == "Dunes!"
    assert mms.author == "Melanie"
    assert mms.participants == ("Melanie", "Tom", "Me")
    assert mms.metadata["attachments"] == ["IMG_0001.jpg"]
    assert mms.thread == "sms:+15555550100~+15555550199"
    assert first.locator == "line 5"


def test_keys_are_stable_across_paths(tmp_path: Path) -> None:
    one = write(tmp_path, SMSES)
    (tmp_path / "b").mkdir()
    two = write(tmp_path / "b", SMSES, "sms-copy.xml")
    assert [i.id for i in parse(one)[0]] == [i.id for i in parse(two)[0]]


def test_calls(tmp_path: Path) -> None:
    path = write(tmp_path, CALLS, "calls-20230619.xml")
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.text for i in items] == [
        "Outgoing call with Melanie (+15555550100), 2 min 5 s",
        "Missed call with +15555550177",
    ]
    assert items[0].kind == "event" and items[0].metadata["duration"] == 125
    assert items[0].title == "Call with Melanie"


def test_quirks_control_characters_and_invalid_utf8(tmp_path: Path) -> None:
    body = b'<sms address="1" date="1000000000000" type="1" body="a&#1;b&#55357;c\x01d\xff" />'
    items, skips = parse(write(tmp_path, HEADER.encode() + b"<smses>" + body + b"</smses>"))
    assert skips == []
    assert items[0].text == "ab\ufffdcd\ufffd"


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE smses SYSTEM "file:///etc/passwd">',
        '<!doctype smses [<!ENTITY x SYSTEM "http://127.0.0.1/x">]>',
    ],
)
def test_doctype_and_entities_are_refused(tmp_path: Path, prolog: str) -> None:
    text = HEADER + prolog + '<smses><sms address="1" date="1" type="1" body="&lol2;"/></smses>'
    path = write(tmp_path, text)
    started = time.perf_counter()
    with pytest.raises(SourceError, match="DOCTYPE"):
        list(SOURCE.parse(path))
    assert time.perf_counter() - started < 1


def test_late_doctype_is_an_error_not_an_expansion(tmp_path: Path) -> None:
    filler = "<!-- " + "x" * 70_000 + " -->"
    text = HEADER + filler + '<!DOCTYPE a [<!ENTITY e "boom">]><smses></smses>'
    items, skips = parse(write(tmp_path, text))
    assert items == [] and len(skips) == 1 and skips[0].position.startswith("line")


def test_truncated_file_keeps_earlier_records(tmp_path: Path) -> None:
    path = write(tmp_path, SMSES[: SMSES.index("<mms")])
    items, skips = parse(path)
    assert len(items) == 4
    assert len(skips) == 1 and "malformed XML" in skips[0].reason
    assert skips[0].position.startswith("line ")


def test_bad_records_and_unreadable_files(tmp_path: Path) -> None:
    text = (
        HEADER + "<smses>"
        '<sms date="x" type="zz" body="no address" />'
        '<sms address="2" date="nope" type="1" body="bad date" />'
        '<mms msg_box="2"><parts><part ct="text/plain" text="hi all"/></parts></mms>'
        "</smses>"
    )
    items, skips = parse(write(tmp_path, text))
    assert [s.position for s in skips] == ["line 4"]
    assert [i.text for i in items] == ["bad date", "hi all"]
    assert items[0].timestamp is None and items[1].author == "Me"
    with pytest.raises(SourceError, match="missing.xml"):
        list(SOURCE.parse(tmp_path / "missing.xml"))


def test_sniff_rejects_other_xml(tmp_path: Path) -> None:
    other = write(tmp_path, "<?xml version='1.0'?><rss></rss>", "feed.xml")
    assert not SOURCE.sniff(other, read_head(other))


FRAGMENTS = [
    "<smses>",
    "</smses>",
    "<sms ",
    'address="1" ',
    'date="1600000000000" ',
    'type="2" ',
    'body="x" ',
    "/>",
    "<mms>",
    "</mms>",
    "<part ct='text/plain' text='t'/>",
    "&#55357;",
    "&#56832;",
    "&amp;",
    "&lol;",
    "<!DOCTYPE x>",
    "<!ENTITY",
    "<calls>",
    "<call number='1' date='1' />",
]


@settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=10)), max_size=50),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_crashes(pieces: list[str], raw: bytes) -> None:
    for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
        parse_bytes_or_names_file(SOURCE, "sms.xml", data)


def test_big_backup_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "sms-big.xml"
    picture = "A" * 200_000  # base64 picture data, never kept
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "<smses>\n")
        for n in range(4000):
            handle.write(
                f'<sms address="+1555{n % 50:04d}" date="{1600000000000 + n}" type="1" '
                f'body="message {n} {"words " * 100}" contact_name="C{n % 50}" />\n'
            )
            if n % 50 == 0:
                handle.write(
                    f'<mms date="{1600000000000 + n}" msg_box="1" address="+1555" m_id="m{n}">'
                    f'<parts><part ct="image/jpeg" cl="p{n}.jpg" data="{picture}"/></parts>'
                    "</mms>\n"
                )
        handle.write("</smses>\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        seen = sum(1 for r in SOURCE.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 4080
    assert size > 18_000_000
    assert peak < size / 5, f"peak {peak} for {size} bytes"
