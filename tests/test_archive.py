"""Archives read in place: traversal, bombs, links, nesting, damage, resume (real files)."""

from __future__ import annotations

import io
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lifelog.archive as archive_module
from lifelog import Memory
from lifelog.archive import ArchiveReader, open_archive, unsafe_name
from lifelog.errors import SourceError
from lifelog.ingest import ingest_paths
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.archive import ArchiveSource
from lifelog.sources.base import PartDone

SOURCE = ArchiveSource()

MBOX = (
    b"From alice@example.com Mon Jan  1 10:00:00 2024\n"
    b"From: Alice <alice@example.com>\nTo: sam@example.org\nSubject: Lunch\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <lunch@example.com>\n"
    b"X-Gmail-Labels: Inbox,Important\n\nShall we have lunch on Friday?\n\n"
    b"From bob@example.com Tue Jan  2 11:00:00 2024\n"
    b"From: Bob <bob@example.com>\nTo: sam@example.org\nSubject: Bikes\n"
    b"Date: Tue, 2 Jan 2024 11:00:00 +0000\nMessage-ID: <bikes@example.com>\n"
    b"X-Gmail-Labels: Sent\n\nThe bikes are fixed.\n"
)
VCF = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alice Doe\r\nEMAIL:alice@example.com\r\nEND:VCARD\r\n"


def write_zip(path: Path, members: dict[str, bytes], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, (2024, 1, 2, 3, 4, 6))
            info.compress_type = zipfile.ZIP_DEFLATED if level else zipfile.ZIP_STORED
            archive.writestr(info, data, compresslevel=level or None)
    return path


def records(path: Path) -> tuple[list[Item], list[Skip]]:
    found = list(SOURCE.parse(path))
    return [r for r in found if isinstance(r, Item)], [r for r in found if isinstance(r, Skip)]


def test_a_plain_archive_is_detected_and_its_members_read_by_their_sources(
    tmp_path: Path,
) -> None:
    path = write_zip(tmp_path / "export.zip", {"mail/box.mbox": MBOX, "people.vcf": VCF})
    found = detect(path)
    assert found is not None and found.name == "archive"
    items, skips = records(path)
    assert skips == []
    assert sorted(i.source for i in items) == ["mbox", "mbox", "vcard"]
    lunch = next(i for i in items if i.title == "Lunch")
    assert lunch.metadata["labels"] == ["Inbox", "Important"]
    assert lunch.uri == (
        (tmp_path / "export.zip").as_uri() + "/mail/box.mbox#Message-ID %3Clunch@example.com%3E"
    )
    bikes = next(i for i in items if i.title == "Bikes")
    assert bikes.metadata["direction"] == "sent"  # Gmail's Sent label


def test_ids_do_not_depend_on_the_archive_name_or_place(tmp_path: Path) -> None:
    first = write_zip(tmp_path / "takeout-2024.zip", {"Takeout/Mail/All mail.mbox": MBOX})
    moved = tmp_path / "elsewhere" / "renamed.zip"
    moved.parent.mkdir()
    moved.write_bytes(first.read_bytes())
    assert {i.id for i in records(first)[0]} == {i.id for i in records(moved)[0]}


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.mbox", "climbs out"),
        ("Takeout/../../evil.mbox", "climbs out"),
        ("/etc/evil.mbox", "absolute"),
        ("C:\\Windows\\evil.mbox", "absolute"),
        ("..\\evil.mbox", "climbs out"),
    ],
)
def test_path_traversal_names_are_refused_and_the_rest_read(
    tmp_path: Path, name: str, why: str
) -> None:
    path = write_zip(tmp_path / "bad.zip", {name: MBOX, "good.vcf": VCF})
    items, skips = records(path)
    assert [i.source for i in items] == ["vcard"]
    assert len(skips) == 1 and why in skips[0].reason
    assert skips[0].file.startswith(str(path) + "/")  # names the archive and the member


def test_unsafe_name_rules() -> None:
    assert unsafe_name("Takeout/Mail/All mail.mbox") is None
    assert unsafe_name("a/./b..c/d") is None  # dots inside a name are fine
    assert unsafe_name("a\x00b") is not None
    assert unsafe_name("./") is not None


