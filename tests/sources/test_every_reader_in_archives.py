"""Every reader works inside a zip or tar archive: the same items, the same ids, as on
the extracted file (real files from tests/sources/data and ../shared/samples), with
nothing written to disk and the archive's caps kept."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from test_android_sms import make_db
from test_pdf import make_pdf
from test_safari import make_safari

import lifelog.sources.held as held
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.archive import ArchiveSource
from lifelog.sources.base import PartDone

DATA = Path(__file__).parent / "data"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
SOURCE = ArchiveSource()

pytestmark = pytest.mark.skipif(not held.can_hold(), reason="no memfd_create on this system")

#: member name -> the real file it holds, read before only when extracted
OURS = {
    "docs/strict_ooxml.docx": DATA / "documents" / "strict_ooxml.docx",
    "docs/headerfooter.odt": DATA / "odt" / "headerfooter.odt",
    "docs/utf32_page.html": DATA / "documents" / "utf32_page.html",
    "kindle/My Clippings.txt": DATA / "kindle" / "paperwhite_clippings.txt",
    "subs/sample.srt": DATA / "subtitles" / "sample.srt",
    "subs/youtube_dl.vtt": DATA / "subtitles" / "youtube_dl.vtt",
    "projects/-home-me-app/records.jsonl": DATA / "claude_code" / "records.jsonl",
    "calendar/all.jcal.json": DATA / "calendar" / "icalendar_all_components.jcal.json",
    "contacts/author.xml": DATA / "contacts" / "rfc6351_author.xml",
    "contacts/vcard.json": DATA / "contacts" / "icaljs_vcard.json",
    # the readers added for issue 11's second half
    "signal/Семья 가족/data.json": DATA / "signal" / "Семья 가족" / "data.json",
    "signal/Семья 가족/chat.md": DATA / "signal" / "Семья 가족" / "chat.md",
    "twitter/data/tweets.js": DATA / "twitter" / "data" / "tweets.js",
    "twitter/data/direct-messages.js": DATA / "twitter" / "data" / "direct-messages.js",
    "mastodon/outbox.json": DATA / "mastodon" / "outbox.json",
    "reddit/comments.csv": DATA / "reddit" / "comments.csv",
    "My Activity/Gemini Apps/MyActivity.json": (
        DATA / "gemini" / "My Activity" / "Gemini Apps" / "MyActivity.json"
    ),
    "calendar/rfc6321_example2.xml": DATA / "calendar" / "rfc6321_example2.xml",
    "Google Photos/2016/2016-12-22-오전-07-59-17.jpg.json": (
        DATA / "google_photos" / "2016-12-22-오전-07-59-17.jpg.json"
    ),
    "mail/korean_russian_attachment.msg": DATA / "msg" / "korean_russian_attachment.msg",
    "docs/family_trip.doc": DATA / "doc" / "family_trip.doc",
}
THEIRS = {
    "Telegram/result.json": SAMPLES / "telegram" / "single_chat_minimal.json",
    "WhatsApp/Chat with Ana.txt": SAMPLES / "whatsapp" / "android_2017_group_created.txt",
    "vault/recipes/recipe.md": SAMPLES / "obsidian" / "frontmatter_recipe_tasks.md",
    "org/tags.org": SAMPLES / "org" / "tags_unicode_aligned.org",
    "instagram/inbox/ana_1/message_1.json": SAMPLES / "instagram" / "message_minimal.json",
}


def _made(folder: Path) -> dict[str, Path]:
    """Files the tests make with the real formats' schemas (SQLite, PDF)."""
    pdf = folder / "report.pdf"
    pdf.write_bytes(make_pdf(["Quarterly figures for the garden club", "Second page"]))
    return {
        "phone/mmssms.db": make_db(folder / "mmssms.db"),
        "mac/History.db": make_safari(folder / "History.db"),
        "docs/report.pdf": pdf,
    }


def _direct(path: Path) -> tuple[str, list[Item]]:
    source = detect(path)
    assert source is not None, path
    return source.name, [r for r in source.parse(path) if isinstance(r, Item)]


