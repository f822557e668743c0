"""Facebook Messenger and Instagram JSON, including Meta's mis-encoded UTF-8."""

from __future__ import annotations

import json
import tracemalloc
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import parse_bytes_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.base import read_head
from lifelog.sources.chat.meta_messages import InstagramSource, MessengerSource, fix_mojibake

MESSENGER = MessengerSource()
INSTAGRAM = InstagramSource()


def parse(
    path: Path, source: MessengerSource | InstagramSource = MESSENGER
) -> tuple[list[Item], list[Skip]]:
    return split_records(source, path)


def mojibake(value: Any) -> Any:
    """What Meta writes: each UTF-8 byte of a string as its own \\u00XX character."""
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    if isinstance(value, list):
        return [mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: mojibake(v) for k, v in value.items()}
    return value


THREAD = {
    "participants": [{"name": "Zoë Åström"}, {"name": "Sam Rivera"}],
    "messages": [
        {
            "sender_name": "Zoë Åström",
            "timestamp_ms": 1687209400000,
            "photos": [
                {
                    "uri": "messages/inbox/zoeastrom_1a2b3c/photos/12345_678.jpg",
                    "creation_timestamp": 1687209400,
                }
            ],
            "is_geoblocked_for_viewer": False,
        },
        {
            "sender_name": "Sam Rivera",
            "timestamp_ms": 1687209360000,
            "content": "Great! Café tomorrow? 🏕️ Ça va? Привет, 日本",
            "share": {"link": "https://example.org/map"},
            "reactions": [{"reaction": "❤", "actor": "Zoë Åström"}],
            "is_geoblocked_for_viewer": False,
        },
        {
            "sender_name": "Zoë Åström",
            "timestamp_ms": 1687209303000,
            "content": "Back from camping! The kids loved the dunes. 😍",
            "is_geoblocked_for_viewer": False,
        },
        {
            "sender_name": "Zoë Åström",
            "timestamp_ms": 1687209303000,
            "content": "(same millisecond)",
            "is_geoblocked_for_viewer": False,
        },
        {
            "sender_name": "Sam Rivera",
            "timestamp_ms": 1687200000000,
            "content": "Sam called you.",
            "call_duration": 65,
            "type": "Call",
        },
        {"sender_name": "Sam Rivera", "timestamp_ms": 1687100000000, "is_unsent": True},
    ],
    "title": "Zoë Åström",
    "is_still_participant": True,
    "thread_path": "inbox/zoeastrom_1a2b3c",
    "magic_words": [],
}