def test_a_zip_bomb_member_is_refused_without_being_inflated(tmp_path: Path) -> None:
    bomb = b"\0" * (20 * 1024 * 1024)  # deflates about 1000:1
    path = write_zip(tmp_path / "bomb.zip", {"huge.mbox": bomb, "ok.vcf": VCF}, level=9)
    assert path.stat().st_size < 200_000
    items, skips = records(path)
    assert [i.source for i in items] == ["vcard"]
    assert len(skips) == 1 and "zip bomb" in skips[0].reason
    assert skips[0].file == f"{path}/huge.mbox"


def test_a_member_over_the_size_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "MAX_MEMBER_BYTES", 100)
    path = write_zip(tmp_path / "big.zip", {"mail.mbox": MBOX})
    items, skips = records(path)
    assert items == [] and "too large" in skips[0].reason


def test_a_zip_listing_too_many_members_is_refused_before_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_zip(tmp_path / "many.zip", {f"n{i}.txt": b"x" for i in range(30)})
    monkeypatch.setattr(archive_module, "MAX_MEMBERS", 10)
    with pytest.raises(SourceError, match="30 members"):
        open_archive(path)


def test_a_truncated_zip_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    whole = write_zip(tmp_path / "whole.zip", {"a.mbox": MBOX * 50, "b.vcf": VCF})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(SourceError, match="cut.zip"):
        list(SOURCE.parse(cut))


def test_a_damaged_member_is_skipped_and_the_next_read(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "crc.zip", {"a.mbox": MBOX, "b.vcf": VCF}, level=0)
    data = bytearray(path.read_bytes())
    at = data.find(b"Shall we have lunch")
    data[at : at + 5] = b"XXXXX"  # stored, so the CRC check fails at the end of the member
    path.write_bytes(bytes(data))
    items, skips = records(path)
    assert "vcard" in [i.source for i in items]
    assert any(s.file == f"{path}/a.mbox" and "CRC" in s.reason for s in skips)


def test_nested_archives_are_read_and_damaged_ones_reported(tmp_path: Path) -> None:
    inner = write_zip(tmp_path / "inner.zip", {"x.mbox": MBOX}).read_bytes()
    path = write_zip(tmp_path / "outer.zip", {"inner.zip": inner, "b.tgz": b"\x1f\x8b"})
    items, skips = records(path)
    assert [i.source for i in items] == ["mbox", "mbox"]
    assert all(i.uri and "/outer.zip/inner.zip/x.mbox#" in i.uri for i in items)
    assert [s.file for s in skips] == [f"{path}/b.tgz"]
    assert "cannot read" in skips[0].reason


def test_damaged_members_needing_a_real_file_and_unknown_ones_are_reported(
    tmp_path: Path,
) -> None:
    members = {"doc.pdf": b"%PDF-1.4\n", "photo.xyz": b"?", "other.bin": b"\0", "a.vcf": VCF}
    path = write_zip(tmp_path / "mixed.zip", members)
    items, skips = records(path)
    assert [i.source for i in items] == ["vcard"]
    pdf = next(s for s in skips if s.file.endswith("doc.pdf"))  # read in memory, and damaged
    assert pdf.file == f"{path}/doc.pdf" and "lifelog-member-" not in pdf.reason
    summary = next(s for s in skips if s.position == "members")
    assert summary.file == str(path) and "2 member(s)" in summary.reason


@pytest.fixture
def no_memfd(monkeypatch: pytest.MonkeyPatch) -> None:
    """A system without memfd_create: members needing a real file are reported."""
    monkeypatch.setattr("lifelog.sources.archive.can_hold", lambda: False)


def test_without_memfd_members_needing_a_real_file_are_reported(
    tmp_path: Path, no_memfd: None
) -> None:
    members = {"doc.pdf": b"%PDF-1.4\n", "photo.xyz": b"?", "other.bin": b"\0", "a.vcf": VCF}
    path = write_zip(tmp_path / "mixed.zip", members)
    items, skips = records(path)
    assert [i.source for i in items] == ["vcard"]
    pdf = next(s for s in skips if s.file.endswith("doc.pdf"))
    assert "needs a real file" in pdf.reason
    summary = next(s for s in skips if s.position == "members")
    assert summary.file == str(path) and "2 member(s)" in summary.reason


