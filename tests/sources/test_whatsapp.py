"""WhatsApp chat exports: real samples, every phone style, zips, and broken input."""

from __future__ import annotations

import os
import tempfile
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import corrupt_zip_member, records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.base import read_head
from lifelog.sources.chat.whatsapp import WhatsAppSource, check_zip_member

SOURCE = WhatsAppSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_bytes(text.encode("utf-8"))
    return path


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- the real samples ------------------------------------------------------------------


def test_sample_android_2017_is_month_first_with_system_lines(samples: Path) -> None:
    path = samples / "whatsapp" / "android_2017_group_created.txt"
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.author for i in items] == [None, None, "Sample User", "TestBot", "+410123456789"]
    assert [i.metadata.get("system", False) for i in items] == [True, True, False, False, False]
    # no field above 12; the second field goes down within 2017, so it is the day
    assert [i.timestamp for i in items][2:] == [
        at(2017, 6, 3, 0, 45),
        at(2017, 8, 5, 1, 48),
        at(2017, 9, 4, 1, 50),
    ]
    assert items[4].text == "How are you?\n\nIs everything alright?"
    assert items[1].text == 'You created group "ShortChat"'
    assert items[0].participants == ("Sample User", "TestBot", "+410123456789")


@pytest.mark.parametrize(
    "name, first, location",
    [
        ("android_dotted_date_24h.txt", at(2022, 3, 16, 15, 20), at(2022, 3, 16, 18, 35)),
        (
            "ios_ddmmyyyy_12h_lrm_multiline.txt",
            at(2022, 3, 16, 15, 20, 25),
            at(2022, 3, 16, 18, 35, 51),
        ),
    ],
)
def test_samples_day_first_multiline_and_lrm(
    samples: Path, name: str, first: datetime, location: datetime
) -> None:
    path = samples / "whatsapp" / name
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert len(items) == 10
    assert items[0].author is None and items[0].metadata["system"] is True
    assert "end-to-end encrypted" in items[0].text
    assert items[1].author == "person1" and items[1].timestamp == first
    assert items[1].text == "Hi \n\nshiva!"
    loc = items[5]
    assert loc.timestamp == location and loc.text.startswith("Location: https://maps")
    # lines that start with U+200E are still message headers
    assert items[6].author == "person4" and items[6].text.startswith("I’m about to")
    assert items[-1].timestamp is not None and items[-1].timestamp.year == 2020
    assert items[-1].text == "\U0001f44dBedankt"
    assert set(items[1].participants) == {"person1", "person2", "person3", "person4"}
    assert all("\r" not in i.text for i in items)


def test_sample_spanish_am_pm_month_first(samples: Path) -> None:
    path = samples / "whatsapp" / "android_mmddyyyy_spanish_am_pm.txt"
    items, skips = parse(path)
    assert skips == []
    by_line = {i.locator: i for i in items}
    assert by_line["line 1"].timestamp == at(2019, 1, 1, 11, 25)
    assert by_line["line 2"].author == "John Doe" and by_line["line 2"].text == "."
    assert by_line["line 3"].timestamp == at(2019, 1, 30, 20, 49)
    assert by_line["line 3"].text == (
        "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
    )
    assert by_line["line 5"].text == "Lorem ipsum : dolor sit amet."
    assert by_line["line 6"].timestamp == at(2020, 6, 20, 0, 8)
    assert by_line["line 6"].author is None  # "+12 345 578 created group"
    assert by_line["line 7"].metadata["system"] is True  # "You were added"
    assert by_line["line 8"].author == "John Doe \U0001f913"
    assert by_line["line 9"].author == "\U0001f913" and by_line["line 9"].timestamp == at(
        2021, 12, 20, 12, 10
    )
    assert by_line["line 10"].timestamp == at(2021, 12, 30, 22, 1)  # no final newline


# -- styles ----------------------------------------------------------------------------


