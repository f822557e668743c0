"""Backups, checks, repair and a new key for a distributed memory, on a real Ray cluster
on loopback, against the embedded backend over the same files. Before, the three were
refused on the distributed backend.

- A backup holds each shard's database, encrypted with that shard's key alone (no key
  anywhere in it), every item once, and a manifest whose digests match; restored over
  a memory that forgot items since (only with --force), it gives them back.
- Repair: a word index broken on one shard (as on one machine) is found by the check
  and mended, and searches are the embedded backend's again; the indexes' status and
  their rebuild reach every shard.
- A new key: a shard that cannot change (another process holds its database) stops the
  change before the owner's key; every shard still opens and nothing is lost; run
  again, the change finishes with the same new key, and the old key opens nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lifelog import Memory
from lifelog.distributed.keys import owner_secret, shard_key
from lifelog.errors import LifelogError, PassphraseError, UserError
from lifelog.samplelife import generate
from lifelog.store.db import Keying, connect

QUERIES = ("camping", "Miso vet", "quince", "Lisbon", "dumplings recipe")
#: seconds a shard's rekey waits for the reader these tests hold open (30 s by default)
REKEY_WAIT = 2.0


class Both:
    """The same files in an embedded memory and a distributed one (reopened by tests)."""

    def __init__(self, embedded: Memory, ray: Any) -> None:
        self.embedded, self.ray = embedded, ray


@pytest.fixture(scope="module")
def both(
    loopback: Any, on_ray: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Both]:
    tmp = tmp_path_factory.mktemp("upkeep")
    life = generate(tmp / "life", scale=0.15)
    embedded = Memory.init(tmp / "embedded")
    embedded.ingest(life.root)
    ray = on_ray(tmp / "ray", loopback.address, shards=2, rekey_wait=REKEY_WAIT)
    ray.ingest(life.root)
    state = Both(embedded, ray)
    yield state
    state.ray.close()
    embedded.close()


def _found(memory: Memory) -> list[tuple[list[str], set[str]]]:
    """What retrieval finds, in order (two-phase over the shards: one machine's order),
    and every item holding the words."""
    return [
        ([h.item.id for h in memory.retrieve(q)], {h.item.id for h in memory.search(q, limit=500)})
        for q in QUERIES
    ]


def _shard_keys(ray: Any, raw_key: str) -> list[str]:
    memory_id = str(ray.backend["id"])
    secret = owner_secret(raw_key=raw_key, passphrase=None, memory_id=memory_id)
    return [shard_key(secret, memory_id, n) for n in range(2)]


def _ids(db: Path, key: str) -> set[str]:
    conn = connect(db, keying=Keying(raw_key=key), readonly=True)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM items")}
    finally:
        conn.close()


def _opens(db: Path, key: str) -> bool:
    try:
        _ids(db, key)
    except (LifelogError, sqlite3.DatabaseError):
        return False
    return True


def _shard_db(ray: Any, n: int) -> Path:
    return Path(ray.cluster.infos[n].path) / "lifelog.db"


def test_a_backup_holds_every_shard_encrypted_with_its_own_key_and_is_restored(
    both: Both, tmp_path: Path
) -> None:
    embedded, ray = both.embedded, both.ray
    info = ray.backup(tmp_path / "backup")
    mine = embedded.backup(tmp_path / "embedded-backup")
    held = ray.item_ids()
    assert info.items == mine.items == sum(len(ids) for ids in held.values())
    manifest = json.loads((tmp_path / "backup" / "shards.json").read_text())
    assert manifest["memory_id"] == ray.backend["id"] and len(manifest["shards"]) == 2
    keys = _shard_keys(ray, ray.store.keying.raw_key)
    every: set[str] = set()
    for n, part in enumerate(manifest["shards"]):
        db = tmp_path / "backup" / part["folder"] / "lifelog.db"
        assert hashlib.sha256(db.read_bytes()).hexdigest() == part["sha256"]
        assert _ids(db, keys[n]) == set(held[n]) and part["items"] == len(held[n])
        assert not _opens(db, keys[1 - n]) and not _opens(db, ray.store.keying.raw_key)
        every |= _ids(db, keys[n])
    assert every == _ids(tmp_path / "embedded-backup" / "lifelog.db", embedded.store.keying.raw_key)
    # the owner's own store (its journal) beside them, and no key anywhere
    assert (tmp_path / "backup" / "owner" / "lifelog.db").is_file()
    names = {p.name for p in (tmp_path / "backup").rglob("*")}
    assert "key" not in names and not any(n.endswith(".partial") for n in names)
    for path in (tmp_path / "backup").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for key in (*keys, ray.store.keying.raw_key):
                assert key.encode() not in data and bytes.fromhex(key) not in data
    # restored over a memory that forgot items since: refused without --force, then
    # every shard and the owner are as they were
    before, home = _found(ray), ray.home
    forgotten = list(ray.query_ids("camping"))
    assert ray.forget(forgotten) >= 1 and _found(ray) != before
    ray.close()
    with pytest.raises(UserError, match="add --force"):
        Memory.restore(tmp_path / "backup", home)
    assert Memory.restore(tmp_path / "backup", home, force=True) == info.items
    both.ray = ray = Memory.open(home)
    assert ray.item_ids() == held and _found(ray) == before == _found(embedded)
    assert [r["id"] for r in ray.runs()] == [r["id"] for r in embedded.runs()]  # the journal


def _break_word_index(db: Path, key: str, item_id: str) -> None:
    conn = connect(db, keying=Keying(raw_key=key))
    try:
        with conn:
            conn.execute(
                "DELETE FROM chunks_fts WHERE rowid IN (SELECT c.rowid FROM chunks c"
                " JOIN items i ON i.rowid = c.item_rowid WHERE i.id = ?)",
                (item_id,),
            )
    finally:
        conn.close()


def test_check_and_repair_reach_every_shard(both: Both) -> None:
    embedded, ray = both.embedded, both.ray
    assert ray.check().ok and embedded.check().ok
    hit = embedded.search("camping", limit=1)[0].item.id
    (n,) = [n for n, ids in ray.item_ids().items() if hit in ids]
    _break_word_index(_shard_db(ray, n), _shard_keys(ray, ray.store.keying.raw_key)[n], hit)
    _break_word_index(embedded.store.path, embedded.store.keying.raw_key, hit)
    for memory in (ray, embedded):
        report = memory.check()
        failed = [(f.name, f.problems) for f in report.findings if not f.ok]
        assert [name for name, _ in failed] == ["word index"] and not report.damaged, failed
        assert hit not in {h.item.id for h in memory.search("camping", limit=100)}
    assert f"shard {n}:" in " ".join(ray.check().lines())
    done = ray.repair()
    assert any(line.startswith("shard 0: wrote the word index") for line in done)
    assert any(line.startswith("shard 1: wrote the word index") for line in done)
    embedded.repair()
    assert ray.check().ok and embedded.check().ok
    assert _found(ray) == _found(embedded)
    assert hit in {h.item.id for h in ray.search("camping", limit=100)}


def test_index_status_and_rebuild_reach_every_shard(both: Both) -> None:
    """``lifelog index status`` and ``index rebuild``: every shard's chunks and vectors,
    counted and rebuilt where they lie, as one machine's."""
    embedded, ray = both.embedded, both.ray
    mine, theirs = ray.index_status(), embedded.index_status()
    assert (mine.chunks, mine.embedded, mine.model, mine.stale) == (
        theirs.chunks,
        theirs.embedded,
        theirs.model,
        theirs.stale,
    )
    assert mine.chunks > 1000 and mine.pending == 0
    assert ray.rebuild_index() == embedded.rebuild_index() == theirs.chunks
    assert ray.index_status() == embedded.index_status() == theirs
    assert _found(ray) == _found(embedded)


def test_a_new_key_reaches_every_shard_and_a_stopped_change_loses_nothing(both: Both) -> None:
    embedded, ray = both.embedded, both.ray
    home = ray.home
    before = _found(ray)
    assert before == _found(embedded)
    old = ray.store.keying.raw_key
    old_keys = _shard_keys(ray, old)
    dbs = [_shard_db(ray, n) for n in range(2)]
    # another process reads shard 1 (a snapshot held open): it cannot change its key
    reader = connect(dbs[1], keying=Keying(raw_key=old_keys[1]), readonly=True)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM items").fetchone()
        started = time.monotonic()
        with pytest.raises(UserError, match="shard 1") as stopped:
            ray.rekey()
        waited = time.monotonic() - started
    finally:
        reader.close()
    assert "run again" in str(stopped.value)
    assert waited < 25, waited  # the memory's rekey_wait reached the shard (not 30 s)
    assert (home / "key").read_text().strip() == old  # the owner keeps its old key ...
    pending = (home / "key.new").read_text().strip()  # ... the new one beside it
    new_keys = _shard_keys(ray, pending)
    assert _opens(dbs[0], new_keys[0]) and not _opens(dbs[0], old_keys[0])
    assert _opens(dbs[1], old_keys[1]) and not _opens(dbs[1], new_keys[1])
    ray.close()
    both.ray = ray
    # a later session opens every shard (one with each key): nothing is lost
    again = Memory.open(home)
    try:
        assert _found(again) == before and again.last_partial.complete
        again.rekey()  # finishes, with the new key file left
        assert (home / "key").read_text().strip() == pending
        assert not (home / "key.new").exists()
        for n, db in enumerate(dbs):
            assert _opens(db, new_keys[n]) and not _opens(db, old_keys[n])
        assert not _opens(again.store.path, old)
        embedded.rekey()
        assert _found(again) == _found(embedded) == before
    finally:
        again.close()
    # the CLI's check, a Ray driver of its own, opens it with the new key file alone and
    # checks the owner's store and each shard
    env = {**os.environ, "COLUMNS": "200"}
    cli = [sys.executable, "-m", "lifelog.cli", "--memory", str(home), "check"]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the memory is whole" in done.stdout
    for part in ("owner:", "shard 0:", "shard 1:"):
        assert f"word index  ok     {part}" in done.stdout, done.stdout


def test_a_passphrase_rekey_stopped_midway_is_finished_with_the_new_passphrase(
    loopback: Any, tmp_path: Path
) -> None:
    """No new key is kept on disk for a passphrase: a shard already changed says so
    (instead of opening) until the rekey is run again with the new passphrase."""
    from lifelog.distributed.choice import use_ray

    life = generate(tmp_path / "life", scale=0.05)
    home = tmp_path / "ray"
    Memory.init(home, encryption="passphrase", passphrase="old words").close()
    use_ray(home, loopback.address, shards=2, rekey_wait=REKEY_WAIT)
    memory = Memory.open(home, passphrase="old words")
    memory.ingest(life.root)
    before = _found(memory)
    memory_id = str(memory.backend["id"])
    secret = owner_secret(raw_key=None, passphrase="old words", memory_id=memory_id)
    reader = connect(
        _shard_db(memory, 1), keying=Keying(raw_key=shard_key(secret, memory_id, 1)), readonly=True
    )
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM items").fetchone()
        with pytest.raises(UserError, match="give the same new passphrase"):
            memory.rekey("new words")
    finally:
        reader.close()
        memory.close()
    stopped = Memory.open(home, passphrase="old words")
    try:
        with pytest.raises(
            PassphraseError,
            match="^shard 0 opens with neither.*Run it again with the new passphrase",
        ):
            stopped.search("camping")
    finally:
        stopped.close()
    again = Memory.open(home, passphrase="old words")
    try:
        again.rekey("new words")
    finally:
        again.close()
    with pytest.raises(PassphraseError):
        Memory.open(home, passphrase="old words")
    done = Memory.open(home, passphrase="new words")
    try:
        assert _found(done) == before and done.last_partial.complete
    finally:
        done.close()