def test_a_zip_of_nothing_lifelog_reads_is_left_alone(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "fonts.zip", {"a.ttf": b"\0", "b.dll": b"MZ"})
    assert detect(path) is None
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    found = detect(broken)
    assert found is not None and found.name == "archive"  # claimed, so the error is shown


def test_many_members_needing_a_real_file_are_counted_not_listed(
    tmp_path: Path, no_memfd: None
) -> None:
    members = {f"Drive/doc{n:02d}.pdf": b"%PDF-1.4\n" for n in range(25)}
    path = write_zip(tmp_path / "drive.zip", members)
    _, skips = records(path)
    named = [s for s in skips if s.position == "member"]
    assert len(named) == 20 and named[0].file == f"{path}/Drive/doc00.pdf"
    [summary] = [s for s in skips if s.position == "members"]
    assert summary.reason.startswith("5 more pdf files")


def _tar(path: Path, mode: str, build: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, mode) as tar:
        for info, data in build:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    return info, data


def _special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, None


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_links_devices_and_traversal_are_refused(tmp_path: Path, mode: str) -> None:
    suffix = {"w": ".tar", "w:gz": ".tgz", "w:bz2": ".tar.bz2", "w:xz": ".tar.xz"}[mode]
    path = _tar(
        tmp_path / f"t{suffix}",
        mode,
        [
            _special("Takeout/link.mbox", tarfile.SYMTYPE, "/etc/passwd"),
            _special("Takeout/hard.mbox", tarfile.LNKTYPE, "Takeout/Mail/a.mbox"),
            _special("Takeout/fifo", tarfile.FIFOTYPE),
            _special("Takeout/dev", tarfile.CHRTYPE),
            _file("../escape.vcf", VCF),
            _file("Takeout/Mail/a.mbox", MBOX),
        ],
    )
    found = detect(path)
    assert found is not None and found.name == "archive"
    items, skips = records(path)
    assert sorted(i.title for i in items) == ["Bikes", "Lunch"]
    reasons = {s.file.removeprefix(f"{path}/"): s.reason for s in skips}
    assert "symbolic link" in reasons["Takeout/link.mbox"]
    assert "hard link" in reasons["Takeout/hard.mbox"]
    assert "special file" in reasons["Takeout/fifo"] and "special file" in reasons["Takeout/dev"]
    assert "climbs out" in reasons["../escape.vcf"]


def test_a_tar_bomb_stops_the_archive_before_inflating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "RATIO_FLOOR", 10_000)
    monkeypatch.setattr(archive_module, "MAX_RATIO", 20)  # so that 8 MB of zeros is a bomb
    path = _tar(
        tmp_path / "bomb.tgz",
        "w:gz",
        [_file("first.vcf", VCF), _file("zeros.mbox", b"\0" * 8_000_000), _file("last.vcf", VCF)],
    )
    items, skips = records(path)
    assert [i.source for i in items] == ["vcard"]  # the member before the bomb
    assert any("tar bomb" in s.reason for s in skips)
    assert not any(s.file.endswith("last.vcf") for s in skips)  # never reached


def test_an_oversized_tar_header_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pax.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info, data = _file("ok.vcf", VCF)
        tar.addfile(info, io.BytesIO(data))
        info, data = _file("x" * 5000 + ".vcf", VCF)
        info.pax_headers = {"comment": "y" * 50_000}
        tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(archive_module, "MAX_HEADER_BYTES", 10_000)
    items, skips = records(path)
    assert [i.source for i in items] == ["vcard"]
    assert any("header" in s.reason and s.position == "archive" for s in skips)


