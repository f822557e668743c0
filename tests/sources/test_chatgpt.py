"""ChatGPT conversations.json: active branch, placeholders, zips, broken JSON."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import corrupt_zip_member, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.assistants import chatgpt
from lifelog.sources.assistants.chatgpt import ChatGPTSource
from lifelog.sources.base import read_head

SOURCE = ChatGPTSource()
T0 = 1_700_000_000.0


def node(
    nid: str,
    parent: str | None,
    role: str | None,
    parts: list[Any] | None = None,
    *,
    t: float | None = None,
    children: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    message = None
    if role is not None:
        content = extra.pop("content", {"content_type": "text", "parts": parts or []})
        message = {
            "id": nid,
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": t,
            "content": content,
            "status": "finished_successfully",
            "metadata": extra.pop("metadata", {}),
            "recipient": extra.pop("recipient", "all"),
        }
    return {"id": nid, "message": message, "parent": parent, "children": children or []}


def conversation(cid: str = "c-1", title: str = "Camping plans") -> dict[str, Any]:
    nodes = [
        node("root", None, None, children=["sys"]),
        node(
            "sys",
            "root",
            "system",
            [""],
            metadata={"is_visually_hidden_from_conversation": True},
            children=["u1"],
        ),
        node("u1", "sys", "user", ["Where should we camp in June?"], t=T0, children=["a1", "a2"]),
        node("a1", "u1", "assistant", ["An old answer on an abandoned branch"], t=T0 + 5),
        node(
            "a2",
            "u1",
            "assistant",
            ["Try Peneda-Gerês."],
            t=T0 + 10,
            children=["u2"],
            metadata={"model_slug": "gpt-4o"},
        ),
        node(
            "u2",
            "a2",
            "user",
            [{"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"}, "this?"],
            t=T0 + 20,
            children=["think"],
        ),
        node(
            "think",
            "u2",
            "assistant",
            content={"content_type": "thoughts", "thoughts": [{"content": "hmm"}]},
            t=T0 + 21,
            children=["call"],
        ),
        node(
            "call",
            "think",
            "assistant",
            content={"content_type": "code", "language": "python", "text": "print(1)"},
            recipient="python",
            t=T0 + 22,
            children=["tool"],
        ),
        node("tool", "call", "tool", ["1"], t=T0 + 23, children=["empty"]),
        node("empty", "tool", "assistant", [""], t=T0 + 24, children=["a3"]),
        node("a3", "empty", "assistant", ["Yes, that lake."], t=None),
    ]
    return {
        "title": title,
        "create_time": T0 - 60,
        "update_time": T0 + 30,
        "mapping": {n["id"]: n for n in nodes},
        "current_node": "a3",
        "conversation_id": cid,
        "id": cid,
    }


def write(tmp_path: Path, data: Any, name: str = "conversations.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_active_branch_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, [conversation()])
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert skips == []
    assert [(i.author, i.text) for i in items] == [
        ("Me", "Where should we camp in June?"),
        ("ChatGPT", "Try Peneda-Gerês."),
        ("Me", "[image]\nthis?"),
        ("ChatGPT", "Yes, that lake."),
    ]
    first = items[0]
    assert first.key == "c-1/u1" and first.kind == "message" and first.source == "chatgpt"
    assert first.title == "Camping plans" and first.thread == "chatgpt:c-1"
    assert first.timestamp == datetime.fromtimestamp(T0, UTC)
    assert first.metadata == {"role": "user", "conversation_id": "c-1"}
    assert items[1].metadata["model"] == "gpt-4o"
    assert items[3].timestamp == datetime.fromtimestamp(T0 - 60, UTC)  # conversation's time
    assert first.locator == "conversation c-1 / message u1"
    assert first.participants == ("Me", "ChatGPT")


def test_without_current_node_all_messages_by_time(tmp_path: Path) -> None:
    conv = conversation()
    del conv["current_node"]
    items, _ = parse(write(tmp_path, [conv]))
    assert [i.key.split("/")[1] for i in items] == ["u1", "a1", "a2", "u2", "a3"]


def test_ids_do_not_depend_on_location(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, _ = parse(write(tmp_path / "a", [conversation()]))
    two, _ = parse(write(tmp_path / "b", [conversation()], name="other.json"))
    assert [i.id for i in one] == [i.id for i in two]


def test_broken_conversations_are_skipped_rest_imported(tmp_path: Path) -> None:
    cycle = conversation("c-cycle")
    cycle["mapping"]["u1"]["parent"] = "a3"  # a loop: still terminates
    bad_node = conversation("c-bad")
    bad_node["mapping"]["a2"] = "not a node"
    path = write(
        tmp_path,
        [
            conversation("c-ok"),
            {"title": "no mapping", "id": "c-nomap", "mapping": ["x"]},
            bad_node,
            42,
            cycle,
        ],
    )
    items, skips = parse(path)
    assert {i.thread for i in items} == {"chatgpt:c-ok", "chatgpt:c-cycle"}
    assert [s.position for s in skips] == [
        "conversation 2 (id c-nomap)",
        "conversation 3 (id c-bad)",
        "conversation 4",
    ]
    assert all(s.file == str(path) for s in skips)
    assert "mapping" in skips[0].reason and "a2" in skips[1].reason


def test_truncated_json_raises_naming_file_and_position(tmp_path: Path) -> None:
    text = json.dumps([conversation("c-1"), conversation("c-2")])
    path = tmp_path / "conversations.json"
    path.write_text(text[: len(text) - 200], encoding="utf-8")
    seen: list[Item] = []
    with pytest.raises(SourceError) as caught:
        for record in SOURCE.parse(path):
            assert isinstance(record, Item)
            seen.append(record)
    message = str(caught.value)
    assert str(path) in message and "line 1 column" in message
    assert {i.thread for i in seen} == {"chatgpt:c-1"}  # what came before is kept


@pytest.mark.parametrize(
    "text, where",
    [("", "empty"), ("not json", "line 1 column 1"), ('{"a": ', "line 1 column 7")],
)
def test_unparseable_top_level(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "conversations.json"
    path.write_text(text)
    with pytest.raises(SourceError, match=where):
        list(SOURCE.parse(path))


def test_small_reads_give_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = [conversation(f"c-{n}") for n in range(5)]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    expected = [i.id for i in parse(path)[0]]
    monkeypatch.setattr(chatgpt, "READ_CHARS", 7)
    assert [i.id for i in parse(path)[0]] == expected
    path.write_text(json.dumps(data, indent=1)[:-40])
    with pytest.raises(SourceError, match=r"line \d+ column \d+"):
        list(SOURCE.parse(path))


def test_single_conversation_object_and_wrapper(tmp_path: Path) -> None:
    assert len(parse(write(tmp_path, conversation()))[0]) == 4
    assert len(parse(write(tmp_path, {"conversations": [conversation()]}))[0]) == 4
    assert parse(write(tmp_path, []))[0] == []


def test_zip_export_and_traversal_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../evil.txt", "boo")
        archive.writestr("chat.html", "<html></html>")
        archive.writestr("conversations.json", json.dumps([conversation()]))
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert len(items) == 4 and skips == []
    assert sorted(os.listdir(tmp_path)) == ["chatgpt-export.zip"]
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_without_conversations(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert not SOURCE.sniff(path, read_head(path))
    assert [s.reason for s in SOURCE.parse(path) if isinstance(s, Skip)] == [
        "no conversations.json inside the zip"
    ]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../conversations.json", json.dumps([conversation()]))
    assert not SOURCE.sniff(path, read_head(path))
    assert [s.reason for s in SOURCE.parse(path) if isinstance(s, Skip)] == [
        "no conversations.json inside the zip"
    ]


def test_sniff(tmp_path: Path) -> None:
    other = write(tmp_path, [conversation()], name="export-2024.json")
    assert SOURCE.sniff(other, read_head(other))
    plain = write(tmp_path, [{"a": 1}], name="data.json")
    assert not SOURCE.sniff(plain, read_head(plain))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nope.json"):
        list(SOURCE.parse(tmp_path / "nope.json"))


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "mapping",
                    "current_node",
                    "message",
                    "parent",
                    "author",
                    "role",
                    "content",
                    "parts",
                    "id",
                    "title",
                    "create_time",
                    "user",
                    "assistant",
                    "text",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=json_values,
    cut=st.integers(min_value=0, max_value=400),
    raw=st.binary(max_size=100),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_arbitrary_input_never_raises_anything_but_source_error(
    value: Any, cut: int, raw: bytes, chunk: int
) -> None:
    text = json.dumps([value, conversation()], indent=1)

    def records(path: Path) -> list[str]:
        out: list[str] = []
        try:
            for record in SOURCE.parse(path):
                assert isinstance(record, Item | Skip)
                out.append(repr(record))
        except SourceError as error:
            assert str(path) in str(error)
            out.append("error")
        return out

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conversations.json"
        for data in (text.encode(), text.encode()[:cut], raw):
            path.write_bytes(data)
            whole = records(path)
            saved = chatgpt.READ_CHARS
            chatgpt.READ_CHARS = chunk  # reading in small pieces changes nothing
            try:
                assert records(path) == whole
            finally:
                chatgpt.READ_CHARS = saved


def test_damaged_zip_member_raises_source_error(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    data = [conversation(f"c-{n}", title=f"title {n * 7919}") for n in range(30)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(data))
    corrupt_zip_member(path)
    with pytest.raises(SourceError, match="export.zip: damaged zip member conversations.json"):
        list(SOURCE.parse(path))
