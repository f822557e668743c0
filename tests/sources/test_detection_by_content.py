"""Files recognised by what they hold, not by their names (issue 11): SQLite databases
by their tables, a Strict Open XML Word document, a UTF-32 page, a ChatGPT export
whose conversations have no ``id``."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from source_helpers import split_records
from test_browser_history import make_chrome, make_firefox
from test_imessage import sample_db

from lifelog.sources import detect
from lifelog.sources.assistants.chatgpt import ChatGPTSource
from lifelog.sources.documents.docx import DocxSource

DATA = Path(__file__).parent / "data" / "documents"


def _name(path: Path) -> str | None:
    source = detect(path)
    return source.name if source is not None else None


@pytest.mark.parametrize(
    "name", ["History-57.0.2987.133", "History.bak", "Chrome History copy.sqlite3"]
)
def test_chrome_history_whatever_its_name(tmp_path: Path, name: str) -> None:
    """Copies of History keep a version suffix (``History-57.0…``) or get another."""
    path = make_chrome(tmp_path / name)
    assert _name(path) == "chrome"
    items, _ = split_records(detect(path), path)  # type: ignore[arg-type]
    assert items


def test_firefox_history_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "places-2024-05-01.sqlite.backup"
    make_firefox(path)
    assert _name(path) == "firefox"


@pytest.mark.parametrize(
    "name",
    ["3d0d7e5fb2ce288813306e4d4636395e047a3d28", "chat-2023.db.bak", "Messages copy.sqlite"],
)
def test_imessage_whatever_its_name(tmp_path: Path, name: str) -> None:
    """The iPhone backup's hashed name the docs mention, and renamed copies."""
    path = sample_db(tmp_path / name)
    assert _name(path) == "imessage"


def test_a_database_with_other_tables_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "History-57.0"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.commit()
    db.close()
    assert _name(path) is None


def test_strict_open_xml_word_document_is_read() -> None:
    (item,), skips = split_records(DocxSource(), DATA / "strict_ooxml.docx")
    assert not skips
    assert item.title == "Strict notes" and item.author == "Ada Lovelace"
    assert "ran until midnight" in item.text and "Trial | Result" in item.text
    assert item.metadata["headings"] == [[1, "Engine trials"]]
    assert item.metadata["strict"] is True


def test_utf32_page_is_read(tmp_path: Path) -> None:
    path = DATA / "utf32_page.html"
    assert _name(path) == "html"
    (item,), _ = split_records(detect(path), path)  # type: ignore[arg-type]
    assert item.title == "Reisetagebuch: Lissabon"
    assert "Straßenbahn 28 bis zur Burg São Jorge" in item.text


def _conversation(title: str, created: float, root: str, text: str) -> dict[str, object]:
    """A conversation as the export writes it, less its ``id`` (as in exports
    rewritten by other tools)."""
    return {
        "title": title,
        "create_time": created,
        "mapping": {
            root: {"id": root, "message": None, "parent": None, "children": [f"{root}-1"]},
            f"{root}-1": {
                "id": f"{root}-1",
                "parent": root,
                "children": [],
                "message": {
                    "id": f"{root}-1",
                    "author": {"role": "user"},
                    "create_time": created + 1,
                    "content": {"content_type": "text", "parts": [text]},
                },
            },
        },
        "current_node": f"{root}-1",
    }


def test_chatgpt_conversations_without_an_id_get_stable_ids(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    conversations = [
        _conversation("Sourdough", 1_700_000_000.0, "root-a", "How long should it proof?"),
        _conversation("Lisbon", 1_700_100_000.0, "root-b", "Best tram to the castle?"),
    ]
    path.write_text(json.dumps(conversations), encoding="utf-8")
    items, skips = split_records(ChatGPTSource(), path)
    assert not skips and len(items) == 2
    assert len({i.thread for i in items}) == 2
    assert all(i.metadata["conversation_id_derived"] for i in items)
    # the same conversations, later and in another order: the same ids
    again = tmp_path / "later" / "conversations.json"
    again.parent.mkdir()
    shutil.copy(path, again)
    again.write_text(json.dumps(conversations[::-1]), encoding="utf-8")
    later, _ = split_records(ChatGPTSource(), again)
    assert {i.id for i in later} == {i.id for i in items}
