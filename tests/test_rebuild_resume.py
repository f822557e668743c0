"""Rebuilding the indexes from the store is resumable and reports progress (issue 13,
item 5): a rebuild stopped part-way goes on from the last item it committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog import Memory
from lifelog.index.embedding import EmbedProgress
from lifelog.index.rebuild import rebuild_words, rebuilding_words
from lifelog.records import Item

WORDS = ["otter", "heron", "maple", "violin", "lantern"]


def _fill(memory: Memory) -> None:
    items = [
        Item(
            source="notes",
            kind="note",
            key=f"n{n}",
            title=f"note {n}",
            text=f"{WORDS[n % 5]} and {WORDS[(n + 2) % 5]} " + "filler words go on " * (n % 4) * 90,
        )
        for n in range(60)
    ]
    memory.store.upsert(items, origin="/notes", run_id=None)


def _index(memory: Memory) -> dict[str, list[int]]:
    conn = memory.store.conn
    return {
        word: [
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rowid", (word,)
            )
        ]
        for word in [*WORDS, "filler", "note"]
    }


class Stops(EmbedProgress):
    """Records progress; raises after ``stop`` advances (as a Ctrl-C or a kill would)."""

    def __init__(self, stop: int | None = None) -> None:
        self.stop, self.total, self.done, self.calls = stop, 0, 0, 0

    def start(self, total: int, model: str) -> None:
        self.total = total

    def advance(self, chunks: int) -> None:
        self.done += chunks
        self.calls += 1
        if self.stop is not None and self.calls > self.stop:
            raise KeyboardInterrupt


def test_a_stopped_rebuild_resumes_and_ends_with_the_same_index(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        _fill(memory)
        before = _index(memory)
        chunks = memory.store.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert chunks > 60

        first = Stops(stop=3)  # the first advance says what was done before: nothing
        with pytest.raises(KeyboardInterrupt):
            rebuild_words(memory.store, first, step=7)
        assert rebuilding_words(memory.store)
        assert 0 < first.done < chunks and first.total == chunks
        partial = _index(memory)
        assert partial != before and all(set(partial[w]) <= set(before[w]) for w in before)

        second = Stops()
        indexed = rebuild_words(memory.store, second, step=7)
        assert indexed == chunks - first.done
        assert second.total == second.done == chunks  # resumed with what was done before
        assert not rebuilding_words(memory.store)
        assert _index(memory) == before


def test_memory_rebuild_index_resumes_after_a_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        _fill(memory)
        before = _index(memory)
        with pytest.raises(KeyboardInterrupt):
            memory.rebuild_index(progress=Stops(stop=1))
        assert rebuilding_words(memory.store)
        memory.rebuild_index(lexical=False)  # a rebuild under way is finished anyway
        assert not rebuilding_words(memory.store)
        assert memory.store.meta_get("rebuild_index") is None
        assert _index(memory) == before
