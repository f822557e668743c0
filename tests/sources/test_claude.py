"""Claude.ai exports (conversations.json, alone or zipped) and Open WebUI chat exports."""

from __future__ import annotations

import json
import tracemalloc
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import corrupt_zip_member, parse_bytes_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.assistants.chatgpt import ChatGPTSource
from lifelog.sources.assistants.claude import AssistantSource, ClaudeSource
from lifelog.sources.base import read_head

CLAUDE = ClaudeSource()
ASSISTANT = AssistantSource()


def parse(
    path: Path, source: ClaudeSource | AssistantSource = CLAUDE
) -> tuple[list[Item], list[Skip]]:
    return split_records(source, path)


def conversation(uuid: str, name: str, messages: list[Any]) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "created_at": "2024-03-05T10:00:00.000000Z",
        "updated_at": "2024-03-05T10:05:00.000000Z",
        "account": {"uuid": "acc-1"},
        "chat_messages": messages,
    }


def turn(uuid: str, sender: str, text: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uuid": uuid,
        "text": text,
        "content": [
            {
                "start_timestamp": "2024-03-05T10:00:01Z",
                "stop_timestamp": "2024-03-05T10:00:02Z",
                "type": "text",
                "text": text,
                "citations": [],
            }
        ],
        "sender": sender,
        "created_at": "2024-03-05T10:00:01.123456Z",
        "updated_at": "2024-03-05T10:00:01.123456Z",
        "attachments": [],
        "files": [],
    }
    base.update(extra)
    return base


EXPORT = [
    conversation(
        "c-1",
        "Camping checklist",
        [
            turn(
                "m-1",
                "human",
                "What should we pack for camping at the dunes?",
                attachments=[
                    {
                        "file_name": "last-trip.txt",
                        "file_size": 40,
                        "file_type": "txt",
                        "extracted_content": "We forgot the tent pegs last time.",
                    }
                ],
                files=[{"file_name": "dunes.jpg"}],
            ),
            turn(
                "m-2",
                "assistant",
                "",
                content=[
                    {"type": "thinking", "thinking": "secret reasoning"},
                    {"type": "tool_use", "name": "web_search", "input": {"q": "dunes"}},
                    {"type": "tool_result", "content": [{"type": "text", "text": "results"}]},
                    {"type": "text", "text": "Pack a tent, pegs (you forgot them) and water."},
                ],
            ),
            turn("m-3", "human", "", content=[]),
        ],
    ),
    conversation("c-2", "", [turn("m-4", "human", "Old export: text only", content=None)]),
]


def write(directory: Path, value: Any, name: str = "conversations.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_claude_export(tmp_path: Path) -> None:
    path = write(tmp_path, EXPORT)
    assert CLAUDE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [i.key for i in items] == ["c-1/m-1", "c-1/m-2", "c-2/m-4"]
    human, assistant, old = items
    assert human.author == "Me" and assistant.author == "Claude"
    assert human.text == (
        "What should we pack for camping at the dunes?\n\n"
        "[attachment: last-trip.txt]\nWe forgot the tent pegs last time."
    )
    assert human.metadata["attachments"] == ["last-trip.txt", "dunes.jpg"]
    assert assistant.text == "Pack a tent, pegs (you forgot them) and water."
    assert assistant.metadata["blocks_left_out"] == ["thinking", "tool_use", "tool_result"]
    assert "secret reasoning" not in assistant.text
    assert human.timestamp == datetime(2024, 3, 5, 10, 0, 1, 123456, tzinfo=UTC)
    assert human.title == "Camping checklist" and human.thread == "claude:c-1"
    assert human.participants == ("Me", "Claude")
    assert old.text == "Old export: text only" and old.title is None
    assert human.locator == "conversation c-1 / message m-1"


def test_zip_export_and_detection_against_chatgpt(tmp_path: Path) -> None:
    path = tmp_path / "data-2024-03-05-10-00-00.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(EXPORT))
        archive.writestr("users.json", "[]")
        archive.writestr("projects.json", "[]")
    assert CLAUDE.sniff(path, read_head(path))
    assert [i.key for i in parse(path)[0]] == ["c-1/m-1", "c-1/m-2", "c-2/m-4"]
    assert [i.id for i in parse(path)[0]] == [i.id for i in parse(write(tmp_path, EXPORT))[0]]
    chatgpt = tmp_path / "gpt"
    chatgpt.mkdir()
    gpt = write(chatgpt, [{"title": "t", "mapping": {}, "id": "x", "current_node": None}])
    assert not CLAUDE.sniff(gpt, read_head(gpt))
    assert ChatGPTSource().sniff(gpt, read_head(gpt))  # both use the name conversations.json
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(detect(tmp_path / "conversations.json"), "name", None) == "claude"
        assert getattr(detect(gpt), "name", None) == "chatgpt"
        assert getattr(detect(path), "name", None) == "claude"


def test_broken_conversations(tmp_path: Path) -> None:
    export = [
        "nope",
        {"name": "no uuid", "chat_messages": []},
        {"uuid": "c-3", "chat_messages": "not a list"},
        conversation("c-4", "ok", [7, turn("m-5", "human", "fine", created_at="bad date")]),
    ]
    items, skips = parse(write(tmp_path, export))
    assert [i.key for i in items] == ["c-4/m-5"]
    assert items[0].timestamp == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)  # the conversation's
    assert [s.position for s in skips] == [
        "conversation 1",
        "conversation 2",
        "conversation 3",
        "conversation 4 (uuid c-4) / message 1",
    ]
    text = json.dumps(EXPORT, indent=2)
    cut = write(tmp_path, [], "cut.json")
    cut.write_text(text[: text.index('"c-2"')], encoding="utf-8")
    items, skips = parse(cut)
    assert [i.key for i in items] == ["c-1/m-1", "c-1/m-2"]
    assert len(skips) == 1 and skips[0].position.startswith("line ")
    with pytest.raises(SourceError, match="object.json"):
        list(CLAUDE.parse(write(tmp_path, {"a": 1}, "object.json")))
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("../conversations.json", "[]")
    assert parse(empty)[1][0].reason == "no conversations.json inside the zip"


