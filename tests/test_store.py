"""The store on real SQLCipher files: upserts, updates, deletes, migrations, encryption."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lifelog import Filters, Item, Memory, PassphraseError, UserError
from lifelog.errors import StoreError
from lifelog.records import encode_item
from lifelog.store import Store
from lifelog.store.db import LEGACY_CIPHER, Cipher, connect, create_key_file, read_key_file
from lifelog.store.migrations import MIGRATIONS


def make_item(key: str, text: str, **extra: object) -> Item:
    fields: dict[str, object] = {
        "source": "test",
        "key": key,
        "kind": "note",
        "text": text,
        "timestamp": datetime(2023, 5, 8, 12, tzinfo=UTC),
        "author": "Melanie",
    }
    fields.update(extra)
    return Item(**fields)  # type: ignore[arg-type]


def test_ids_are_stable_and_content_addressed_by_key() -> None:
    a = make_item("k1", "hello")
    b = make_item("k1", "hello changed")
    assert a.id == b.id
    assert a.content_hash != b.content_hash
    assert make_item("k2", "hello").id != a.id


def test_the_content_hash_of_a_stored_item_never_changes() -> None:
    """Golden values: a re-import compares hashes to tell an update, so a change to
    how they are computed would rewrite every item of every existing memory."""
    chat = Item(
        source="whatsapp",
        key="chat/1",
        kind="message",
        text="Let's go on Saturday \u2014 caf\u00e9?",
        timestamp=datetime(2024, 3, 12, 18, 31, tzinfo=UTC),
        author="Sam Rivera",
        participants=("Ana Lima", "Sam Rivera"),
        title="Chat with Ana",
        thread="t1",
        metadata={"n": 2, "media": None},
    )
    assert encode_item(chat) == (
        '["Ana Lima", "Sam Rivera"]',
        '{"_key": "chat/1", "media": null, "n": 2}',
        "633e87e2bf1de2f4aa4a82040cbbc5b6",
    )
    bare = Item(source="notes", key="n", kind="note", text="x")
    assert encode_item(bare) == ("[]", '{"_key": "n"}', "bd0a3236d9cde08bce6edca7b81eb2fa")
    assert encode_item(bare.with_changes(uri="file:///elsewhere"))[2] == encode_item(bare)[2]


def test_upsert_adds_skips_and_updates_exactly_the_changed_item(memory: Memory) -> None:
    store = memory.store
    items = [make_item(f"k{i}", f"we went camping at the lake {i}") for i in range(5)]
    first = store.upsert(items, origin="/x", run_id=None)
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)
    again = store.upsert(items, origin="/x", run_id=None)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    changed = [*items[:4], make_item("k4", "we went hiking in the mountains")]
    third = store.upsert(changed, origin="/x", run_id=None)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 4)
    assert memory.get(items[4].id).text == "we went hiking in the mountains"
    hits = memory.search("hiking")
    assert [h.item.id for h in hits] == [items[4].id]
    # the old text is gone from the index too
    assert items[4].id not in {h.item.id for h in memory.search("camping", limit=50)}
    assert memory.stats().items == 5


def test_the_same_record_in_a_moved_export_is_unchanged_and_repointed(memory: Memory) -> None:
    old = make_item("k1", "we went camping", uri="file:///old/export.zip/chat.txt", locator="l1")
    new = make_item("k1", "we went camping", uri="file:///new/export.zip/chat.txt", locator="l1")
    memory.store.upsert([old], origin="/old/export.zip", run_id=None)
    result = memory.store.upsert([new], origin="/new/export.zip", run_id=None)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 1)
    assert memory.get(old.id).uri == "file:///new/export.zip/chat.txt"
    assert memory.store.ids_by_origin("/new/export.zip") == [old.id]
    assert [h.item.id for h in memory.search("camping")] == [old.id]


def test_half_an_emoji_is_stored_as_a_replacement_character(memory: Memory) -> None:
    """JSON exports cut at a length limit hold lone surrogates ("\\ud83d"), which UTF-8
    (and so SQLite) cannot hold: they are mended, a split pair joined into its emoji."""
    broken = Item(
        source="telegram",
        key="chat/1",
        kind="message",
        text="see you \ud83d soon \ud83d\ude00",
        author="Ann\udc80",
        participants=("Ann\udc80", "Bob"),
        title="trip \ud83d",
        thread="chat",
        locator="message \ud83d",
        metadata={"reply": ["\ud83d"], "\udcff": 1},
    )
    first = memory.store.upsert([broken], origin=None, run_id=None)
    assert first.added == 1
    stored = memory.get(broken.id)  # the id of the record as it came
    assert stored.text == "see you \ufffd soon \U0001f600"
    assert (stored.author, stored.participants) == ("Ann\ufffd", ("Ann\ufffd", "Bob"))
    assert stored.title == "trip \ufffd" and stored.locator == "message \ufffd"
    assert stored.metadata["reply"] == ["\ufffd"] and stored.metadata["\ufffd"] == 1
    assert [h.item.id for h in memory.search("soon")] == [broken.id]
    # the same record imported again is unchanged, not updated
    again = memory.store.upsert([broken], origin=None, run_id=None)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert broken.content_hash == stored.content_hash


def test_two_writers_on_one_memory_wait_for_each_other(tmp_path: Path) -> None:
    """Two imports at once (two processes, or the server and the CLI): each upsert takes
    the write lock before it reads the next rowid. Read first, a writer that waited for
    the other's commit inserted on rowids that commit had taken (IntegrityError)."""
    with Memory.init(tmp_path / "m", encryption="none"):
        pass
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with Memory.open(tmp_path / "m") as memory:
                for batch in range(30):
                    keys = [f"{name}-{batch}-{n}" for n in range(60)]
                    items = [make_item(key, f"{name} text {key}") for key in keys]
                    memory.store.upsert(items, origin=name, run_id=None)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Memory.open(tmp_path / "m") as memory:
        assert memory.stats().items == 3 * 30 * 60
        assert memory.stats().chunks == 3 * 30 * 60
        assert len(memory.search("text", limit=10)) == 10