def write_thread(folder: Path, value: Any, name: str = "message_1.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(value, indent=2), encoding="ascii")  # Meta's \\u00XX style
    return path


def test_messenger_thread_with_mojibake(tmp_path: Path) -> None:
    folder = tmp_path / "facebook-sam" / "messages" / "inbox" / "zoeastrom_1a2b3c"
    path = write_thread(folder, mojibake(THREAD))
    assert "\\u00c3\\u00ab" in path.read_text()  # the file really is mis-encoded
    assert MESSENGER.sniff(path, read_head(path)) and not INSTAGRAM.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    photo, reply, first, same, call, unsent = items
    assert first.text == "Back from camping! The kids loved the dunes. 😍"
    assert first.author == "Zoë Åström" and first.title == "Zoë Åström"
    assert first.participants == ("Zoë Åström", "Sam Rivera")
    assert first.timestamp == datetime(2023, 6, 19, 21, 15, 3, tzinfo=UTC)
    assert first.thread == "messenger:inbox/zoeastrom_1a2b3c"
    assert reply.text == "Great! Café tomorrow? 🏕️ Ça va? Привет, 日本\nhttps://example.org/map"
    assert reply.metadata["reactions"] == ["❤ Zoë Åström"]
    assert photo.text == "[photo: 12345_678.jpg]" and photo.metadata["media"] == [
        "photo: 12345_678.jpg"
    ]
    assert first.key.endswith("/0") and same.key.endswith("/1") and first.key != same.key
    assert call.metadata["call_duration"] == 65 and call.metadata["type"] == "Call"
    assert unsent.text == "[unsent message]" and unsent.metadata["unsent"] is True
    assert first.locator == "inbox/zoeastrom_1a2b3c / message 3"


def test_correct_utf8_is_left_alone_and_keys_do_not_depend_on_location(tmp_path: Path) -> None:
    assert fix_mojibake("café") == "café"  # "é" alone is not UTF-8 bytes: kept
    assert fix_mojibake("caf\u00c3\u00a9") == "café"
    assert fix_mojibake("ðŸ˜€ plain") == "ðŸ˜€ plain"  # not latin-1 representable: kept
    one = write_thread(tmp_path / "a" / "zoeastrom_1a2b3c", mojibake(THREAD))
    two = write_thread(tmp_path / "b" / "c" / "zoeastrom_1a2b3c", mojibake(THREAD))
    assert [i.id for i in parse(one)[0]] == [i.id for i in parse(two)[0]]


def test_instagram_by_folder_and_the_sample(tmp_path: Path, samples: Path) -> None:
    folder = tmp_path / "instagram-sam-2024" / "your_instagram_activity" / "messages" / "inbox"
    path = write_thread(folder / "zoe_17841", mojibake(dict(THREAD, thread_path="inbox/zoe_17841")))
    assert INSTAGRAM.sniff(path, read_head(path)) and not MESSENGER.sniff(path, read_head(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(detect(path), "name", None) == "instagram"
    items = parse(path, INSTAGRAM)[0]
    assert items[0].source == "instagram" and items[0].thread == "instagram:inbox/zoe_17841"
    sample = samples / "instagram" / "message_minimal.json"
    assert INSTAGRAM.sniff(sample, read_head(sample))
    items, skips = parse(sample, INSTAGRAM)
    assert skips == []
    assert [(i.author, i.text) for i in items] == [
        ("John Doe", "Hello Jane!"),
        ("Jane Doe", "Hello John!"),
    ]
    assert items[0].timestamp == datetime.fromtimestamp(1579294140, UTC)


def test_end_to_end_encrypted_export_format(tmp_path: Path) -> None:
    thread = {
        "participants": ["Zoë Åström", "Sam Rivera"],
        "threadName": "Zoë Åström",
        "messages": [
            {
                "isUnsent": False,
                "media": [{"uri": "./media/photo_1.jpg"}],
                "reactions": [],
                "senderName": "Zoë Åström",
                "text": "Café 😍",
                "timestamp": 1700000000000,
                "type": "text",
            }
        ],
    }
    path = tmp_path / "zoe_123.json"
    path.write_text(json.dumps(thread, ensure_ascii=False), encoding="utf-8")
    assert MESSENGER.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert items[0].text == "Café 😍" and items[0].author == "Zoë Åström"
    assert items[0].metadata["media"] == ["media: photo_1.jpg"]
    assert items[0].thread == "messenger:title:Zoë Åström"


def test_broken_files(tmp_path: Path) -> None:
    text = json.dumps(mojibake(THREAD), indent=2)
    path = write_thread(tmp_path / "t" / "zoe_1", {})
    path.write_text(text[: text.index("(same millisecond)")], encoding="ascii")
    items, skips = parse(path)
    assert len(items) == 3  # before the cut
    assert items[0].thread == "messenger:inbox/zoe_1"  # thread_path was cut off: the folder
    assert len(skips) == 1 and skips[0].position.startswith("line ")
    odd = dict(THREAD, messages=[7, {"sender_name": ["x"], "timestamp_ms": "soon"}])
    items, skips = parse(write_thread(tmp_path / "u" / "odd_2", odd))
    assert [s.position for s in skips] == ["message 1"]
    assert items[0].author is None and items[0].timestamp is None
    listing = write_thread(tmp_path / "v", [1, 2], "message_1.json")
    with pytest.raises(SourceError, match="message_1.json"):
        list(MESSENGER.parse(listing))


def test_sniff_rejects_other_json(tmp_path: Path) -> None:
    other = write_thread(tmp_path, {"messages": [{"text": "x"}]}, "other.json")
    assert not MESSENGER.sniff(other, read_head(other))


FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"participants"',
    '"messages"',
    '"sender_name"',
    '"timestamp_ms"',
    '"content"',
    '"thread_path"',
    '"\\u00c3\\u00a9"',
    '"\\u00f0\\u009f"',
    "1579294140000",
    "null",
]


@settings(max_examples=100, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60))
def test_arbitrary_input_never_crashes(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8", "surrogatepass")
    parse_bytes_or_names_file(MESSENGER, "message_1.json", data)


@given(text=st.text())
def test_mojibake_round_trip(text: str) -> None:
    assert fix_mojibake(mojibake(text)) == text


def test_big_thread_streams_in_bounded_memory(tmp_path: Path) -> None:
    messages = [
        {"sender_name": "Zo\u00c3\u00ab", "timestamp_ms": 1600000000000 - n, "content": "x " * 900}
        for n in range(5000)
    ]
    path = write_thread(tmp_path / "zoe_1", dict(THREAD, messages=messages))
    size = path.stat().st_size
    del messages
    tracemalloc.start()
    try:
        seen = sum(1 for r in MESSENGER.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 5000 and size > 9_000_000
    assert peak < size / 4, f"peak {peak} for {size} bytes"
