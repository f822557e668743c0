"""The pure parts of the distributed backend: placement, merging, shard keys (no Ray)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidTag

from lifelog.distributed.keys import Unwrapper, owner_secret, shard_key, wrap_key
from lifelog.distributed.plan import Partial, ShardFile, merge_hits, merge_items, place_files
from lifelog.records import Hit, Item


def _item(n: int, day: int = 1) -> Item:
    return Item(
        id=f"id{n:03d}",
        key=f"k{n}",
        source="notes",
        kind="note",
        timestamp=datetime(2024, 1, day, tzinfo=UTC),
        text=f"text {n}",
    )


def _hit(n: int, score: float) -> Hit:
    return Hit(_item(n), score, 0, 4, "text")


def test_files_are_placed_largest_first_on_the_emptiest_shard() -> None:
    files = [ShardFile("a", 100), ShardFile("b", 60), ShardFile("c", 50), ShardFile("d", 5)]
    assert place_files(files, 2) == {0: ["a", "d"], 1: ["b", "c"]}
    # the same files always land on the same shards, read in the order given
    assert place_files(list(reversed(files)), 2) == {0: ["d", "a"], 1: ["c", "b"]}


def test_a_file_a_shard_holds_stays_there() -> None:
    files = [ShardFile("a", 100), ShardFile("b", 60), ShardFile("new", 10)]
    placed = place_files(files, 2, held={"a": 1, "b": 1}, loads=[0, 160])
    assert placed == {0: ["new"], 1: ["a", "b"]}


def test_merged_hits_are_best_first_one_per_item_whatever_the_shard_order() -> None:
    one = [_hit(1, 3.0), _hit(2, 1.0)]
    two = [_hit(3, 2.0), _hit(1, 0.5)]  # item 1 held twice (two overlapping exports)
    merged = merge_hits({0: one, 1: two}, 10)
    assert [h.item.id for h in merged] == ["id001", "id003", "id002"]
    assert merge_hits({1: two, 0: one}, 10) == merged
    assert len(merge_hits({0: one, 1: two}, 2)) == 2
    # equal scores keep each shard's order, shard by shard
    ties = {1: [_hit(9, 1.0), _hit(4, 1.0)], 0: [_hit(7, 1.0), _hit(5, 1.0)]}
    assert [h.item.id for h in merge_hits(ties, 10)] == ["id007", "id005", "id009", "id004"]


def test_merged_timeline_is_in_time_order() -> None:
    items = merge_items([[_item(1, 3), _item(2, 5)], [_item(3, 4), _item(1, 3)]], 10)
    assert [i.id for i in items] == ["id001", "id003", "id002"]
    assert [i.id for i in merge_items([[_item(1, 3), _item(2, 5)]], 1, offset=1)] == ["id002"]


def test_a_partial_result_names_the_missing_shards() -> None:
    assert Partial(3).complete and Partial(3).notice() == ""
    notice = Partial(3, (2,), ("shard 2 is unavailable",)).notice()
    assert notice.startswith("partial result: 1 of 3 shards did not answer (shard 2)")
    assert "missing from these results" in notice


def test_each_shard_has_its_own_key_and_a_key_opens_only_for_its_recipient() -> None:
    secret = owner_secret(raw_key="ab" * 32, passphrase=None, memory_id="m1")
    keys = {shard_key(secret, "m1", n) for n in range(4)}
    assert len(keys) == 4 and all(len(k) == 64 for k in keys)
    assert shard_key(secret, "m2", 0) not in keys  # another memory, other keys
    node, stranger = Unwrapper(), Unwrapper()
    wrapped = wrap_key(shard_key(secret, "m1", 0), node.public, 0)
    assert node.unwrap(wrapped) == shard_key(secret, "m1", 0)
    assert shard_key(secret, "m1", 0) not in repr(wrapped)
    assert bytes.fromhex(shard_key(secret, "m1", 0)) not in wrapped.sealed
    with pytest.raises(InvalidTag):
        stranger.unwrap(wrapped)
    forged = type(wrapped)(1, wrapped.ephemeral, wrapped.nonce, wrapped.sealed)
    with pytest.raises(InvalidTag):  # a key sealed for shard 0 does not open as shard 1's
        node.unwrap(forged)


def test_a_passphrase_memory_derives_its_shard_keys_from_the_passphrase() -> None:
    one = owner_secret(raw_key=None, passphrase="correct horse", memory_id="m1")
    assert one == owner_secret(raw_key=None, passphrase="correct horse", memory_id="m1")
    assert one != owner_secret(raw_key=None, passphrase="correct horse", memory_id="m2")
    with pytest.raises(ValueError, match="must be encrypted"):
        owner_secret(raw_key=None, passphrase=None, memory_id="m1")