def test_duplicates_within_one_batch_are_stored_once(memory: Memory) -> None:
    item = make_item("same", "twice in one export")
    result = memory.store.upsert([item, item], origin=None, run_id=None)
    assert (result.added, result.unchanged) == (1, 1)


def test_forget_removes_from_store_and_index(memory: Memory) -> None:
    items = [make_item(f"k{i}", f"secret plan number {i}") for i in range(3)]
    memory.store.upsert(items, origin="/a", run_id=None)
    assert memory.forget([items[0].id]) == 1
    assert {h.item.id for h in memory.search("secret plan")} == {items[1].id, items[2].id}
    fts_rows = memory.store.conn.execute(
        "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'secret'"
    ).fetchone()[0]
    assert fts_rows == 2
    assert memory.store.conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == 2


def test_long_items_are_chunked_and_spans_cover_the_text(memory: Memory) -> None:
    text = " ".join(f"Sentence number {i} about the garden." for i in range(400))
    item = make_item("long", text + " The rare word xylophone ends it.")
    memory.store.upsert([item], origin=None, run_id=None)
    spans = memory.store.conn.execute("SELECT start, end FROM chunks ORDER BY ordinal").fetchall()
    assert len(spans) > 3
    assert spans[0][0] == 0 and spans[-1][1] == len(item.text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    hit = memory.search("xylophone")[0]
    assert "xylophone" in item.text[hit.start : hit.end]
    assert any(hit.snippet[s:e].lower() == "xylophone" for s, e in hit.marks)


def test_filters_time_source_person(memory: Memory) -> None:
    memory.store.upsert(
        [
            make_item("a", "camping trip", timestamp=datetime(2022, 6, 1, tzinfo=UTC)),
            make_item("b", "camping again", timestamp=datetime(2023, 6, 1, tzinfo=UTC)),
            make_item("c", "camping with Bob", author="Bob", participants=("Bob",)),
            make_item("d", "camping mail", source="mbox"),
        ],
        origin=None,
        run_id=None,
    )
    since = Filters(since=datetime(2023, 1, 1, tzinfo=UTC))
    assert {h.item.key for h in memory.search("camping", since)} == {"b", "c", "d"}
    until = Filters(until=datetime(2023, 1, 1, tzinfo=UTC))
    assert {h.item.key for h in memory.search("camping", until)} == {"a"}
    assert {h.item.key for h in memory.search("camping", Filters(sources=("mbox",)))} == {"d"}
    assert {h.item.key for h in memory.search("camping", Filters(people=("bob",)))} == {"c"}
    assert {h.item.key for h in memory.search("camping", Filters(people=("melanie",)))} == {
        "a",
        "b",
        "d",
    }


def test_migrations_are_recorded_once(memory: Memory) -> None:
    names = [r[0] for r in memory.store.conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]


def test_keyfile_is_private_and_database_is_encrypted(tmp_path: Path) -> None:
    home = tmp_path / "m"
    with Memory.init(home) as mem:
        mem.store.upsert([make_item("k", "plaintext-canary-4711")], origin=None, run_id=None)
    mode = stat.S_IMODE((home / "key").stat().st_mode)
    assert mode == 0o600
    header = (home / "lifelog.db").read_bytes()[:16]
    assert header != b"SQLite format 3\x00"
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(home / "lifelog.db").execute("SELECT * FROM items").fetchall()
    with Memory.open(home) as mem:
        assert mem.stats().items == 1


def test_passphrase_memory_rejects_a_wrong_passphrase(tmp_path: Path) -> None:
    home = tmp_path / "p"
    Memory.init(home, encryption="passphrase", passphrase="correct horse").close()
    assert not (home / "key").exists()
    with pytest.raises(PassphraseError):
        Memory.open(home, passphrase="wrong")
    with Memory.open(home, passphrase="correct horse") as mem:
        assert mem.stats().encryption == "passphrase"


def test_unencrypted_memory_is_plain_sqlite(tmp_path: Path) -> None:
    home = tmp_path / "n"
    with Memory.init(home, encryption="none") as mem:
        mem.store.upsert([make_item("k", "visible")], origin=None, run_id=None)
    rows = sqlite3.connect(home / "lifelog.db").execute("SELECT text FROM items").fetchall()
    assert rows == [("visible",)]


def test_new_memories_use_16k_pages_and_hmac_sha256_recorded_in_their_config(
    tmp_path: Path,
) -> None:
    home = tmp_path / "m"
    with Memory.init(home) as mem:
        mem.store.upsert([make_item("k", "sixteen")], origin=None, run_id=None)
        assert int(mem.store.conn.execute("PRAGMA page_size").fetchone()[0]) == 16384
    config = json.loads((home / "memory.json").read_text())
    cipher = config["cipher"]
    assert {k: cipher[k] for k in ("page_size", "hmac")} == {
        "page_size": 16384,
        "hmac": "HMAC_SHA256",
    }
    # and the salt and key check that tell a wrong key from damage (tests/test_integrity.py)
    assert len(cipher["salt"]) == 32 and len(cipher["key_check"]) == 32
    key = read_key_file(home / "key")
    with pytest.raises(PassphraseError):  # the settings are part of reading the file
        connect(home / "lifelog.db", raw_key=key, cipher=LEGACY_CIPHER)
    plain = tmp_path / "plain"
    with Memory.init(plain, encryption="none"):
        pass
    assert sqlite3.connect(plain / "lifelog.db").execute("PRAGMA page_size").fetchone()[0] == 16384


def test_a_memory_made_before_cipher_settings_opens_with_sqlciphers_defaults(
    tmp_path: Path,
) -> None:
    home = tmp_path / "old"
    home.mkdir()
    key = create_key_file(home / "key")
    store = Store.open(home / "lifelog.db", raw_key=key, cipher=LEGACY_CIPHER)
    store.upsert([make_item("k", "made in 2026")], origin=None, run_id=None)
    store.close()
    (home / "memory.json").write_text('{"version": 1, "encryption": "keyfile", "settings": {}}')
    with Memory.open(home) as mem:
        assert int(mem.store.conn.execute("PRAGMA page_size").fetchone()[0]) == 4096
        assert mem.search("2026")[0].item.text == "made in 2026"
        mem.store.upsert([make_item("k2", "added later")], origin=None, run_id=None)
    # its settings (SQLCipher's defaults) are written down, with its key check
    cipher = json.loads((home / "memory.json").read_text())["cipher"]
    assert (cipher["page_size"], cipher["hmac"]) == (4096, "HMAC_SHA512") and cipher["key_check"]
    with Memory.open(home) as mem:
        assert int(mem.store.conn.execute("PRAGMA page_size").fetchone()[0]) == 4096


def test_cipher_settings_are_checked() -> None:
    assert Cipher.from_json({"page_size": 8192}) == Cipher(8192, "HMAC_SHA512")
    for bad in ({"page_size": 1000}, {"hmac": "MD5"}, {"page_size": 1 << 20}):
        with pytest.raises(StoreError):
            Cipher.from_json(bad)


def test_open_missing_memory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="lifelog init"):
        Memory.open(tmp_path / "nothing")


def test_get_by_unique_prefix(memory: Memory) -> None:
    item = make_item("k", "text")
    memory.store.upsert([item], origin=None, run_id=None)
    assert memory.get(item.id[:8]).id == item.id
