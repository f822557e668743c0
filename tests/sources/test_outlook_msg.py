"""Outlook .msg: MS-OXMSG files (see data/msg/: written from the specifications, read by
olefile and by Perl's Email::Outlook::Message), read as the mail they hold; damage."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

pytest.importorskip("olefile")

from lifelog.errors import SourceError  # noqa: E402 - after the optional dependency's check
from lifelog.records import Item, Skip  # noqa: E402
from lifelog.sources import detect  # noqa: E402
from lifelog.sources.mail.email import EmlSource  # noqa: E402
from lifelog.sources.mail.outlook_msg import OutlookMsgSource  # noqa: E402

SOURCE = OutlookMsgSource()
DATA = Path(__file__).parent / "data" / "msg"
PLAIN = DATA / "korean_russian_attachment.msg"
HTML = DATA / "html_only_arabic_japanese.msg"


def test_a_message_with_recipients_and_an_attachment() -> None:
    found = detect(PLAIN)
    assert found is not None and found.name == "outlook_msg"
    items, skips = split_records(SOURCE, PLAIN)
    (item,) = items
    assert item.kind == "email" and item.metadata["format"] == "msg"
    assert item.title == "회의 일정 / Расписание встречи"
    assert (
        "다음 주 화요일 오후 세 시에 만나요." in item.text and "До встречи во вторник!" in item.text
    )
    assert item.author == "김민준"
    assert "Анна Петрова" in item.participants and "Yuki Tanaka" in item.participants
    assert item.timestamp == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert item.metadata["attachments"] == ["일정표.pdf"]
    (left,) = skips
    assert "1 attachment contents left out" in left.reason


def test_same_id_as_the_same_mail_saved_as_eml(tmp_path: Path) -> None:
    eml = tmp_path / "same.eml"
    eml.write_bytes(
        b"From: minjun@example.org\r\nTo: anna@example.org\r\nSubject: x\r\n"
        b"Message-ID: <CAF1234.msg-fixture-1@example.org>\r\n\r\nbody\r\n"
    )
    (as_eml,) = [r for r in EmlSource().parse(eml) if isinstance(r, Item)]
    (as_msg,) = [r for r in SOURCE.parse(PLAIN) if isinstance(r, Item)]
    assert as_msg.key == as_eml.key == "CAF1234.msg-fixture-1@example.org"


def test_html_only_body_is_read_as_text() -> None:
    (item,) = [r for r in SOURCE.parse(HTML) if isinstance(r, Item)]
    assert "الاجتماع غداً في العاشرة." in item.text
    assert "会議は明日の十時です。北京の件も。" in item.text
    assert "<p>" not in item.text and item.title == "اجتماع الغد — 明日の会議"


def test_found_by_content_without_its_extension(tmp_path: Path) -> None:
    copy = tmp_path / "saved-message"
    copy.write_bytes(PLAIN.read_bytes())
    found = detect(copy)
    assert found is not None and found.name == "outlook_msg"


def test_damaged_files(tmp_path: Path) -> None:
    data = PLAIN.read_bytes()
    cut = tmp_path / "cut.msg"
    cut.write_bytes(data[: len(data) // 2])
    assert_parses_or_names_file(SOURCE, cut)
    not_ole = tmp_path / "fake.msg"
    not_ole.write_bytes(b"From: a@b\r\n\r\nnot an OLE file")
    with pytest.raises(SourceError, match="fake.msg"):
        list(SOURCE.parse(not_ole))
    scrambled = bytearray(data)
    scrambled[512:1024] = b"\xff" * 512  # the first sectors (FAT chains, streams) broken
    broken = tmp_path / "broken.msg"
    broken.write_bytes(bytes(scrambled))
    records = assert_parses_or_names_file(SOURCE, broken)
    assert all(not isinstance(r, Skip) or r.file == str(broken) for r in records)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 11264), st.binary(min_size=1, max_size=64))
def test_mutated_files_never_crash(at: int, junk: bytes) -> None:
    data = bytearray(PLAIN.read_bytes())
    data[at : at + len(junk)] = junk
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.msg"
        path.write_bytes(bytes(data))
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
