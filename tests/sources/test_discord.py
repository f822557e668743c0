"""DiscordChatExporter JSON: the documented shape, partitions, raw markup and broken files."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import parse_bytes_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.base import read_head
from lifelog.sources.chat.discord import DiscordSource
from lifelog.sources.chat.telegram import TelegramSource

SOURCE = DiscordSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def user(uid: str, name: str, nickname: str | None = None, bot: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "name": name,
        "discriminator": "0000",
        "nickname": nickname or name,
        "color": None,
        "isBot": bot,
        "roles": [],
        "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png",
    }


def message(mid: str, content: str, author: dict[str, Any], **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": mid,
        "type": "Default",
        "timestamp": "2023-06-19T21:15:03.123+02:00",
        "timestampEdited": None,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": content,
        "author": author,
        "attachments": [],
        "embeds": [],
        "stickers": [],
        "reactions": [],
        "mentions": [],
        "inlineEmojis": [],
    }
    base.update(extra)
    return base


MEL = user("111", "melanie_k", "Melanie")
SAM = user("222", "sam")
EXPORT: dict[str, Any] = {
    "guild": {"id": "900", "name": "Camping Club", "iconUrl": "x.png"},
    "channel": {
        "id": "901",
        "type": "GuildTextChat",
        "categoryId": "899",
        "category": "Trips",
        "name": "general",
        "topic": None,
    },
    "dateRange": {"after": None, "before": None},
    "exportedAt": "2024-01-01T00:00:00+00:00",
    "messages": [
        message("1", "We are going camping at the beach in June 🏖️", MEL),
        message(
            "2",
            "<@111> bring the tent <:tent:12345>",
            SAM,
            type="Reply",
            mentions=[MEL],
            reference={"messageId": "1", "channelId": "901", "guildId": "900"},
            timestampEdited="2023-06-19T20:00:00+00:00",
            reactions=[{"emoji": {"name": "👍"}, "count": 2, "users": []}],
        ),
        message(
            "3",
            "",
            MEL,
            attachments=[
                {"id": "5", "url": "a/cat.png", "fileName": "cat.png", "fileSizeBytes": 9}
            ],
        ),
        message("4", "Pinned a message.", SAM, type="ChannelPinnedMessage", isPinned=True),
        message(
            "5",
            "",
            user("333", "bot", bot=True),
            embeds=[{"title": "Weather", "description": "Sunny, 25°C", "fields": []}],
        ),
    ],
    "messageCount": 5,
}


def write(directory: Path, value: Any, name: str = "Camping Club - general [901].json") -> Path:
    path = directory / name
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_documented_export(tmp_path: Path) -> None:
    path = write(tmp_path, EXPORT)
    assert SOURCE.sniff(path, read_head(path))
    assert not TelegramSource().sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.key for i in items] == ["901/1", "901/2", "901/3", "901/4", "901/5"]
    first = items[0]
    assert first.author == "Melanie" and first.metadata["username"] == "melanie_k"
    assert first.timestamp == datetime(2023, 6, 19, 19, 15, 3, 123000, tzinfo=UTC)
    assert first.title == "Camping Club #general" and first.thread == "discord:901"
    assert first.text == "We are going camping at the beach in June 🏖️"
    reply = items[1]
    assert reply.text == "@Melanie bring the tent :tent:"
    assert reply.participants == ("sam", "Melanie")
    assert reply.metadata["reply_to"] == "1" and reply.metadata["reactions"] == 2
    assert reply.metadata["edited"] == "2023-06-19T20:00:00+00:00"
    assert "system" not in reply.metadata
    assert items[2].text == "[attachment: cat.png]" and items[2].metadata["attachments"] == [
        "cat.png"
    ]
    assert items[3].metadata["system"] is True and items[3].metadata["pinned"] is True
    assert items[4].text == "Weather\nSunny, 25°C" and items[4].metadata["bot"] is True
    assert first.locator == "channel 901 / message 1"


def test_partitions_and_direct_messages_share_keys(tmp_path: Path) -> None:
    part1 = dict(EXPORT, messages=EXPORT["messages"][:2])
    part2 = dict(EXPORT, messages=EXPORT["messages"][1:3])
    one = parse(write(tmp_path, part1, "general [part 1].json"))[0]
    two = parse(write(tmp_path, part2, "general [part 2].json"))[0]
    assert one[1].id == two[0].id  # the overlapping message is the same item
    dm = dict(
        EXPORT,
        guild={"id": "0", "name": "Direct Messages"},
        channel={"id": "77", "type": "DirectTextChat", "name": "Melanie"},
    )
    items = parse(write(tmp_path, dm, "dm.json"))[0]
    assert items[0].title == "Melanie" and "Melanie" in items[1].participants


def test_broken_messages_are_skipped(tmp_path: Path) -> None:
    broken = dict(
        EXPORT,
        messages=[
            "text",
            {"content": "no id"},
            dict(message("9", "bad time", SAM, timestamp="not a date"), author="a string"),
            message("10", "fine", SAM),
        ],
    )
    items, skips = parse(write(tmp_path, broken))
    assert [i.key for i in items] == ["901/9", "901/10"]
    assert items[0].timestamp is None and items[0].author is None
    assert [s.position for s in skips] == ["message 1", "message 2"]


def test_truncated_export_keeps_earlier_messages(tmp_path: Path) -> None:
    text = json.dumps(EXPORT, indent=2)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"id": "4"')], encoding="utf-8")
    items, skips = parse(path)
    assert [i.key for i in items] == ["901/1", "901/2", "901/3"]
    assert len(skips) == 1 and skips[0].position.startswith("line ")


def test_unreadable_files_raise(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]")
    with pytest.raises(SourceError, match="list.json"):
        list(SOURCE.parse(path))
    with pytest.raises(SourceError, match="missing.json"):
        list(SOURCE.parse(tmp_path / "missing.json"))


def test_sniff_rejects_other_json(tmp_path: Path) -> None:
    other = write(tmp_path, {"messages": [], "name": "x"}, "other.json")
    assert not SOURCE.sniff(other, read_head(other))
    text = tmp_path / "notes.txt"
    text.write_text('{"guild": 1, "channel": 2, "messages": []}')
    assert not SOURCE.sniff(text, read_head(text))


FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"guild"',
    '"channel"',
    '"messages"',
    '"id"',
    '"content"',
    '"author"',
    '"timestamp"',
    '"2023-01-01T00:00:00Z"',
    '"<@1>"',
    "null",
    "7",
]


@settings(max_examples=100, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=10)), max_size=60))
def test_arbitrary_input_never_crashes(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8", "surrogatepass")
    parse_bytes_or_names_file(SOURCE, "export.json", data)


def test_big_channel_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    count = 6000
    with path.open("w", encoding="utf-8") as handle:
        head = {k: v for k, v in EXPORT.items() if k != "messages"}
        handle.write(json.dumps(head)[:-1] + ', "messages": [')
        for n in range(count):
            entry = message(str(n), "lorem ipsum " * 200, SAM)
            handle.write(json.dumps(entry) + ("," if n < count - 1 else ""))
        handle.write("]}")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        seen = sum(1 for r in SOURCE.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < size / 5, f"peak {peak} for {size} bytes"
