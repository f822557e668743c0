"""One shard run in this process (no Ray): encrypted, keyed only by a sealed key, and
holding no key on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog.distributed.keys import owner_secret, shard_key, wrap_key
from lifelog.distributed.shard import Shard, ShardLocked
from lifelog.retrieval.filters import Filters


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
