"""Outlook .pst: a real PST written by Aspose.Email (see data/pst/README.md), read whole
through libpff; ids, search, detection by content, and damaged copies."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

import pytest
from source_helpers import assert_parses_or_names_file, split_records

from lifelog import Memory
from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.mail.pst import PstSource

needs_pypff = pytest.mark.skipif(find_spec("pypff") is None, reason="pypff is not installed")

DATA = Path(__file__).parent / "data" / "pst"
PST = DATA / "mailbox.pst"
#: one byte that makes libpff 20260926 die (SIGSEGV) reading a Sent Items message
#: (found by mutating the fixture)
CRASHING_BYTE = (59747, 0xF1)


def _source() -> PstSource:
    return PstSource()


def _items(path: Path = PST) -> tuple[list[Item], list[Skip]]:
    return split_records(_source(), path)


@needs_pypff
def test_the_whole_mailbox() -> None:
    found = detect(PST)
    assert found is not None and found.name == "pst"
    items, skips = _items()
    assert len(items) == 8
    by_title = {item.title.split("(Aspose")[0]: item for item in items if item.title}
    folders = {item.metadata["folder"] for item in items}
    assert folders == {"Inbox", "Inbox/Projects", "Inbox/Projects/서울 2024", "Sent Items"}
    assert all(item.kind == "email" and item.metadata["format"] == "pst" for item in items)

    report = by_title["Отчёт за квартал"]
    assert report.author == "Анна Петрова"
    assert report.metadata["from_address"] == "anna@example.ru"
    assert report.metadata["to"] == ["minjun@example.org"]
    assert report.timestamp == datetime(2024, 3, 4, 8, 15, tzinfo=UTC)
    assert report.key == "report-q1@example.ru" and report.metadata["direction"] == "received"

    # a reply threads with the mail it answers, across recipients in two scripts
    invoice, reply = by_title["增值税发票"], by_title["Re: 增值税发票"]
    assert reply.thread == invoice.key == "fapiao-2024@example.cn"
    assert reply.metadata["to"] == ["minjun@example.org", "wei@example.cn"]
    assert "王伟" in reply.participants

    # written property by property (no internet headers): sender, to, cc, attachment
    seoul = by_title["서울 출장 일정"]
    assert seoul.metadata["folder"] == "Inbox/Projects/서울 2024"
    assert seoul.author == "박서연" and seoul.metadata["from_address"] == "seoyeon@example.kr"
    assert seoul.metadata["to"] == ["minjun@example.org"]
    assert seoul.metadata["cc"] == ["yuki@example.jp"]
    assert seoul.timestamp == datetime(2024, 3, 8, 1, 0, tzinfo=UTC)
    assert seoul.metadata["attachments"] == ["출장일정.txt"]
    assert seoul.key.startswith("hash:")

    # HTML only, in Shift_JIS (PR_INTERNET_CPID 932): read as text
    kyoto = by_title["京都旅行の写真"]
    assert "京都で撮った紅葉の写真を送ります。" in kyoto.text and "<p>" not in kyoto.text

    sent = [item for item in items if item.metadata["folder"] == "Sent Items"]
    assert len(sent) == 2 and all(item.metadata["direction"] == "sent" for item in sent)
    assert by_title["Отчёт получен"].metadata["cc"] == ["layla@example.ae"]
    (left,) = skips
    assert left.reason == "1 attachment contents left out"


@needs_pypff
def test_every_script_is_found_by_search(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "memory") as memory:
        report = memory.ingest(PST, embed=False)
        assert report.by_source["pst"].added == 8
        for word, subject in [
            ("광화문에서", "서울 출장 일정"),
            ("ежеквартальный", "Отчёт за квартал"),
            ("المكتبة", "موعد الاجتماع"),
            ("紅葉", "京都旅行の写真"),
            ("增值税", "增值税发票"),
        ]:
            hits = memory.search(word)
            assert hits and any((h.item.title or "").startswith(subject) for h in hits), word


@needs_pypff
def test_ids_are_stable_across_imports(tmp_path: Path) -> None:
    def ids(where: Path) -> set[str]:
        with Memory.init(where) as memory:
            memory.ingest(PST, embed=False)
            rows = memory.store.conn.execute("SELECT id FROM items WHERE source = 'pst'")
            return {row[0] for row in rows}

    first = ids(tmp_path / "one")
    assert len(first) == 8 and first == ids(tmp_path / "two")
    keys = [item.key for item in _items()[0]]
    assert keys == [item.key for item in _items()[0]]


@needs_pypff
def test_found_by_content_under_another_name(tmp_path: Path) -> None:
    copy = tmp_path / "outlook-backup.bak"
    shutil.copyfile(PST, copy)
    found = detect(copy)
    assert found is not None and found.name == "pst"
    assert len(_items(copy)[0]) == 8


@needs_pypff
def test_a_truncated_copy_is_a_clear_error(tmp_path: Path) -> None:
    data = PST.read_bytes()
    cut = tmp_path / "cut.pst"
    cut.write_bytes(data[:40_000])  # the node and block trees are cut
    with pytest.raises(SourceError, match=r"cut\.pst: not a readable Outlook .*cut short"):
        list(_source().parse(cut))
    late = tmp_path / "late.pst"
    late.write_bytes(data[:200_000])  # only the free space at its end is gone
    items, skips = _items(late)
    assert len(items) == 8
    assert any("cut short (200,000 of the 271,360 bytes" in s.reason for s in skips)


@needs_pypff
def test_a_corrupt_copy_skips_what_libpff_cannot_read(tmp_path: Path) -> None:
    data = bytearray(PST.read_bytes())
    at, value = CRASHING_BYTE
    data[at] = value
    broken = tmp_path / "broken.pst"
    broken.write_bytes(bytes(data))
    items, skips = _items(broken)
    assert len(items) == 7  # libpff dies on one message; a new child reads the rest
    (failed,) = [s for s in skips if "libpff failed" in s.reason]
    assert failed.position == "folder Sent Items, message 1" and failed.file == str(broken)
    not_pst = tmp_path / "fake.pst"
    not_pst.write_bytes(b"From: a@b\r\n\r\nnot a PST")
    with pytest.raises(SourceError, match=r"fake\.pst: not an Outlook"):
        list(_source().parse(not_pst))
    scrambled = bytearray(PST.read_bytes())
    scrambled[512:8192] = b"\xa5" * 7680  # the first pages: its tree roots are gone
    garbled = tmp_path / "garbled.pst"
    garbled.write_bytes(bytes(scrambled))
    records = assert_parses_or_names_file(_source(), garbled)
    assert all(not isinstance(r, Skip) or r.file == str(garbled) for r in records)


def test_without_pypff_the_error_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lifelog.sources.mail.pst as pst

    monkeypatch.setattr(pst, "find_spec", lambda name: None)
    with pytest.raises(SourceError, match=r"mailbox\.pst: .*needs pypff: pip install"):
        list(pst.PstSource().parse(PST))