def test_android_us_two_digit_year(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "WhatsApp Chat with Melanie.txt",
        "12/31/19, 10:15 PM - Melanie: Happy new year!\n"
        "1/1/20, 12:05 AM - Sam: You too\n"
        "1/1/20, 12:00 PM - Melanie: lunch?\n",
    )
    items, skips = parse(path)
    assert skips == []
    assert [i.timestamp for i in items] == [
        at(2019, 12, 31, 22, 15),
        at(2020, 1, 1, 0, 5),
        at(2020, 1, 1, 12, 0),
    ]
    assert items[0].thread == "whatsapp:Melanie" and items[0].title == "Melanie"
    assert items[0].participants == ("Melanie", "Sam")
    assert items[0].key == "Melanie/2019-12-31T22:15:00+00:00/Melanie/0"


def test_ios_narrow_nbsp_and_lrm(tmp_path: Path) -> None:
    folder = tmp_path / "WhatsApp Chat - Family"
    folder.mkdir()
    path = write(
        folder,
        "_chat.txt",
        "\u200e[1/2/21, 10:15:03\u202fPM] Family: \u200eMessages and calls are end-to-end "
        "encrypted.\n"
        "[1/2/21, 10:16:00\u202fPM] Elena: \u200eimage omitted\n"
        "[1/2/21, 10:16:30\u202fPM] Leo: \u200e<attached: 00000012-PHOTO-2021-01-02.jpg>\n"
        "[1/3/21, 9:00:00\u202fAM] Family: \u200eElena added Sam\n"
        "[1/3/21, 9:01:00\u202fAM] Elena: This message was deleted\n",
    )
    items, skips = parse(path)
    assert skips == []
    # 12-hour clock, nothing decisive: month first (US)
    assert items[0].timestamp == at(2021, 1, 2, 22, 15, 3)
    assert items[0].author is None and items[0].metadata["system"] is True
    assert items[1].author == "Elena" and items[1].metadata["media"] is True
    assert items[1].text == "image omitted"
    assert items[2].metadata["media"] == "00000012-PHOTO-2021-01-02.jpg"
    assert items[3].metadata.get("system") is True and items[3].text == "Elena added Sam"
    assert items[4].metadata["deleted"] is True
    assert items[0].participants == ("Elena", "Leo")


def test_ios_group_notices_recognised_without_the_group_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "_chat.txt",
        "[13/02/2021, 10:15:03] Trip 2021: \u200eYou created group “Trip 2021”\n"
        "[13/02/2021, 10:15:05] Trip 2021: \u200eYou added Leo\n"
        "[13/02/2021, 10:15:09] Leo: \u200eLocation: https://maps.google.com/?q=1,2\n"
        "[13/02/2021, 10:15:10] Sam: \u200eimage omitted\n",
    )
    items, _ = parse(path)
    assert [i.author for i in items] == [None, None, "Leo", "Sam"]
    assert items[0].metadata["system"] is True and items[1].text == "You added Leo"
    assert "system" not in items[2].metadata
    assert items[0].participants == ("Leo", "Sam")


def test_dotted_24h_and_year_first_styles(tmp_path: Path) -> None:
    dotted = write(tmp_path, "a.txt", "03.04.19, 22:15 - Anna: Hallo\n05.04.19, 08:00 - Ben: Hi\n")
    items, _ = parse(dotted)
    assert [i.timestamp for i in items] == [at(2019, 4, 3, 22, 15), at(2019, 4, 5, 8, 0)]
    ymd = write(tmp_path, "b.txt", "2019-12-31 22:15 - Anna: Gott nytt år\n")
    items, _ = parse(ymd)
    assert items[0].timestamp == at(2019, 12, 31, 22, 15)