def test_a_truncated_tgz_keeps_what_came_before_the_cut(tmp_path: Path) -> None:
    whole = _tar(
        tmp_path / "whole.tgz",
        "w:gz",
        [_file("a.vcf", VCF), _file("big.mbox", MBOX * 3000)],
    )
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    items, skips = records(cut)
    assert "vcard" in [i.source for i in items]
    assert skips and all(str(cut) in s.file for s in skips)


def test_tar_streams_are_bounded_to_the_declared_size(tmp_path: Path) -> None:
    path = _tar(tmp_path / "a.tar", "w", [_file("a.vcf", VCF)])
    with ArchiveReader(path) as reader:
        for member in reader.members():
            stream = reader.open(member)
            assert stream.read() == VCF
            assert stream.read(10) == b""


def test_the_zip_helpers_are_still_importable_from_whatsapp() -> None:
    from lifelog.sources.chat import whatsapp

    assert whatsapp.check_zip_member is archive_module.check_zip_member
    assert whatsapp.open_zip is archive_module.open_zip
    assert whatsapp.ZIP_ERRORS is archive_module.ZIP_ERRORS


def test_resume_passes_over_members_an_interrupted_run_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lifelog.ingest as ingest_module

    members = {f"Takeout/Mail/box{n}.mbox": MBOX.replace(b"@example.com>", f"{n}@x>".encode())
               for n in range(6)}  # fmt: skip
    path = write_zip(tmp_path / "takeout.zip", members)
    with Memory.init(tmp_path / "clean") as clean:
        clean.ingest(path)
        expected = sorted(clean.store.conn.execute("SELECT id, hash FROM items").fetchall())
    monkeypatch.setattr(ingest_module, "BATCH_ITEMS", 2)
    calls = 0

    def crash() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # the run dies after its third batch

    with Memory.init(tmp_path / "killed") as memory:
        with pytest.raises(KeyboardInterrupt):
            ingest_paths(memory.store, [path], on_batch=crash, parallel=False)
        parts = [r[0] for r in memory.store.conn.execute("SELECT path FROM files ORDER BY path")]
        assert 0 < len(parts) < 6 and all(p.startswith(f"{path}/Takeout/Mail/") for p in parts)
        seen: list[str] = []
        original = ArchiveSource.parse_resuming

        def spy(self: ArchiveSource, p: Path, done: dict[str, tuple[int, float]]):  # type: ignore[no-untyped-def]
            for record in original(self, p, done):
                if isinstance(record, PartDone):
                    seen.append(record.part)
                yield record

        monkeypatch.setattr(ArchiveSource, "parse_resuming", spy)
        memory.ingest(path)
        assert len(seen) == 6 - len(parts)  # finished members were passed over
        got = sorted(memory.store.conn.execute("SELECT id, hash FROM items").fetchall())
        assert got == expected
        assert memory.ingest(path).files_resumed_past == 1


def _valid_archives() -> dict[str, bytes]:
    folder = Path(tempfile.mkdtemp())
    zipped = write_zip(folder / "a.zip", {"Takeout/Mail/a.mbox": MBOX, "c.vcf": VCF})
    tarred = _tar(
        folder / "a.tgz", "w:gz", [_file("Takeout/Mail/a.mbox", MBOX), _file("c.vcf", VCF)]
    )
    return {".zip": zipped.read_bytes(), ".tgz": tarred.read_bytes()}


VALID = _valid_archives()


@settings(max_examples=120, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from([".zip", ".tgz"]),
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
)
def test_damaged_archives_never_crash_and_end_quickly(
    suffix: str, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(VALID[suffix])
    for at, value in flips:
        data[at % len(data)] = value
    data = data[: max(1, len(data) - cut)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"damaged{suffix}"
        path.write_bytes(bytes(data))
        try:
            found = list(SOURCE.parse(path))
        except SourceError:
            found = []
        assert all(isinstance(r, Item | Skip) for r in found)
    assert time.perf_counter() - started < 3.0


def test_a_gzip_header_cut_after_its_magic_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.tgz"
    path.write_bytes(b"\x1f\x8b\x08")  # tarfile's gzip reader would raise TypeError here
    with pytest.raises(SourceError, match="cut.tgz"):
        open_archive(path)
