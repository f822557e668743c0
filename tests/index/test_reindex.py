"""A memory whose word index was written before the shared spelling (raw text, as FTS5's
``unicode61`` cut it) is indexed again: on open, by migration
``m006_word_index_every_script``, and by ``lifelog index rebuild``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifelog import Item, Memory
from lifelog.cli import app

SENTENCES = {
    "해수욕장": "지난 주말에 친구들이랑 해운대 해수욕장에 가서 회를 먹었어요.",
    "урожай": "Завтра утром я поеду на дачу, чтобы собрать последний урожай яблок.",
    "الأسبوع": "سأسافر إلى القاهرة الأسبوع القادم لزيارة جدتي في المستشفى.",
    "バス": "明日の朝は雨が降るので、バスで学校に行きます。",
    "增值税": "我下个月要去税务局办理增值税发票的手续。",
}


def items() -> list[Item]:
    return [
        Item(
            source="notes",
            key=f"note-{n}",
            kind="note",
            text=text,
            title=f"Note {n}",
            timestamp=datetime(2024, 3, n + 1, tzinfo=UTC),
        )
        for n, text in enumerate(SENTENCES.values())
    ]


def write_old_index(memory: Memory, *, migrated: bool = False) -> None:
    """The index as lifelog wrote it before: each chunk's raw text (and, unless
    ``migrated``, m006 not applied)."""
    conn = memory.store.conn
    with memory.store.lock, conn:
        conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
        conn.execute(
            "INSERT INTO chunks_fts (rowid, body, title, people)"
            " SELECT c.rowid, substr(item_text(i.text), c.start + 1, c.end - c.start),"
            " coalesce(i.title, ''), i.people FROM chunks c JOIN items i ON i.rowid = c.item_rowid"
        )
        if not migrated:
            conn.execute("DELETE FROM _migrations WHERE name = 'm006_word_index_every_script'")


def findable(memory: Memory) -> dict[str, bool]:
    return {
        word: any(hit.item.text == text for hit in memory.search(word))
        for word, text in SENTENCES.items()
    }


@pytest.fixture
def old_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
    path = tmp_path / "memory"
    with Memory.init(path) as memory:
        memory.store.upsert(items(), origin=None, run_id=None)
        assert all(findable(memory).values())
        write_old_index(memory)
        assert not all(findable(memory).values())  # what an old memory answers today
    return path


def test_an_old_memory_is_reindexed_when_opened(old_memory: Path) -> None:
    with Memory.open(old_memory) as memory:
        assert all(findable(memory).values())
        applied = [r[0] for r in memory.store.conn.execute("SELECT name FROM _migrations")]
        assert "m006_word_index_every_script" in applied


def test_index_rebuild_writes_the_same_index(old_memory: Path) -> None:
    with Memory.open(old_memory) as memory:
        write_old_index(memory, migrated=True)
        assert not all(findable(memory).values())
    result = CliRunner().invoke(app, ["index", "rebuild", "--memory", str(old_memory), "-q"])
    assert result.exit_code == 0, result.output
    with Memory.open(old_memory) as memory:
        assert all(findable(memory).values())
