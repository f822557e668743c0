"""Forgetting many items at once: one statement per table over all of them (issue 13,
item 5), and nothing of them left in the store or its indexes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lifelog import Memory
from lifelog.records import Item


def _items(origin: str, count: int, word: str) -> list[Item]:
    return [
        Item(
            source="notes",
            kind="note",
            key=f"{origin}/{n}",
            text=f"note {n} about {word} and the garden " + "long words here " * (n % 3) * 200,
            title=f"{word} {n}",
            author="Alice Example",
            participants=("Bob Example",),
        )
        for n in range(count)
    ]


def _fill(memory: Memory, groups: dict[str, list[Item]]) -> None:
    for origin, items in groups.items():
        memory.store.upsert(items, origin=origin, run_id=None)
        memory.store.conn.execute(
            "INSERT INTO files (path, size, mtime, source, items, done_at)"
            " VALUES (?, 1, 1, 'notes', ?, 1)",
            (origin, len(items)),
        )
    memory.store.conn.commit()
    memory.directory.refresh()


def test_forgetting_a_folder_leaves_nothing_of_it_and_keeps_the_rest(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        gone = _items("/x/chat/a", 300, "pelican")
        kept = _items("/x/other/b", 200, "walrus")
        _fill(memory, {"/x/chat/a": gone, "/x/other/b": kept})
        conn = memory.store.conn
        chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert chunks > 500  # long items have several chunks
        given: list[int] = []
        memory.store.delete_hooks.append(given.extend)

        assert memory.forget_file("/x/chat") == 300

        assert memory.store.count() == 200
        left = conn.execute(
            "SELECT count(*) FROM chunks WHERE item_rowid NOT IN (SELECT rowid FROM items)"
        ).fetchone()
        assert left == (0,)
        assert conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == chunks - len(given)
        match = (
            "SELECT count(DISTINCT c.item_rowid) FROM chunks_fts f"
            " JOIN chunks c ON c.rowid = f.rowid WHERE chunks_fts MATCH ?"
        )
        assert conn.execute(match, ("pelican",)).fetchone() == (0,)
        assert conn.execute(match, ("walrus",)).fetchone() == (200,)
        # the words are gone from the index's pages, not only hidden
        data = b"".join(row[0] for row in conn.execute("SELECT block FROM chunks_fts_data"))
        assert b"pelican" not in data and b"walrus" in data
        assert conn.execute("SELECT count(*) FROM forgotten").fetchone() == (300,)
        assert conn.execute("SELECT path FROM files").fetchall() == [("/x/other/b",)]
        orphans = conn.execute(
            "SELECT count(*) FROM people_item_mentions"
            " WHERE item_rowid NOT IN (SELECT rowid FROM items)"
        ).fetchone()
        assert orphans == (0,)
        assert not [t for (t,) in conn.execute("SELECT name FROM temp.sqlite_master")]
        # a re-import of the same records skips them
        again = memory.store.upsert(gone, origin="/x/chat/a", run_id=None)
        assert (again.added, again.forgotten) == (0, 300)


def test_forgetting_nothing_known_changes_nothing(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        _fill(memory, {"/x/a": _items("/x/a", 5, "heron")})
        assert memory.forget(["nosuchid", "nosuchid"]) == 0
        assert memory.store.count() == 5


@pytest.mark.slow
def test_forgetting_100000_items_takes_under_10_seconds(tmp_path: Path) -> None:
    """Issue 13, item 5, on an encrypted memory of 150,000 items (one chunk each)."""
    with Memory.init(tmp_path / "m") as memory:
        for start in range(0, 150_000, 25_000):
            origin = f"/x/{'chat' if start < 100_000 else 'other'}/{start}"
            items = [
                Item(source="chat", kind="message", key=f"{n}", text=f"message {n} of the day")
                for n in range(start, start + 25_000)
            ]
            memory.store.upsert(items, origin=origin, run_id=None)
        memory.directory.refresh()
        started = time.perf_counter()
        assert memory.forget_file("/x/chat") == 100_000
        seconds = time.perf_counter() - started
        assert memory.store.count() == 50_000
        print(f"forgot 100,000 of 150,000 items in {seconds:.1f} s")
        assert seconds < 10