def test_damaged_zip_member_raises_source_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    data = [
        conversation(f"c{n}", f"title {n * 7919}", [turn(f"m{n}", "human", f"words {n}")])
        for n in range(40)
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(data))
    corrupt_zip_member(path)
    with pytest.raises(SourceError, match="data.zip: damaged zip member conversations.json"):
        list(CLAUDE.parse(path))


OPEN_WEBUI = [
    {
        "id": "w-1",
        "user_id": "u-1",
        "title": "Dune trip",
        "chat": {
            "id": "",
            "title": "Dune trip",
            "models": ["qwen3:8b"],
            "messages": [
                {
                    "id": "a",
                    "parentId": None,
                    "childrenIds": ["b"],
                    "role": "user",
                    "content": "When is low tide?",
                    "timestamp": 1717000000,
                },
                {
                    "id": "b",
                    "parentId": "a",
                    "childrenIds": [],
                    "role": "assistant",
                    "content": "Around 14:00.",
                    "model": "qwen3:8b",
                    "timestamp": 1717000005,
                },
                {"id": "s", "role": "system", "content": "You are helpful."},
            ],
            "history": {"currentId": "b", "messages": {}},
            "timestamp": 1717000000000,
        },
        "created_at": 1717000000,
        "updated_at": 1717000005,
    }
]


def test_open_webui_export(tmp_path: Path) -> None:
    path = write(tmp_path, OPEN_WEBUI, "chat-export-1717000100.json")
    assert ASSISTANT.sniff(path, read_head(path)) and not CLAUDE.sniff(path, read_head(path))
    items, skips = parse(path, ASSISTANT)
    assert skips == []
    assert [(i.key, i.author, i.text) for i in items] == [
        ("w-1/a", "Me", "When is low tide?"),
        ("w-1/b", "qwen3:8b", "Around 14:00."),
    ]
    assert items[0].timestamp == datetime.fromtimestamp(1717000000, UTC)
    assert items[1].thread == "assistant:w-1" and items[1].title == "Dune trip"


FRAGMENTS = [
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    '"uuid"',
    '"chat_messages"',
    '"sender"',
    '"human"',
    '"content"',
    '"text"',
    '"type"',
    '"created_at"',
    '"2024-01-01T00:00:00Z"',
    "null",
]


@settings(max_examples=100, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60))
def test_arbitrary_input_never_crashes(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8", "surrogatepass")
    for source in (CLAUDE, ASSISTANT):
        parse_bytes_or_names_file(source, "conversations.json", data)


def test_big_export_streams_one_conversation_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for n in range(600):
            messages = [turn(f"m{n}-{k}", "human", "lorem ipsum " * 120) for k in range(4)]
            handle.write(("," if n else "") + json.dumps(conversation(f"c{n}", "t", messages)))
        handle.write("]")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        seen = sum(1 for r in CLAUDE.parse(path) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 2400 and size > 7_000_000
    assert peak < size / 4, f"peak {peak} for {size} bytes"
