"""One shard run in this process (no Ray): encrypted, keyed only by a sealed key, and
holding no key on disk."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lifelog.distributed.keys import owner_secret, shard_key, wrap_key
from lifelog.distributed.shard import Shard, ShardLocked
from lifelog.errors import UserError
from lifelog.retrieval.filters import Filters
from lifelog.store.db import Keying, connect


def _open(root: Path, n: int = 0) -> tuple[Shard, str]:
    shard = Shard("m1", n, str(root))
    key = shard_key(owner_secret(raw_key="cd" * 32, passphrase=None, memory_id="m1"), "m1", n)
    shard.unlock(wrap_key(key, shard.public_key(), n), {})
    return shard, key


def test_a_shard_is_an_encrypted_store_with_no_key_on_disk(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "Miso.md").write_text("# Miso\n\nWe adopted Miso, a grey cat, in May 2021.\n")
    shard, key = _open(tmp_path / "root")
    report = shard.ingest([str(notes)], False, False, False)
    assert report.added == 1
    assert shard.held([str(notes / "Miso.md"), str(tmp_path / "other.md")]) == [
        str(notes / "Miso.md")
    ]
    assert shard.held([str(notes), str(tmp_path / "note")]) == [str(notes)]  # a part of it
    hits = shard.search("Miso cat", Filters(), 5)
    assert [h.item.title for h in hits] == ["Miso"]
    shard.close()
    files = [p for p in shard.home.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert key.encode() not in data and bytes.fromhex(key) not in data
        assert b"grey cat" not in data  # encrypted at rest
    assert not (shard.home / "key").exists()
    assert (shard.home / "lifelog.db").read_bytes()[:16] != b"SQLite format 3\x00"


def test_a_shard_without_its_key_answers_nothing(tmp_path: Path) -> None:
    shard = Shard("m1", 0, str(tmp_path))
    with pytest.raises(ShardLocked):
        shard.search("anything", Filters(), 5)
    opened, _ = _open(tmp_path)
    opened.close()
    wrong = Shard("m1", 0, str(tmp_path))
    other = shard_key(owner_secret(raw_key="ef" * 32, passphrase=None, memory_id="m1"), "m1", 0)
    with pytest.raises(Exception, match="(?i)passphrase|key"):
        wrong.unlock(wrap_key(other, wrong.public_key(), 0), {})


def test_a_rekey_another_process_holds_stops_after_its_wait(tmp_path: Path) -> None:
    """The wait the owner sends (``rekey_wait``) is the shard's: a reader's snapshot held
    open stops the rekey once it is over, the shard keeps its key and its connection
    the busy timeout it had; let go, the same rekey goes through."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "Miso.md").write_text("# Miso\n\nWe adopted Miso, a grey cat, in May 2021.\n")
    shard, key = _open(tmp_path / "root")
    assert shard.ingest([str(notes)], False, False, False).added == 1  # pages in the log
    new = shard_key(owner_secret(raw_key="ef" * 32, passphrase=None, memory_id="m1"), "m1", 0)
    db = shard.home / "lifelog.db"
    reader = connect(db, keying=Keying(raw_key=key), readonly=True)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM items").fetchone()
        started = time.monotonic()
        with pytest.raises(UserError, match="in use by another process"):
            shard.rekey(wrap_key(new, shard.public_key(), 0), 0.2)
        assert time.monotonic() - started < 10  # not the 30 s busy timeout
    finally:
        reader.close()
    store = shard.memory.store
    with store.lock:
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert store.keying.raw_key == key and shard.search("Miso", Filters(), 5)
    assert shard.rekey(wrap_key(new, shard.public_key(), 0), 0.2)
    assert shard.memory.store.keying.raw_key == new
    assert [h.item.title for h in shard.search("Miso", Filters(), 5)] == ["Miso"]
    shard.close()