def test_media_placeholders(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.txt",
        "31/12/2019, 22:15 - Ann: <Media omitted>\n"
        "31/12/2019, 22:16 - Ann: IMG-20191231-WA0001.jpg (file attached)\n"
        "look at this\n"
        "31/12/2019, 22:17 - Ann: just text\n",
    )
    items, _ = parse(path)
    assert items[0].metadata["media"] is True and items[0].text == "<Media omitted>"
    assert items[1].metadata["media"] == "IMG-20191231-WA0001.jpg"
    assert items[1].text.endswith("look at this")
    assert "media" not in items[2].metadata


def test_keys_are_stable_across_paths_and_ordinals_distinct(tmp_path: Path) -> None:
    text = (
        "31/12/2019, 22:15 - Ann: one\n"
        "31/12/2019, 22:15 - Ann: two\n"
        "31/12/2019, 22:15 - Bob: three\n"
        "31/12/2019, 22:15 - Ann: four\n"
    )
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    first, _ = parse(write(tmp_path / "x", "WhatsApp Chat with Ann.txt", text))
    again, _ = parse(
        write(
            tmp_path / "y", "WhatsApp Chat with Ann.txt", text + "01/01/2020, 10:00 - Ann: more\n"
        )
    )
    assert [i.key.rsplit("/", 2)[1:] for i in first] == [
        ["Ann", "0"],
        ["Ann", "1"],
        ["Bob", "0"],
        ["Ann", "2"],
    ]
    assert len({i.id for i in first}) == 4
    assert [i.id for i in again[:4]] == [i.id for i in first]


# -- broken input ----------------------------------------------------------------------


def test_unknown_date_style_is_skipped_with_line_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "chat.txt",
        "25/12/2019, 10:00 - Ann: Merry Christmas\n"
        "12/45/2019, 10:01 - Ann: impossible date\n"
        "and its second line\n"
        "26/12/2019, 09:00 - Bob: Thanks!\n",
    )
    items, skips = parse(path)
    assert [i.text for i in items] == ["Merry Christmas", "Thanks!"]
    assert len(skips) == 1
    assert skips[0].file == str(path) and skips[0].position == "line 2"
    assert "unknown date style" in skips[0].reason


def test_text_before_first_message_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "c.txt", "garbage header\n25/12/2019, 10:00 - Ann: hi\n")
    items, skips = parse(path)
    assert [i.text for i in items] == ["hi"]
    assert [s.position for s in skips] == ["line 1"]


def test_no_messages_at_all_is_one_skip(tmp_path: Path) -> None:
    path = write(tmp_path, "WhatsApp Chat with Nobody.txt", "just some words\n")
    items, skips = parse(path)
    assert items == [] and len(skips) == 1 and "no WhatsApp messages" in skips[0].reason


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"25/12/2019, 10:00 - Ann: caf\xe9 \xff\n25/12/2019, 10:01 - Bob: ok\n")
    items, skips = parse(path)
    assert skips == [] and items[0].text == "caf\ufffd \ufffd" and items[1].text == "ok"


def test_missing_file_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="missing.txt"):
        list(SOURCE.parse(tmp_path / "missing.txt"))


# -- zips ------------------------------------------------------------------------------

CHAT = "31/12/2019, 22:15 - Elena: Happy new year\n31/12/2019, 22:16 - Sam: \u2764\ufe0f\n"


def test_zip_export_read_in_place(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - Rivera Family.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", CHAT)
        archive.writestr("00000012-PHOTO-2019-12-31.jpg", b"\xff\xd8\xff fake jpeg")
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.author for i in items] == ["Elena", "Sam"]
    assert items[0].thread == "whatsapp:Rivera Family"
    assert items[0].locator == "_chat.txt line 1"
    # same chat as a bare txt: same keys
    txt = write(tmp_path, "WhatsApp Chat with Rivera Family.txt", CHAT)
    assert [i.id for i in parse(txt)[0]] == [i.id for i in items]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "WhatsApp Chat - Rivera Family.zip",
        "WhatsApp Chat with Rivera Family.txt",
    ]


