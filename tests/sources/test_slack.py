"""Slack workspace exports: folders and zips, mentions and threads, hostile archives."""

from __future__ import annotations

import json
import tempfile
import tracemalloc
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.base import read_head
from lifelog.sources.chat import slack as slack_module
from lifelog.sources.chat.slack import SlackSource, SlackZipSource

SOURCE = SlackSource()
ZIP_SOURCE = SlackZipSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


USERS = [
    {"id": "U1", "name": "mel", "real_name": "Melanie Kim", "profile": {"display_name": "Mel"}},
    {"id": "U2", "name": "sam", "profile": {"real_name": "Sam Rivera", "display_name": "sam"}},
    {"id": "U3", "name": "ops-bot", "is_bot": True, "profile": {}},
]
CHANNELS = [{"id": "C1", "name": "general", "created": "1433558319", "members": ["U1", "U2"]}]
GROUPS = [{"id": "G1", "name": "secret-plans", "members": ["U1", "U2"]}]
DMS = [{"id": "D1", "created": 1, "members": ["U1", "U2"]}]
MPIMS = [{"id": "G2", "name": "mpdm-mel--sam--ops-bot-1", "members": ["U1", "U2", "U3"]}]
GENERAL_DAY = [
    {"type": "message", "user": "U1", "text": "<@U1> has joined", "subtype": "channel_join",
     "ts": "1687200000.000100"},
    {"type": "message", "user": "U1", "text": "Camping at the beach in June? &lt;3 <#C1|general>",
     "ts": "1687209303.000200", "thread_ts": "1687209303.000200", "reply_count": 1},
    {"type": "message", "user": "U2", "text": "Yes! <@U1> see <https://ex.org/map|the map> <!here>",
     "ts": "1687209400.000300", "thread_ts": "1687209303.000200",
     "edited": {"user": "U2", "ts": "1687209500.000000"}},
    {"type": "message", "user": "U2", "text": "",
     "files": [{"id": "F1", "name": "dunes.jpg", "title": "Dunes"}], "ts": "1687209500.000400"},
    {"type": "message", "subtype": "bot_message", "username": "weather", "bot_id": "B1",
     "text": "", "attachments": [{"fallback": "Sunny, 25°C"}], "ts": "1687209600.000500"},
]  # fmt: skip


def export_files() -> dict[str, Any]:
    return {
        "users.json": USERS,
        "channels.json": CHANNELS,
        "groups.json": GROUPS,
        "dms.json": DMS,
        "mpims.json": MPIMS,
        "integration_logs.json": [],
        "general/2023-06-19.json": GENERAL_DAY,
        "general/2023-06-20.json": [
            {"type": "message", "user": "U9", "text": "from a deleted user",
             "user_profile": {"real_name": "Old Friend"}, "ts": "1687250000.000000"}
        ],
        "secret-plans/2023-06-19.json": [
            {"type": "message", "user": "U1", "text": "surprise party", "ts": "1687209000.1"}
        ],
        "D1/2023-06-19.json": [{"type": "message", "user": "U2", "text": "hi", "ts": "1.5e9"}],
        "mpdm-mel--sam--ops-bot-1/2023-06-19.json": [
            {"type": "message", "user": "U3", "text": "beep", "ts": "1687209000.2"}
        ],
    }  # fmt: skip


def make_folder(root: Path, files: dict[str, Any] | None = None) -> Path:
    for name, value in (files or export_files()).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value if isinstance(value, str) else json.dumps(value))
    return root


