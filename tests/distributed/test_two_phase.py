"""Two-phase retrieval without a cluster: shards in this process, ranked by the owner
with the whole memory's statistics, give the embedded backend's hits in its order."""

from __future__ import annotations

from typing import Any

from lifelog import Memory
from lifelog.distributed.corpus import retrieve_sharded
from lifelog.distributed.plan import merge_hits
from lifelog.distributed.shard import Shard
from lifelog.index.bm25 import collection, idf, phrase_docs, score_rows
from lifelog.index.lexical import fts_match, parse_or
from lifelog.index.text import content_terms
from lifelog.retrieval.filters import Filters
from lifelog.samplelife import SampleLife


def _ask(held: list[Shard]) -> Any:
    def ask(method: str, *args: Any, shards: list[int] | None = None) -> dict[int, Any]:
        wanted = range(len(held)) if shards is None else shards
        return {n: getattr(held[n], method)(*args) for n in wanted}

    return ask


def test_python_bm25_is_fts5s_bit_for_bit(sharded: tuple[SampleLife, Memory, list[Shard]]) -> None:
    life, embedded, _ = sharded
    store = embedded.store
    whole = collection(store)
    for fact in life.facts:
        match = fts_match(content_terms(fact.question))
        parts = parse_or(match) or []
        idfs = [idf(d, whole.rows) for d in phrase_docs(store, [p.match for p in parts])]
        with store.lock:
            rows = store.conn.execute(
                "SELECT rowid, bm25(chunks_fts, 1.0, 0.6, 0.4) FROM chunks_fts"
                " WHERE chunks_fts MATCH ?",
                (match,),
            ).fetchall()
        mine = score_rows(
            store, [(p.text, p.prefix) for p in parts], idfs, whole.avgdl, [r[0] for r in rows]
        )
        assert rows and all(mine[rowid] == -value for rowid, value in rows), fact.question


def test_shards_give_the_embedded_hits_in_order(
    sharded: tuple[SampleLife, Memory, list[Shard]],
) -> None:
    life, embedded, shards = sharded
    assert all(s.stats().items for s in shards), "both shards hold items"
    embedder = embedded.embedder()
    for fact in life.facts:
        theirs = [h.item.id for h in embedded.retrieve(fact.question)]
        mine = [h.item.id for h in retrieve_sharded(_ask(shards), embedder, fact.question)]
        assert mine == theirs, fact.question
        words = [h.item.id for h in embedded.retrieve(fact.question, mode="lexical")]
        lexical = retrieve_sharded(_ask(shards), None, fact.question, mode="lexical")
        assert [h.item.id for h in lexical] == words, fact.question


def test_each_shard_ranking_alone_does_not(
    sharded: tuple[SampleLife, Memory, list[Shard]],
) -> None:
    """Why two phases: merged by score, each shard's own ranking differs (the old way)."""
    life, embedded, shards = sharded
    same = 0
    for fact in life.facts:
        merged = merge_hits(
            {
                n: s.retrieve(fact.question, Filters(), None, 10, "hybrid")
                for n, s in enumerate(shards)
            },
            10,
        )
        theirs = embedded.retrieve(fact.question)
        same += [h.item.id for h in merged] == [h.item.id for h in theirs]
    assert same < len(life.facts)


def test_keys_carry_their_shard() -> None:
    from lifelog.distributed.corpus import key_of, split

    assert split(key_of(3, 123_456)) == (3, 123_456)
    assert key_of(0, 1) != key_of(1, 0)


def test_a_last_or_first_time_question_is_ordered_as_one_store_orders_it(
    sharded: tuple[SampleLife, Memory, list[Shard]],
) -> None:
    """The shards' newest (or oldest) items with a person, merged by date, are the
    embedded backend's (:mod:`lifelog.retrieval.ordered`)."""
    _life, embedded, shards = sharded
    embedder = embedded.embedder()
    for question in (
        "When did I last talk to Priya?",
        "When did I first talk to Priya?",
        "What was the last email from Dev about?",
        "When did I last go to Lisbon?",
    ):
        theirs = [h.item.id for h in embedded.retrieve(question)]
        mine = [h.item.id for h in retrieve_sharded(_ask(shards), embedder, question)]
        assert theirs and mine == theirs, question
