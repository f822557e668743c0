"""Exports inside larger archives are read as the exports they are: a WhatsApp or Slack
export zip inside a backup zip or tgz, and a Slack export's folder beside other things,
give the same items (ids, authors, texts) as the export imported on its own, and the
other things in the archive are read too. Real export files from ../shared/samples,
wrapped the way a user would have them; nesting and expansion stay bounded."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

import lifelog.sources.held as held
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.archive import ArchiveSource
from lifelog.sources.base import PartDone

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
SLACK = SAMPLES / "slack"
CHAT = SAMPLES / "whatsapp" / "android_dotted_date_24h.txt"
MBOX = SAMPLES / "mbox" / "synthetic_21_messages.mbox"

pytestmark = [
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not here"),
    pytest.mark.skipif(not held.can_hold(), reason="no memfd_create on this system"),
]


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            out.writestr(name, data)
    return path


def _tgz(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as out:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            out.addfile(info, io.BytesIO(data))
    return path


def _wrap(path: Path, files: dict[str, bytes]) -> Path:
    return _zip(path, files) if path.suffix == ".zip" else _tgz(path, files)


def _slack_folder(prefix: str) -> dict[str, bytes]:
    """The Slack export's files (zulip's fixtures of a real export) under ``prefix``."""
    return {
        prefix + str(p.relative_to(SLACK)): p.read_bytes() for p in sorted(SLACK.rglob("*.json"))
    }


def _alone(path: Path) -> tuple[str, list[Item]]:
    source = detect(path)
    assert source is not None, path
    return source.name, [r for r in source.parse(path) if isinstance(r, Item)]


def _read(path: Path) -> tuple[list[Item], list[Skip], list[PartDone]]:
    source = detect(path)
    assert source is not None and source.name == "archive", source
    found = list(ArchiveSource().parse_resuming(path, {}))
    return (
        [r for r in found if isinstance(r, Item)],
        [r for r in found if isinstance(r, Skip)],
        [r for r in found if isinstance(r, PartDone)],
    )


def _same(got: list[Item], expected: list[Item]) -> None:
    assert expected
    assert sorted((i.id, i.author, i.text) for i in got) == sorted(
        (i.id, i.author, i.text) for i in expected
    )


@pytest.mark.parametrize("outer", ["backup.zip", "backup.tgz"])
def test_export_zips_inside_a_larger_archive_are_read_as_their_exports(
    tmp_path: Path, outer: str
) -> None:
    whatsapp = _zip(tmp_path / "WhatsApp Chat with Ana.zip", {CHAT.name: CHAT.read_bytes()})
    slack = _zip(tmp_path / "Acme Slack export.zip", _slack_folder("acme-export/"))
    assert _alone(whatsapp)[0] == "whatsapp" and _alone(slack)[0] == "slack"
    backup = _wrap(
        tmp_path / outer,
        {
            "Phone/WhatsApp/WhatsApp Chat with Ana.zip": whatsapp.read_bytes(),
            "Work/Acme Slack export.zip": slack.read_bytes(),
            "Mail/old.mbox": MBOX.read_bytes(),
        },
    )

    items, skips, parts = _read(backup)

    nested = f"{backup.resolve().as_uri()}/Phone/WhatsApp/WhatsApp%20Chat%20with%20Ana.zip#"
    _same([i for i in items if i.source == "whatsapp"], _alone(whatsapp)[1])
    assert all(i.uri and i.uri.startswith(nested) for i in items if i.source == "whatsapp")
    _same([i for i in items if i.source == "slack"], _alone(slack)[1])
    assert "Steve Howell" in {i.author for i in items if i.source == "slack"}  # users.json read
    assert len([i for i in items if i.source == "mbox"]) == 21
    assert not [s for s in skips if "archive inside an archive" in s.reason], skips
    assert {p.part: p.source for p in parts} == {
        "Phone/WhatsApp/WhatsApp Chat with Ana.zip": "whatsapp",
        "Work/Acme Slack export.zip": "slack",
        "Mail/old.mbox": "mbox",
    }


@pytest.mark.parametrize("outer", ["backup.zip", "backup.tgz"])
def test_a_slack_export_folder_inside_a_larger_archive_is_read_as_one_export(
    tmp_path: Path, outer: str
) -> None:
    alone = _zip(tmp_path / "slack.zip", _slack_folder(""))
    backup = _wrap(
        tmp_path / outer,
        {**_slack_folder("Work/slack-export/"), "Mail/old.mbox": MBOX.read_bytes()},
    )

    items, skips, parts = _read(backup)

    slack = [i for i in items if i.source == "slack"]
    _same(slack, _alone(alone)[1])  # the authors named from users.json, as on its own
    folder = f"{backup.resolve().as_uri()}/Work/slack-export#"
    assert all(i.uri and i.uri.startswith(folder) for i in slack)
    assert len([i for i in items if i.source == "mbox"]) == 21  # not lost to the Slack reader
    assert not [s for s in skips if s.position == "members"], skips
    assert {p.part for p in parts if p.source == "slack"} == set(
        _slack_folder("Work/slack-export/")
    )


def test_a_chat_folder_beside_mail_no_longer_takes_the_whole_zip(tmp_path: Path) -> None:
    backup = _zip(
        tmp_path / "phone.zip",
        {
            "WhatsApp/WhatsApp Chat with Ana.txt": CHAT.read_bytes(),
            "Mail/a.mbox": MBOX.read_bytes(),
        },
    )
    items, _skips, _parts = _read(backup)
    assert len([i for i in items if i.source == "whatsapp"]) == len(_alone(CHAT)[1])
    assert len([i for i in items if i.source == "mbox"]) == 21
    # an export folder zipped alone is still its export's, read by its own reader
    slack = _zip(tmp_path / "slack.zip", _slack_folder("slack-export/"))
    chats = _zip(tmp_path / "chats.zip", {"Chats/WhatsApp Chat with Ana.txt": CHAT.read_bytes()})
    assert _alone(slack)[0] == "slack" and _alone(chats)[0] == "whatsapp"


def test_nesting_is_read_two_levels_deep_and_no_further(tmp_path: Path) -> None:
    data = _zip(tmp_path / "l3.zip", {"Mail/a.mbox": MBOX.read_bytes()}).read_bytes()
    for level in (2, 1):
        data = _zip(tmp_path / f"l{level}.zip", {f"inner{level}.zip": data}).read_bytes()
    outer = _zip(
        tmp_path / "outer.zip",
        {
            "inner0.zip": data,
            "other.7z": b"7z\xbc\xaf\x27\x1c",
            "cut.zip": b"PK\x03\x04" + b"\x00" * 40,
            "bad.tgz": b"\x1f\x8b",
            "inbox.zip": _zip(tmp_path / "inbox.zip", {"a.mbox": MBOX.read_bytes()}).read_bytes(),
        },
    )

    items, skips, _parts = _read(outer)

    # two levels in are read; a damaged archive inside is one skip, never a crash
    assert len(items) == 21 and {i.source for i in items} == {"mbox"}
    assert any(s.file == f"{outer}/bad.tgz" and "cannot read" in s.reason for s in skips)
    assert all("lifelog-member-" not in s.file + s.reason for s in skips)
    deep = f"{outer}/inner0.zip/inner1.zip/inner2.zip"
    assert any(s.file == deep and "nested more than 2 deep" in s.reason for s in skips), skips
    assert any(s.file == f"{outer}/other.7z" and "7z or rar" in s.reason for s in skips)


def test_an_archive_inside_another_cannot_multiply_its_ratio(tmp_path: Path) -> None:
    """A member under the 10 MB bomb floor is read in an archive of its own; inside
    another archive, its archive may expand to 200 times what it takes there (1 MiB at
    least), so nested archives cannot stack their ratios."""
    zeros = b"From a@b Mon Jan  1 10:00:00 2024\nSubject: x\n\n" + b"\0" * (6 * 1024 * 1024)
    inner = _zip(tmp_path / "inner.zip", {"big.mbox": zeros}).read_bytes()
    assert len(inner) < 20_000
    outer = _zip(tmp_path / "outer.zip", {"inner.zip": inner})
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))

    _items, skips, _parts = _read(outer)

    assert any(
        s.file.startswith(f"{outer}/inner.zip") and "expands past" in s.reason for s in skips
    ), skips
    leftover = set(os.listdir(os.environ.get("TMPDIR", "/tmp"))) - before
    assert not [name for name in leftover if name.startswith("lifelog-member-")]
