"""vCard: real exports of phones and mail programs, versions 2.1-4.0, broken files."""

from __future__ import annotations

import tempfile
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.base import read_head
from lifelog.sources.contacts.vcard import VcardSource, normalize_email, normalize_phone

SOURCE = VcardSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def write(directory: Path, data: str | bytes, name: str = "contacts.vcf") -> Path:
    path = directory / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- the real samples ------------------------------------------------------------------


def test_sample_android_21_quoted_printable(samples: Path) -> None:
    path = samples / "vcard" / "android_v21_quoted_printable_multi.vcf"
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.title for i in items] == [
        "john.doe@company.com",
        "jane.doe@company.com",
        "Ñ Ñ Ñ Ñ Ñ",
        "Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ",  # a soft line break inside the value
        "Ñ Ñ Ñ Ñ",
        "ÑÑÑÑ",
    ]
    assert items[3].metadata["phones"] == ["123456", "234567", "3456789", "45678901"]
    bob = items[4]
    assert bob.metadata["emails"] == ["bob@company.com"]
    assert bob.metadata["organization"] == "ÑÑÑÑÑÑÑÑÑÑÑÑ"
    assert "/9j/" not in bob.text  # the photo is dropped
    # a damaged UTF-8 byte (=80) keeps the rest of the value readable
    assert items[5].metadata["encoding_errors"] is True
    assert "Ã" not in items[5].text


def test_sample_evolution_folded(samples: Path) -> None:
    (item,), _ = parse(samples / "vcard" / "evolution_v3_folded.vcf")
    assert item.key == "uid:477343c8e6bf375a9bac1f96a5000837"
    assert item.title == "Mr. John Richter, James Doe Sr."
    assert item.metadata["emails"] == ["john.doe@ibm.com"]  # folded mid-address
    assert item.metadata["phones"] == ["9056661234", "9055551234"]
    assert "AIM: johnny5@aol.com" in item.text
    assert "Related: Maria (spouse)" in item.text
    assert 'CONTRIBUTORS "AS IS" AND ANY EXPRESS' in item.text
    assert item.timestamp == datetime(2012, 3, 5, 13, 32, 54, tzinfo=UTC)


def test_sample_gmail_and_iphone_labels(samples: Path) -> None:
    (gmail,), _ = parse(samples / "vcard" / "gmail_v3.vcf")
    assert "Related: Jenny (spouse)" in gmail.text
    assert "Date: 1975-03-01 (anniversary)" in gmail.text
    assert "Web: http://www.ibm.com" in gmail.text
    assert gmail.metadata["birthday"] == "1980-03-22"
    (iphone,), _ = parse(samples / "vcard" / "iphone_ios5_v3_photo.vcf")
    assert "Phone: 905-222-1234 (assistantphone)" in iphone.text
    assert len(iphone.metadata["phones"]) == 7
    assert "4AAQSkZJRg" not in iphone.text


def test_sample_outlook_and_rfc6350(samples: Path) -> None:
    (outlook,), _ = parse(samples / "vcard" / "outlook2007_v21_qp_key.vcf")
    assert outlook.title == "Mr. Michael Angstadt Jr."
    assert "I assume it encodes this text inside a NOTE vCard type.\nBut" in outlook.text
    assert outlook.metadata["emails"] == ["mike.angstadt@gmail.com"]
    assert "Organization: TheCompany, TheDepartment" in outlook.text
    (rfc,), _ = parse(samples / "vcard" / "rfc6350_v4_example.vcf")
    assert rfc.metadata["phones"] == ["+14186569254", "+14182626501"]
    assert rfc.metadata["birthday"] == "--0203"
    assert "Address: Suite D2-630, 2875 Laurier, Quebec, QC, G1V 2M2, Canada (work)" in rfc.text


# -- made-up cards ---------------------------------------------------------------------


def test_normalisation() -> None:
    assert normalize_email(" MAILTO:Alice@Example.ORG ") == "alice@example.org"
    assert normalize_email("not an address") is None
    assert normalize_phone("tel:+1-418-656-9254;ext=102") == "+14186569254"
    assert normalize_phone("0049 (30) 1234-567") == "+49301234567"
    assert normalize_phone("(111) 555-1111 x12") == "1115551111"
    assert normalize_phone("12") is None


