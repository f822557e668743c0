"""Item text compressed before encryption (issue 13, item 3): rows round-trip, short
texts stay as they are, and a store written before compression reads as it did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lifelog import Memory
from lifelog.index.rebuild import rebuild_fts
from lifelog.records import Item
from lifelog.store import textpack
from lifelog.store.integrity import check_chunks
from lifelog.store.textpack import pack_text, unpack_text

LONG = "Dear Melanie, we are going camping at the beach in June with the kids. " * 40
TEXTS = [
    LONG,
    "Grüße aus Köln — 東京で会いましょう 🏕️ " * 30,
    "short note",
    "",
    "é" * 30,  # 60 bytes: below the threshold
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_comes_back_as_it_went_in(text: str) -> None:
    stored = pack_text(text)
    assert unpack_text(stored) == text
    if len(text.encode()) >= textpack.MIN_BYTES:
        assert isinstance(stored, bytes) and len(stored) < len(text.encode()) / 3
    else:
        assert stored == text


def test_what_compression_cannot_shrink_is_kept_as_text() -> None:
    noise = os.urandom(300).hex()[: textpack.MIN_BYTES + 20]
    assert pack_text(noise) == noise or len(pack_text(noise)) < len(noise)
    assert unpack_text(pack_text(noise)) == noise
    with pytest.raises(ValueError, match="unknown text format"):
        unpack_text(b"\x07abc")


def _items(texts: list[str], prefix: str = "n") -> list[Item]:
    return [
        Item(source="notes", kind="note", key=f"{prefix}{n}", text=text, title=f"note {n}")
        for n, text in enumerate(texts)
    ]


def test_stored_items_round_trip_and_search_shows_their_words(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m") as memory:
        items = _items(TEXTS)
        memory.store.upsert(items, origin="/notes", run_id=None)
        conn = memory.store.conn
        kinds = dict(conn.execute("SELECT id, typeof(text) FROM items"))
        assert kinds[items[0].id] == "blob" and kinds[items[2].id] == "text"
        for item in items:
            assert memory.get(item.id).text == item.text
        hits = memory.search("camping beach")
        assert hits and hits[0].item.id == items[0].id
        assert "camping" in hits[0].snippet.lower()
        assert check_chunks(conn, memory.store.path, memory.store.keying).problems == []


def test_a_store_written_before_compression_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old rows keep plain text (no migration); new rows beside them are compressed."""
    home = tmp_path / "m"
    old, new = _items([LONG + "old"]), _items([LONG + "new", LONG + "newer"], "new")
    with monkeypatch.context() as patch:
        patch.setattr(textpack, "MIN_BYTES", 1 << 30)  # as a lifelog without compression
        with Memory.init(home) as memory:
            memory.store.upsert(old, origin="/old", run_id=None)
    with Memory.open(home) as memory:
        memory.store.upsert(new, origin="/new", run_id=None)
        kinds = sorted(t for (t,) in memory.store.conn.execute("SELECT typeof(text) FROM items"))
        assert kinds == ["blob", "blob", "text"]
        for item in [*old, *new]:
            assert memory.get(item.id).text == item.text
        chunks = memory.store.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert rebuild_fts(memory.store) == chunks == 6
        assert len(memory.search("camping")) == 3