def test_zip_with_path_traversal_names_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = work / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../evil.txt", CHAT)
        archive.writestr("../../WhatsApp Chat with Evil.txt", CHAT)
        archive.writestr("/tmp/absolute-evil.jpg", b"x")
    before = {p for p in tmp_path.rglob("*")}
    items, skips = parse(path)
    assert {p for p in tmp_path.rglob("*")} == before
    assert not Path("/tmp/absolute-evil.jpg").exists()
    assert items and all(i.thread == "whatsapp:Evil" for i in items)
    assert skips == []


def test_zip_bomb_and_oversized_members_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", CHAT + "\n" * (11 * 1024 * 1024))
    items, skips = parse(path)
    assert items == []
    assert len(skips) == 1 and "zip bomb" in skips[0].reason and skips[0].position == "_chat.txt"
    big = zipfile.ZipInfo("_chat.txt")
    big.file_size, big.compress_size = 600 * 1024 * 1024, 300 * 1024 * 1024
    assert "too large" in (check_zip_member(big) or "")


def test_corrupt_zip_raises_source_error(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert not SOURCE.sniff(path, read_head(path))
    with pytest.raises(SourceError, match="Broken.zip"):
        list(SOURCE.parse(path))


# -- detection -------------------------------------------------------------------------


def test_sniff_rejects_plain_text_and_detect_prefers_whatsapp(tmp_path: Path) -> None:
    note = write(tmp_path, "todo.txt", "Buy milk\n12/31/19 is a date in a note\n")
    chat = write(tmp_path, "export.txt", "\ufeff12/31/19, 10:15 PM - Melanie: hi\n")
    assert not SOURCE.sniff(note, read_head(note))
    assert SOURCE.sniff(chat, read_head(chat))
    from lifelog.sources import detect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = detect(chat)
    assert found is not None and found.name == "whatsapp"


# -- properties ------------------------------------------------------------------------

FRAGMENTS = [
    "31/12/2019, 22:15 - ",
    "12/31/19, 10:15 PM - ",
    "[31/12/2019, 22:15:03] ",
    "\u200e[1/2/21, 10:15:03\u202fp. m.] ",
    "99/99/9999, 99:99 - ",
    "0/0/0, 0:00 - ",
    "Ann: ",
    "Ann:",
    "<Media omitted>",
    "\u200eimage omitted",
    "<attached: x.jpg>",
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\ufeff",
]


@settings(
    max_examples=80,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_raises(pieces: list[str], raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
            path = Path(folder) / "WhatsApp Chat with Fuzz.txt"
            path.write_bytes(data)
            for record in records_of(SOURCE, path):
                if isinstance(record, Item):
                    assert record.timestamp is not None and record.timestamp.tzinfo is not None
            SOURCE.sniff(path, data[:8192])
        assert os.listdir(folder) == ["WhatsApp Chat with Fuzz.txt"]


def test_damaged_zip_member_is_a_skip(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Damaged.zip"
    lines = "".join(
        f"31/12/2019, 22:{n % 60:02d} - Ann: message {n} {n * 7919}\n" for n in range(400)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", lines)
    corrupt_zip_member(path)
    records = list(SOURCE.parse(path))
    skips = [r for r in records if isinstance(r, Skip)]
    assert len(skips) == 1 and skips[0].position == "_chat.txt"
    assert "cannot read zip member" in skips[0].reason


@settings(max_examples=40, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(["_chat.txt", "../evil.txt", "/abs.txt", "a/../../b.txt"]),
                st.text(
                    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                    min_size=1,
                    max_size=12,
                ).map(lambda n: n + ".txt"),
            ),
            st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)),
        ),
        max_size=4,
    )
)
def test_arbitrary_zips_never_raise_or_write(members: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "WhatsApp Chat with Zip.zip"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names
            with zipfile.ZipFile(path, "w") as archive:
                for name, text in members:
                    archive.writestr(name, text.encode("utf-8", "surrogatepass"))
        for record in SOURCE.parse(path):
            assert isinstance(record, Item | Skip)
        assert os.listdir(folder) == [path.name]