def _write(archive: Path, files: dict[str, Path]) -> None:
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for name, path in files.items():
                out.write(path, name)
    else:
        with tarfile.open(archive, "w:gz") as out:
            for name, path in files.items():
                out.add(path, name)


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_every_file_reader_reads_its_member_as_the_extracted_file(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lifelog.sources.documents.pdf.tesseract", lambda: None)
    files = {**OURS, **_made(tmp_path)}
    if SAMPLES.is_dir():
        files.update(THEIRS)
    # the same relative folders on disk, so that keys made from folders compare
    extracted = tmp_path / "extracted"
    for name, path in files.items():
        target = extracted / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    archive = tmp_path / f"export{suffix}"
    _write(archive, files)
    temp_before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))

    records = list(SOURCE.parse_resuming(archive, {}))

    parts = {r.part: r.source for r in records if isinstance(r, PartDone)}
    skips = [r for r in records if isinstance(r, Skip)]
    items = [r for r in records if isinstance(r, Item)]
    for name in files:
        source, expected = _direct(extracted / name)
        assert parts.get(name) == source, (name, skips)
        uri = archive.resolve().as_uri() + "/" + quote(name, safe="/")
        got = [i for i in items if i.uri and i.uri.split("#")[0] == uri]
        assert expected, name
        assert [i.id for i in got] == [i.id for i in expected], name
        assert [i.text for i in got] == [i.text for i in expected], name
    assert all(str(tmp_path / "extracted") not in (i.uri or "") for i in items)
    assert all("lifelog-member-" not in s.file + s.reason for s in skips)
    # the private folders of links are gone, and nothing was extracted
    leftover = set(os.listdir(os.environ.get("TMPDIR", "/tmp"))) - temp_before
    assert not [name for name in leftover if name.startswith("lifelog-member-")]


def test_a_member_too_large_to_hold_is_reported_and_the_rest_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = OURS["calendar/all.jcal.json"].stat().st_size
    monkeypatch.setattr(held, "MAX_HELD_BYTES", cap)
    monkeypatch.setattr("lifelog.sources.archive.MAX_HELD_BYTES", cap)
    big = tmp_path / "big.srt"
    big.write_bytes((DATA / "subtitles" / "sample.srt").read_bytes() * (cap // 100 + 2))
    archive = tmp_path / "a.zip"
    _write(archive, {"big.srt": big, "small.jcal.json": OURS["calendar/all.jcal.json"]})
    records = list(SOURCE.parse(archive))
    (skip,) = [r for r in records if isinstance(r, Skip) and r.file.endswith("big.srt")]
    assert "subtitles file of" in skip.reason and "not held in memory" in skip.reason
    assert "extract it" in skip.reason
    assert any(isinstance(r, Item) and r.source == "jcal" for r in records)


def test_a_member_that_lies_about_its_size_is_stopped_at_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tar member whose bytes run past the cap while being held is refused, named."""
    monkeypatch.setattr(held, "MAX_HELD_BYTES", 4096)
    data = (DATA / "subtitles" / "sample.srt").read_bytes()
    assert len(data) < 4096
    with pytest.raises(ValueError, match="not held in memory"):
        with held.held_file("x.srt", _Endless(data), 10, 0.0):  # type: ignore[arg-type]
            pass


class _Endless:
    """A stream that never ends (a member whose declared size lies)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        return self.data


def test_damaged_members_are_skipped_with_their_names_and_the_rest_read(tmp_path: Path) -> None:
    bad_pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog"  # cut short
    bad_db = b"SQLite format 3\x00" + b"\xff" * 500
    bad_docx = b"PK\x03\x04 not a zip at all"
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("a/bad.pdf", bad_pdf)
        out.writestr("b/mmssms.db", bad_db)
        out.writestr("c/bad.docx", bad_docx)
        out.writestr("d/ok.srt", (DATA / "subtitles" / "sample.srt").read_bytes())
    records = list(SOURCE.parse(archive))
    items = [r for r in records if isinstance(r, Item)]
    skips = [r for r in records if isinstance(r, Skip)]
    assert {i.source for i in items} == {"subtitles"}
    for name in ("a/bad.pdf", "c/bad.docx"):
        assert any(s.file == f"{archive}/{name}" for s in skips), (name, skips)
    assert all("lifelog-member-" not in s.file + s.reason for s in skips)
    assert all(s.file.startswith(str(archive)) for s in skips)


def test_binary_members_of_no_known_format_are_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held_names: list[str] = []
    real = held.held_file

    def spy(member: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        held_names.append(member)
        return real(member, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("lifelog.sources.archive.held_file", spy)
    archive = tmp_path / "media.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("video.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 5000)
        out.writestr("notes.md", "# Заметки\n\n오늘은 공원에 갔다.\n")
    records = list(SOURCE.parse(archive))
    assert held_names == ["notes.md"]
    (note,) = [r for r in records if isinstance(r, Item)]
    assert "공원에" in note.text
    summary = [r for r in records if isinstance(r, Skip) and r.position == "members"]
    assert summary and "video.mp4" in summary[0].reason