def make_zip(path: Path, files: dict[str, Any] | None = None, prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in (files or export_files()).items():
            archive.writestr(prefix + name, value if isinstance(value, str) else json.dumps(value))
    return path


def test_sample_folder(samples: Path) -> None:
    path = samples / "slack"
    assert SOURCE.sniff(path, b"")
    items, skips = parse(path)
    assert skips == []
    assert len(items) == 11
    upload = next(i for i in items if i.metadata.get("subtype") == "file_share")
    assert upload.author == "Josef K." and upload.metadata["files"] == ["dirac72.md"]
    assert upload.text.startswith("@Josef K. uploaded a file: dirac72.md (https://")
    assert items[0].metadata["system"] is True and items[0].title == "#random"
    assert items[0].thread == "slack:C061A0WJG"
    assert [i.text for i in items][-1] == "@channel"
    assert {i.author for i in items} >= {"Rishi हिन्दी 汉语", "Rhea Parekh"}
    assert items[1].timestamp == datetime.fromtimestamp(1516454537.000093, UTC)


def test_workspace_folder(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "Acme Slack export Jun 1 2023 - Jun 30 2023")
    assert SOURCE.sniff(root, b"")
    items, skips = parse(root)
    assert skips == []
    by_key = {i.key: i for i in items}
    root_message = by_key["C1/1687209303.000200"]
    assert root_message.text == "Camping at the beach in June? <3 #general"
    assert root_message.author == "Melanie Kim" and root_message.metadata["replies"] == 1
    assert root_message.participants == ("Melanie Kim", "Sam Rivera")
    assert root_message.locator == "general/2023-06-19.json message 2"
    reply = by_key["C1/1687209400.000300"]
    assert reply.text == "Yes! @Melanie Kim see the map (https://ex.org/map) @here"
    assert reply.metadata["reply_to"] == "C1/1687209303.000200"
    assert reply.metadata["edited"] == "1687209500.000000"
    assert by_key["C1/1687209500.000400"].text == "[file: dunes.jpg]"
    bot = by_key["C1/1687209600.000500"]
    assert bot.author == "weather" and bot.text == "Sunny, 25°C" and "system" not in bot.metadata
    assert by_key["C1/1687200000.000100"].metadata["system"] is True
    assert by_key["C1/1687250000.000000"].author == "Old Friend"
    assert by_key["G1/1687209000.1"].title == "#secret-plans"
    assert by_key["D1/1.5e9"].title == "DM: Melanie Kim, Sam Rivera"
    assert by_key["G2/1687209000.2"].title == "Group DM: Melanie Kim, Sam Rivera, ops-bot"


def test_zip_matches_folder_and_is_not_extracted(tmp_path: Path) -> None:
    folder_items = parse(make_folder(tmp_path / "folder"))[0]
    path = make_zip(tmp_path / "Acme Slack export.zip", prefix="Acme Slack export/")
    assert ZIP_SOURCE.sniff(path, read_head(path))
    before = sorted(p.name for p in tmp_path.iterdir())
    items, skips = parse(path)
    assert skips == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert sorted(i.id for i in items) == sorted(i.id for i in folder_items)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(detect(path), "name", None) == "slack"
        assert getattr(detect(tmp_path / "folder"), "name", None) == "slack"


def test_zip_traversal_names_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    files = export_files()
    files["../general/2023-06-21.json"] = [{"user": "U1", "text": "evil", "ts": "9.9"}]
    files["/etc/2023-06-21.json"] = [{"user": "U1", "text": "evil", "ts": "9.8"}]
    files["C:\\evil\\2023-06-21.json"] = [{"user": "U1", "text": "evil", "ts": "9.7"}]
    path = make_zip(tmp_path / "export.zip", files)
    before = set(tmp_path.rglob("*"))
    items, skips = parse(path)
    assert set(tmp_path.rglob("*")) == before
    assert all(i.text != "evil" for i in items) and len(items) == 9
    assert sorted(s.reason for s in skips) == ["unsafe member name (path traversal)"] * 3


def test_zip_bomb_and_total_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = export_files()
    files["general/2023-06-22.json"] = "[" + " " * (11 * 1024 * 1024) + "]"
    items, skips = parse(make_zip(tmp_path / "bomb.zip", files))
    assert len(items) == 9
    assert len(skips) == 1 and "zip bomb" in skips[0].reason
    assert skips[0].position == "general/2023-06-22.json"
    monkeypatch.setattr(slack_module, "MAX_TOTAL_BYTES", 1500)
    items, skips = parse(make_zip(tmp_path / "capped.zip"))
    assert len(items) < 9 and "limit" in skips[-1].reason


def test_broken_day_files_are_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    files = export_files()
    files["general/2023-06-23.json"] = '[{"user": "U1", "text": "cut'
    files["general/2023-06-24.json"] = {"not": "a list"}
    files["general/2023-06-25.json"] = [17, {"user": "U1", "text": "no ts"}, {"ts": 5}]
    files["users.json"] = "{oops"
    items, skips = parse(make_folder(tmp_path / "export", files))
    positions = [s.position for s in skips]
    assert positions[0].startswith("users.json line 1")
    assert "general/2023-06-23.json line 1 column 25" in positions
    assert "general/2023-06-24.json" in positions
    assert "general/2023-06-25.json message 1" in positions
    no_ts = [i for i in items if i.text == "no ts"]
    assert no_ts and no_ts[0].key == "C1/general/2023-06-25.json message 2"
    assert no_ts[0].author == "U1"  # users.json was unreadable: the id is kept
    odd = next(i for i in items if i.key == "C1/general/2023-06-25.json message 3")
    assert odd.timestamp is None and odd.text == ""


def test_sniff_rules(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / "sub").mkdir(parents=True)
    (plain / "users.json").write_text("[]")
    assert not SOURCE.sniff(plain, b"")  # no channel folders with daily files
    (plain / "sub" / "2020-01-01.json").write_text("[]")
    assert SOURCE.sniff(plain, b"")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("conversations.json", "[]")
    assert not ZIP_SOURCE.sniff(other, read_head(other))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 nope")
    assert not ZIP_SOURCE.sniff(broken, read_head(broken))
    with pytest.raises(SourceError, match="broken.zip"):
        list(SOURCE.parse(broken))


NAMES = st.sampled_from(
    ["users.json", "channels.json", "general/2020-01-01.json", "x/2020-01-02.json", "../a.json"]
)
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["[]", "{}", '[{"ts": "1", "text": "<@U1|x> <!date^1|today>"}]', "[1, null]"]),
)


@settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.dictionaries(NAMES, VALUES, max_size=5))
def test_arbitrary_exports_never_crash(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = make_zip(Path(folder) / "fuzz.zip", dict(files))
        records_of(SOURCE, path)
        assert [p.name for p in Path(folder).iterdir()] == ["fuzz.zip"]


def test_memory_holds_one_day_at_a_time(tmp_path: Path) -> None:
    files: dict[str, Any] = {"users.json": USERS, "channels.json": CHANNELS}
    for day in range(1, 29):
        files[f"general/2023-02-{day:02d}.json"] = [
            {"user": "U1", "text": f"day {day} " + "words " * 300, "ts": f"{day}.{n}"}
            for n in range(60)
        ]
    path = make_zip(tmp_path / "big.zip", files)
    total = sum(len(json.dumps(v)) for v in files.values())
    tracemalloc.start()
    try:
        seen = sum(1 for r in SOURCE.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 28 * 60
    assert peak < total / 4, f"peak {peak} for {total} bytes"
