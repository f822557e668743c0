"""Telegram Desktop JSON exports, and the streaming JSON reader the message sources share."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import time
import tracemalloc
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog import Memory
from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect, jsonstream
from lifelog.sources.base import read_head
from lifelog.sources.chat.telegram import TelegramSource
from lifelog.sources.jsonstream import MAX_TEXT, JsonStream, JsonStreamError, ValueSkipped

SOURCE = TelegramSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def write(directory: Path, value: Any, name: str = "result.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# -- the real samples ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["single_chat_minimal.json", "batch_export_minimal.json"])
def test_samples(samples: Path, name: str) -> None:
    path = samples / "telegram" / name
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.author for i in items] == ["Author 1", "Author 2"]
    assert items[0].text == "Minimal Message"
    assert items[1].text == "Link:https://telegram.org/"  # an entity list, joined verbatim
    assert items[0].timestamp == datetime.fromtimestamp(1544006350, UTC)
    assert all(i.kind == "message" and i.source == "telegram" for i in items)
    assert len({i.id for i in items}) == 2
    if name.startswith("batch"):
        assert items[0].title == "Chatname" and items[0].thread == "telegram:name:Chatname"


# -- a whole-account export ------------------------------------------------------------

FULL = {
    "about": "Here is the data you requested. Remember: Telegram is ad free.",
    "personal_information": {"user_id": 111, "first_name": "Sam", "last_name": "Rivera"},
    "contacts": {"about": "...", "list": [{"first_name": "Elena", "phone_number": "+1"}]},
    "chats": {
        "about": "This page lists all chats from this export.",
        "list": [
            {
                "name": "Elena",
                "type": "personal_chat",
                "id": 4242,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2023-06-19T21:15:03",
                        "date_unixtime": "1687209303",
                        "from": "Elena",
                        "from_id": "user4242",
                        "text": "Back from camping! The kids loved the dunes.",
                    },
                    {
                        "id": 2,
                        "type": "message",
                        "date": "2023-06-19T21:16:00",
                        "date_unixtime": "1687209360",
                        "from": "Sam Rivera",
                        "from_id": "user111",
                        "reply_to_message_id": 1,
                        "text": [
                            "Great! Photos on ",
                            {"type": "text_link", "text": "the album", "href": "https://ex.org/a"},
                            " and ",
                            {"type": "bold", "text": "über-cool"},
                            " 🏕️",
                        ],
                    },
                    {
                        "id": 3,
                        "type": "message",
                        "date_unixtime": "1687209400",
                        "from": "Elena",
                        "from_id": "user4242",
                        "photo": "photos/photo_1@19-06-2023_21-16-40.jpg",
                        "width": 1280,
                        "height": 960,
                        "text": "",
                    },
                    {
                        "id": 4,
                        "type": "message",
                        "date_unixtime": "1687209401",
                        "from": "Elena",
                        "from_id": "user4242",
                        "file": "(File not included. Change data exporting settings to download.)",
                        "media_type": "sticker",
                        "sticker_emoji": "😀",
                        "text": "",
                    },
                    {
                        "id": 5,
                        "type": "message",
                        "date_unixtime": "1687209402",
                        "from": "Elena",
                        "from_id": "user4242",
                        "file": "voice_messages/audio_1.ogg",
                        "media_type": "voice_message",
                        "duration_seconds": 3,
                        "text": "",
                    },
                    {
                        "id": 6,
                        "type": "message",
                        "date_unixtime": "1687209403",
                        "from": "Elena",
                        "poll": {
                            "question": "Next trip?",
                            "answers": [{"text": "Dunes", "voters": 1}, {"text": "Lake"}],
                        },
                        "text": "",
                    },
                ],
            },
            {
                "name": "Rivera Family",
                "type": "private_group",
                "id": 777,
                "messages": [
                    {
                        "id": 10,
                        "type": "service",
                        "date_unixtime": "1600000000",
                        "actor": "Sam Rivera",
                        "actor_id": "user111",
                        "action": "create_group",
                        "title": "Rivera Family",
                        "members": ["Elena", "Sam Rivera"],
                        "text": "",
                    },
                    {
                        "id": 11,
                        "type": "service",
                        "date_unixtime": "1600000100",
                        "actor": "Elena",
                        "actor_id": "user4242",
                        "action": "phone_call",
                        "duration_seconds": 125,
                        "text": "",
                    },
                    {
                        "id": 12,
                        "type": "message",
                        "date_unixtime": "1600000200",
                        "from": "Elena",
                        "forwarded_from": "News",
                        "location_information": {"latitude": 52.1, "longitude": 4.3},
                        "text": "",
                    },
                ],
            },
        ],
    },
    "left_chats": {
        "list": [
            {
                "name": "Old Club",
                "type": "private_supergroup",
                "id": 9,
                "messages": [
                    {"id": 1, "type": "message", "date_unixtime": "1500000000", "text": "bye"}
                ],
            }
        ]
    },
}


def test_full_export(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    by_key = {i.key: i for i in items}
    assert sorted(by_key) == [
        "4242/1",
        "4242/2",
        "4242/3",
        "4242/4",
        "4242/5",
        "4242/6",
        "777/10",
        "777/11",
        "777/12",
        "9/1",
    ]
    first = by_key["4242/1"]
    assert first.timestamp == at(2023, 6, 19, 21, 15, 3)
    assert first.title == "Elena" and first.thread == "telegram:4242"
    assert first.participants == ("Elena", "Sam Rivera")
    assert first.locator == "chat 4242 / message 1"
    assert first.uri is not None and first.uri.startswith("file://")
    reply = by_key["4242/2"]
    assert reply.text == "Great! Photos on the album and über-cool 🏕️"
    assert reply.metadata["links"] == ["https://ex.org/a"]
    assert reply.metadata["from_me"] is True and reply.metadata["reply_to"] == 1
    assert by_key["4242/3"].text == "[photo: photo_1@19-06-2023_21-16-40.jpg]"
    assert by_key["4242/4"].text == "[sticker 😀]"
    assert by_key["4242/5"].text == "[voice_message: audio_1.ogg]"
    assert by_key["4242/6"].text == "[poll] Next trip?\n- Dunes\n- Lake"
    created = by_key["777/10"]
    assert created.author == "Sam Rivera" and created.metadata["system"] is True
    assert created.text == "create group “Rivera Family” Elena, Sam Rivera"
    assert by_key["777/11"].text == "phone call (125 s)"
    assert by_key["777/12"].text == "[location: 52.1,4.3]"
    assert by_key["777/12"].metadata["forwarded_from"] == "News"
    assert by_key["777/12"].participants == ("Elena",)  # a group: the author only
    assert by_key["9/1"].metadata["left_chat"] is True and by_key["9/1"].author is None


def test_keys_do_not_depend_on_the_file_location(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    other = tmp_path / "elsewhere" / "export.json"
    other.parent.mkdir()
    shutil.copy(path, other)
    assert [i.id for i in parse(path)[0]] == [i.id for i in parse(other)[0]]


def test_dates_without_unixtime_and_invalid_dates(tmp_path: Path) -> None:
    chat = {
        "name": "A",
        "type": "personal_chat",
        "id": 1,
        "messages": [
            {"id": 1, "type": "message", "date": "2019-01-02T03:04:05", "text": "local"},
            {"id": 2, "type": "message", "date": "yesterday", "text": "bad"},
            {"id": 3, "type": "message", "date_unixtime": "99999999999999", "text": "far"},
            {"id": 4, "type": "message", "date_unixtime": -5, "text": "negative"},
        ],
    }
    items, skips = parse(write(tmp_path, chat))
    assert skips == []
    assert [i.timestamp for i in items] == [at(2019, 1, 2, 3, 4, 5), None, None, None]


def test_messages_without_ids_get_distinct_ordinals(tmp_path: Path) -> None:
    same = {"type": "message", "date_unixtime": "1600000000", "from": "A", "text": "x"}
    items, _ = parse(write(tmp_path, {"messages": [same, same, dict(same, **{"from": "B"})]}))
    assert [i.key.rsplit("/", 1)[-1] for i in items] == ["0", "1", "0"]
    assert len({i.id for i in items}) == 3


# -- broken and hostile ----------------------------------------------------------------


def test_truncated_file_keeps_what_came_before(tmp_path: Path) -> None:
    text = json.dumps(FULL, indent=1)
    cut = text.index('"id": 12')
    path = tmp_path / "result.json"
    path.write_text(text[:cut], encoding="utf-8")
    items, skips = parse(path)
    assert [i.key for i in items][-2:] == ["777/10", "777/11"]
    assert len(skips) == 1
    assert skips[0].file == str(path)
    assert skips[0].position.startswith("line ")
    assert "truncated" in skips[0].reason or "invalid JSON" in skips[0].reason


def test_wrong_types_are_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    export = {
        "chats": {
            "list": [
                "not a chat",
                {"name": "X", "id": 5, "messages": {"not": "a list"}},
                {
                    "name": "Y",
                    "id": 6,
                    "messages": [
                        42,
                        None,
                        {"id": 1, "type": "message", "text": 12345, "from": ["odd"]},
                        {"id": 2, "type": "message", "date_unixtime": "1", "text": "ok"},
                    ],
                },
            ]
        }
    }
    items, skips = parse(write(tmp_path, export))
    assert [i.key for i in items] == ["6/1", "6/2"]
    assert items[0].text == "" and items[0].author is None
    assert [s.position for s in skips] == [
        "chat 1",
        "chat 5",
        "chat 6 / message 1",
        "chat 6 / message 2",
    ]
    assert "int" in skips[2].reason and "NoneType" in skips[3].reason


def test_huge_text_is_truncated_and_noted(tmp_path: Path) -> None:
    chat = {"id": 1, "messages": [{"id": 1, "date_unixtime": "1", "text": "a" * (MAX_TEXT + 10)}]}
    items, skips = parse(write(tmp_path, chat))
    assert [s.position for s in skips] == ["chat 1 / message 1"]  # kept, and said so
    assert "cut to its first 5,000,000 characters" in skips[0].reason
    assert len(items[0].text) == MAX_TEXT and items[0].metadata["truncated"] is True


def test_not_an_object_empty_missing_and_folder_raise(tmp_path: Path) -> None:
    for name, content in (("list.json", "[1, 2]"), ("empty.json", "")):
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(SourceError, match=name):
            list(SOURCE.parse(path))
    with pytest.raises(SourceError, match="missing.json"):
        list(SOURCE.parse(tmp_path / "missing.json"))
    with pytest.raises(SourceError):
        list(SOURCE.parse(tmp_path))


def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(b'{"id": 1, "messages": [{"id": 1, "text": "caf\xe9 \xff ok"}]}')
    items, skips = parse(path)
    assert skips == [] and items[0].text == "caf\ufffd \ufffd ok"


def test_half_an_emoji_is_imported_as_a_replacement_character(tmp_path: Path) -> None:
    """An export cut inside an emoji holds a lone surrogate escape; the message is
    imported with U+FFFD in its place, and the rest of the file with it."""
    path = tmp_path / "result.json"
    path.write_text(
        '{"id": 1, "name": "Ann", "messages": ['
        '{"id": 1, "type": "message", "date": "2023-01-01T10:00:00", "from": "Ann",'
        ' "text": "see you \\ud83d soon"},'
        '{"id": 2, "type": "message", "date": "2023-01-01T10:01:00", "from": "Bob",'
        ' "text": "fine"}]}',
        encoding="utf-8",
    )
    with Memory.init(tmp_path / "memory") as memory:
        report = memory.ingest(path, embed=False)
        assert (report.added, report.skipped) == (2, [])
        (hit,) = memory.search("soon")
        assert hit.item.text == "see you \ufffd soon"
        # a question holding one is answered too, not refused by a tokenizer
        assert memory.retrieve("see you \ud83d?")[0].item.text == "see you \ufffd soon"
        assert memory.ask("soon \ud83d", model="none").found


def test_sniff_and_detect(tmp_path: Path) -> None:
    telegram = write(tmp_path, FULL, "export.json")
    discord = write(tmp_path, {"guild": {}, "channel": {}, "messages": []}, "discord.json")
    other = write(tmp_path, {"messages": [{"text": "hi"}]}, "other.json")
    assert SOURCE.sniff(telegram, read_head(telegram))
    assert not SOURCE.sniff(discord, read_head(discord))
    assert not SOURCE.sniff(other, read_head(other))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sources of other areas may be missing
        found = detect(telegram)
    assert found is not None and found.name == "telegram"


# -- the streaming reader ---------------------------------------------------------------


def stream(text: str, max_value: int = 1 << 20) -> JsonStream:
    return JsonStream(io.StringIO(text), max_value=max_value)


def test_stream_skips_values_that_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "READ_CHARS", 3)  # every value crosses reads
    reader = stream('{"a": {"x": [1, "]}\\"", {}]}, "b": [10, 20.5, "s"], "c": "\\\\"}')
    seen: dict[str, Any] = {}
    for key in reader.members():
        if key == "b":
            seen[key] = [reader.value() for _ in reader.items()]
        elif key == "c":
            seen[key] = reader.value()
    assert seen == {"b": [10, 20.5, "s"], "c": "\\"}


def test_stream_value_too_large_is_skipped_and_reading_goes_on() -> None:
    reader = stream('[{"big": "' + "x" * 5000 + '"}, {"small": 1}]', max_value=100)
    found: list[Any] = []
    for _ in reader.items():
        try:
            found.append(reader.value())
        except ValueSkipped as error:
            found.append(f"{error.reason} at {error.position}")
    assert found == ["larger than 100 characters at line 1 column 2 (char 1)", {"small": 1}]


@pytest.mark.parametrize(
    "text", ['{"a": [1, 2', '{"a" 1}', '{"a": 1 "b": 2}', "[1, 2,", '{"a": tru}', '["x" 1]']
)
def test_stream_errors_name_the_position(text: str) -> None:
    reader = stream(text)
    with pytest.raises(JsonStreamError) as caught:
        for _key in reader.members() if text.startswith("{") else reader.items():
            reader.value()
    assert caught.value.position.startswith("line 1")


def test_deep_nesting_and_huge_numbers_are_passed_over() -> None:
    reader = stream("[" + "[" * 100_000 + "]" * 100_000 + ", 1e5, 2, 3]")
    found: list[Any] = []
    for _ in reader.items():
        try:
            found.append(reader.value())
        except ValueSkipped as error:
            found.append(error.reason)
    assert found == ["nested too deeply", 100000.0, 2, 3]
    reader = stream('{"a": ' + "[" * 100_000 + "]" * 100_000 + ', "b": 2}')
    assert [k for k in reader.members() if k == "b"] == ["b"]
    reader = stream('[{"id": ' + "9" * 5000 + "}, " + "7" * 5000 + ", true, null, 4]")
    found = []
    for _ in reader.items():
        try:
            found.append(reader.value())
        except ValueSkipped as error:
            found.append("skipped" if "digits" in error.reason else error.reason)
    assert found == ["skipped", "skipped", True, None, 4]


def test_huge_number_in_a_message_skips_only_that_message(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{"id": 1, "messages": [{"id": ' + "9" * 5000 + '}, {"id": 2, "text": "ok"}]}')
    items, skips = parse(path)
    assert [i.text for i in items] == ["ok"]
    assert skips[0].position == "chat 1 / message 1" and "digits" in skips[0].reason


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=1000)
@given(value=JSON, chunk=st.integers(min_value=1, max_value=9))
def test_stream_decodes_like_json_loads_across_any_read_size(value: Any, chunk: int) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=1 if chunk % 2 else None)
    original = jsonstream.READ_CHARS
    jsonstream.READ_CHARS = chunk
    try:
        assert stream(text).value() == json.loads(text)
        reader = stream(f"[{text}, 7]")
        walked = []
        for index in reader.items():
            if index == 1:
                walked.append(reader.value())  # the first element was skipped unread
        assert walked == [7]
    finally:
        jsonstream.READ_CHARS = original


# -- properties: any input, bounded time and memory ---------------------------------

FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"messages"',
    '"chats"',
    '"list"',
    '"text"',
    '"date_unixtime"',
    '"1600000000"',
    '"type"',
    '"service"',
    '"id"',
    "12",
    "null",
    '"from"',
    '{"type": "bold", "text": "b"}',
    "\\u0000",
    '"\\ud83d"',
]


@settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=60),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_crashes(pieces: list[str], raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
            path = Path(folder) / "result.json"
            path.write_bytes(data)
            SOURCE.sniff(path, data[:8192])
            for record in assert_parses_or_names_file(SOURCE, path):
                if isinstance(record, Item) and record.timestamp is not None:
                    assert record.timestamp.tzinfo is not None


def big_export(path: Path, count: int) -> int:
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"name": "Big", "type": "private_group", "id": 1, "messages": [\n')
        for n in range(count):
            message = {
                "id": n,
                "type": "message",
                "date_unixtime": str(1_600_000_000 + n),
                "from": f"user {n % 7}",
                "text": ["word " * 400, {"type": "bold", "text": f"n{n}"}],
            }
            handle.write(json.dumps(message) + (",\n" if n < count - 1 else "\n"))
        handle.write("]}\n")
    return path.stat().st_size


def peak_while_parsing(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        seen = sum(1 for record in SOURCE.parse(path) if isinstance(record, Item))
        return seen, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_big_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    started = time.perf_counter()
    small_size = big_export(tmp_path / "small.json", 1000)
    big_size = big_export(tmp_path / "result.json", 8000)
    small_seen, small_peak = peak_while_parsing(tmp_path / "small.json")
    big_seen, big_peak = peak_while_parsing(tmp_path / "result.json")
    assert (small_seen, big_seen) == (1000, 8000)
    assert big_size > 16_000_000 and big_size > 7 * small_size
    # the peak does not grow with the file: one read buffer and one message at a time
    assert big_peak < 1.5 * small_peak + 1_000_000, (small_peak, big_peak)
    assert big_peak < big_size / 3, f"peak {big_peak} bytes for a {big_size} byte file"
    assert time.perf_counter() - started < 20