def test_windows_1252_bare_charset_and_escapes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zo\xeb Caf\xe9\r\nN:Caf\xe9;Zo\xeb;;;\r\n"
        b"EMAIL;TYPE=INTERNET,HOME:Zoe@Example.com\r\nNOTE:line one\\nline two\\, with comma\r\n"
        b"END:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen\r\n"
        b"TEL;HOME;VOICE:+49 30 1234\r\nEND:VCARD\r\n",
    )
    (zoe, jurgen), skips = parse(path)
    assert skips == []
    assert zoe.title == "Zoë Café" and zoe.participants == ("Zoë Café", "zoe@example.com")
    assert "Email: zoe@example.com (home)" in zoe.text
    assert "line one\nline two, with comma" in zoe.text
    assert jurgen.title == "Jürgen Müller" and jurgen.metadata["phones"] == ["+49301234"]
    assert jurgen.key == "Jürgen Müller|+49301234"


def test_broken_cards_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:First\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nothing to name it by\r\nEND:VCARD\r\n"
        "garbage between cards\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Has agent\r\nAGENT:BEGIN:VCARD\r\n"
        "BEGIN:VCARD\r\nFN:Nested\r\nEND:VCARD\r\nEMAIL:outer@x.org\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\nEMAIL:cut@example.org\r\nTEL:12",
    )
    items, skips = parse(path)
    assert [i.title for i in items] == ["First", "Has agent", "Cut short"]
    assert items[1].metadata["emails"] == ["outer@x.org"]
    assert items[2].metadata["incomplete"] is True
    positions = {s.position: s.reason for s in skips}
    assert "no name" in positions["card 2 (line 5)"]
    assert "cut short" in positions["card 4 (line 20)"]
    assert all(s.file == str(path) for s in skips)


def test_duplicate_names_get_distinct_keys_and_uid_is_path_independent(tmp_path: Path) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Same\r\nEND:VCARD\r\n"
    items, _ = parse(write(tmp_path, card * 2))
    assert [i.key for i in items] == ["Same|", "Same| #2"]
    uid_card = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\nFN:A\r\nEND:VCARD\r\n"
    (one,), _ = parse(write(tmp_path, uid_card, "a.vcf"))
    (two,), _ = parse(write(tmp_path, uid_card, "b.vcf"))
    assert one.id == two.id and one.key == "uid:urn:uuid:1"


def test_huge_photo_costs_no_memory(tmp_path: Path) -> None:
    photo = (
        "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUFB" * 19 + "\r\n" + (" " + "QUFB" * 19 + "\r\n") * 60_000
    )
    path = write(tmp_path, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pic\r\n" + photo + "END:VCARD\r\n")
    parse(write(tmp_path, "BEGIN:VCARD\r\nFN:warm\r\nEND:VCARD\r\n", "warm.vcf"))
    tracemalloc.start()
    try:
        (item,), _ = parse(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert item.title == "Pic"
    assert peak < path.stat().st_size / 20, peak


def test_unreadable_file_and_detection(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nope.vcf"):
        list(SOURCE.parse(tmp_path / "nope.vcf"))
    path = write(tmp_path, "\ufeffBEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", "export.dat")
    assert isinstance(detect(path), VcardSource)
    (item,), _ = parse(path)
    assert item.title == "x"


LINES = st.sampled_from(
    [
        "BEGIN:VCARD",
        "END:VCARD",
        "VERSION:2.1",
        "VERSION:4.0",
        "FN:a",
        "N:;;;;",
        "EMAIL:a@b.c",
        "TEL;VALUE=uri:tel:+1",
        "NOTE;ENCODING=QUOTED-PRINTABLE:=C3=",
        "ORG;CHARSET=bogus:x",
        "PHOTO;ENCODING=b:AAA",
        " folded",
        "item1.X-ABLabel:_$!<x>!$_",
        "ADR:;;;",
        'TEL;TYPE="a:b":1',
        "=",
        "BDAY:--0203",
        "UID:",
        "REV:garbage",
    ]
)


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(LINES, st.text(max_size=30), st.binary(max_size=30)), max_size=40))
def test_arbitrary_files_never_crash(lines: list[str | bytes]) -> None:
    data = b"\r\n".join(x if isinstance(x, bytes) else x.encode("utf-8", "replace") for x in lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.vcf"
        path.write_bytes(data)
        for record in records_of(SOURCE, path):
            if isinstance(record, Item):
                assert record.kind == "contact" and record.title
