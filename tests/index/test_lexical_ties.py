"""Equal bm25 scores past the cut: the same chunks, in the same order, however deep.

Repeated texts (a chat's "see you at the climbing gym", a generated life's templates)
give thousands of chunks the same score. :func:`lifelog.index.lexical.best_of` orders
only those that can make the cut: a tie group larger than ``TIE_IN_SQL`` is ordered by
SQLite; smaller ones, and every chunk scoring better, in Python. Both must give the
order :func:`~lifelog.index.lexical.chunk_keys` defines: older first, then the item's id.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lifelog import Item, Memory
from lifelog.index import lexical
from lifelog.retrieval.filters import Filters

SAME = "see you at the climbing gym tonight"
START = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    folder: Path = tmp_path_factory.mktemp("ties") / "memory"
    days = list(range(900))
    random.Random(5).shuffle(days)  # stored in another order than their time
    items = [
        Item(
            source="chat",
            key=f"m{n}",
            kind="message",
            text=SAME,
            timestamp=START + timedelta(days=d),
        )
        for n, d in enumerate(days)
    ]
    items.append(Item(source="chat", key="undated", kind="message", text=SAME, timestamp=None))
    items.append(
        Item(
            source="chat",
            key="best",
            kind="message",
            text="the climbing gym locker code is 4417, climbing gym by the river",
            timestamp=START + timedelta(days=2000),
        )
    )
    with Memory.init(folder, encryption="none") as opened:
        opened.store.upsert(items, origin="ties", run_id=None)
        yield opened


def expected(memory: Memory, match: str, limit: int) -> list[int]:
    """The order by definition: every match scored, then score, then chunk_keys."""
    found = lexical._fts_bm25(memory.store, match, Filters(), None)
    keys = lexical.chunk_keys(memory.store, [rowid for rowid, _ in found])
    ordered = sorted(found, key=lambda pair: (-pair[1], keys[pair[0]]))
    return [rowid for rowid, _ in ordered[:limit]]


@pytest.mark.parametrize("limit", [1, 10, 50])
@pytest.mark.parametrize("in_sql", [True, False])
def test_a_large_tie_group_in_key_order(
    memory: Memory, monkeypatch: pytest.MonkeyPatch, limit: int, in_sql: bool
) -> None:
    monkeypatch.setattr(lexical, "TIE_IN_SQL", 0 if in_sql else 10**9)
    match = lexical.fts_match(["climbing", "gym"])
    got = [rowid for rowid, _ in lexical.bm25_chunks(memory.store, match, Filters(), limit)]
    assert got == expected(memory, match, limit)
    # the best chunk first; then the oldest of the 901 that tie (the undated one last)
    keys = lexical.chunk_keys(memory.store, got)
    assert keys[got[0]][0] == (START + timedelta(days=2000)).timestamp()
    if limit > 1:
        assert keys[got[1]][0] == START.timestamp()
        assert [keys[r][0] for r in got[1:]] == sorted(keys[r][0] for r in got[1:])


def test_one_more_pass_at_most(memory: Memory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tie runs past the first read: one pass more reads all of it, not one per ×4."""
    calls: list[int | None] = []
    real = lexical._fts_bm25

    def counted(*args: object, **kwargs: object) -> list[tuple[int, float]]:
        calls.append(args[3])  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lexical, "_fts_bm25", counted)
    lexical.bm25_chunks(memory.store, lexical.fts_match(["climbing", "gym"]), Filters(), 10)
    assert len(calls) == 2
