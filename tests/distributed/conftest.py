"""Shards without a cluster: the sample life ingested once into an embedded memory and,
file by file as the cluster would place them, into two shards held in this process."""

from __future__ import annotations

import pytest

from lifelog import Memory
from lifelog.distributed.keys import shard_key, wrap_key
from lifelog.distributed.plan import ShardFile, place_files
from lifelog.distributed.shard import Shard
from lifelog.ingest import plan
from lifelog.samplelife import SampleLife, generate

SECRET = b"s" * 32


@pytest.fixture(scope="session")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleLife, Memory, list[Shard]]:
    """The sample life (scale 0.3) in one embedded memory, and the same files in two
    shards. Tests that change them work on copies."""
    tmp = tmp_path_factory.mktemp("two-phase")
    life = generate(tmp / "life", scale=0.3)
    embedded = Memory.init(tmp / "embedded")
    embedded.ingest(life.root)
    units, _ = plan([life.root])
    placed = place_files([ShardFile(str(u.path), u.size) for u in units], 2)
    shards = []
    for n in range(2):
        shard = Shard("parity", n, str(tmp / "shards"))
        shard.unlock(wrap_key(shard_key(SECRET, "parity", n), shard.public_key(), n), {})
        shard.ingest(placed.get(n, []), False, True, False)
        shards.append(shard)
    return life, embedded, shards
