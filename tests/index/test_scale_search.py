"""Search that scales: the approximate vector index, the word query plan, the generator.

Real encrypted stores and the real static model, on a few thousand generated items; the
thresholds that switch a large memory to the approximate index and the planned word
search are lowered so that a small memory takes those paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from lifelog import Memory
from lifelog.index import ann, lexical, vectors
from lifelog.index.vectors import search_vectors
from lifelog.models.embeddings import StaticEmbedder
from lifelog.retrieval.filters import Filters
from lifelog.samplelife.scale import BLOCK, lifetime, planted_facts

COUNT = 4000
QUERIES = (
    "planting tomatoes and basil in the garden",
    "the flight and the hotel for the holiday",
    "a meeting with the client about the budget",
    "training for the marathon, my knee hurts",
    "the new album and the concert tickets",
    "the dentist appointment at the clinic",
    "the rent and the landlord of the apartment",
    "a puppy from the shelter, the vet said",
    "mortgage savings and taxes",
    "the storm and the rain forecast",
)


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory, static: StaticEmbedder) -> Iterator[Memory]:
    folder = tmp_path_factory.mktemp("scale") / "memory"
    with Memory.init(folder) as memory:
        memory.store.upsert(lifetime(COUNT), origin="lifetime", run_id=None)
        memory.embed_pending()
        yield memory


@pytest.fixture
def approximate(monkeypatch: pytest.MonkeyPatch, life: Memory) -> Iterator[ann.AnnIndex]:
    """The approximate index on for the small memory (and its lists few, as for a small one)."""
    monkeypatch.setattr(ann, "ANN_MIN", 1000)
    embedder = life.embedder()
    assert embedder is not None
    built = ann.ann_index(life.store, embedder.name)
    assert built is not None
    yield built


def exact(memory: Memory, query: str, filters: Filters | None = None) -> list[tuple[int, float]]:
    embedder = memory.embedder()
    assert embedder is not None
    saved = ann.ANN_MIN
    ann.ANN_MIN = 10**12
    try:
        return search_vectors(memory.store, embedder, query, filters, 10)
    finally:
        ann.ANN_MIN = saved


def recall(found: list[tuple[int, float]], truth: list[tuple[int, float]]) -> float:
    """Share of ``found`` as close as the exact tenth (ties count: the generated texts repeat)."""
    if not truth:
        return 1.0
    return sum(score >= truth[-1][1] - 1e-4 for _rowid, score in found) / len(truth)


def test_the_approximate_index_finds_the_exact_top_10(
    life: Memory, approximate: ann.AnnIndex
) -> None:
    embedder = life.embedder()
    assert embedder is not None
    shares = []
    for query in QUERIES:
        found = search_vectors(life.store, embedder, query, None, 10)
        truth = exact(life, query)
        assert len(found) == 10
        # the returned cosines are exact: the same chunk scores the same either way
        same = dict(truth)
        for rowid, score in found:
            if rowid in same:
                assert score == pytest.approx(same[rowid], abs=1e-5)
        shares.append(recall(found, truth))
    assert np.mean(shares) >= 0.9


def test_quantized_codes_round_trip_close_to_the_vectors(
    life: Memory, approximate: ann.AnnIndex
) -> None:
    model_id, dims, _version = ann._state(life.store, approximate.model) or (0, 0, 0)
    ids, rows = ann.read_vectors(life.store, model_id, dims, 0, 200)
    prepared = approximate.prepare(rows)
    codes = approximate.index.sa_encode(prepared)
    assert codes.shape[1] < dims  # 4 bits a dimension and the list number, not 4 bytes each
    decoded = approximate.index.sa_decode(codes)
    cosines = np.sum(decoded * prepared, axis=1) / np.linalg.norm(decoded, axis=1)
    assert cosines.min() > 0.95
    # kept in the store and loaded again, it answers the same
    ann.save_index(life.store, approximate)
    loaded = ann.load_index(life.store, approximate.model)
    assert loaded is not None
    assert np.array_equal(loaded.ids, approximate.ids)
    query = approximate.prepare(rows[:1])[0]
    assert np.array_equal(loaded.search(query, 20), approximate.search(query, 20))


def test_the_index_is_encrypted_at_rest(life: Memory, approximate: ann.AnnIndex) -> None:
    ann.save_index(life.store, approximate)
    life.store.checkpoint()
    serialized = bytes(ann._faiss().serialize_index(approximate.index)[:64])
    fact = planted_facts(COUNT)[0] if planted_facts(COUNT) else None
    text = next(life.store.iter_items(limit=1)).text
    folder = life.store.path.parent
    names = sorted(p.name for p in folder.iterdir())
    assert all(n.startswith(("lifelog.db", "key", "memory.json")) for n in names), names
    for path in folder.iterdir():
        data = path.read_bytes()
        assert serialized[:16] not in data  # the index's header (fourcc, sizes) is nowhere
        assert text.encode() not in data
        if fact is not None:
            assert fact.needle.encode() not in data
    stored = life.store.conn.execute("SELECT count(*) FROM ann_index").fetchone()[0]
    assert stored >= 4  # it is kept, inside the encrypted store


def test_forgotten_chunks_leave_the_index_and_its_saved_copy(
    tmp_path: Path, static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "ANN_MIN", 1000)
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(lifetime(3000), origin="lifetime", run_id=None)
        memory.embed_pending()
        embedder = memory.embedder()
        assert embedder is not None
        query = QUERIES[0]
        before = search_vectors(memory.store, embedder, query, None, 10)
        best = before[0][0]
        item_id = memory.store.conn.execute(
            "SELECT i.id FROM chunks c JOIN items i ON i.rowid = c.item_rowid WHERE c.rowid = ?",
            (best,),
        ).fetchone()[0]
        assert memory.forget([item_id]) == 1
        after = search_vectors(memory.store, embedder, query, None, 10)
        assert best not in [rowid for rowid, _ in after]
        kept = ann.load_index(memory.store, embedder.name)
        assert kept is not None and best not in set(kept.ids.tolist())
        # another process's copy (loaded before the forget) never returns it either
        held = ann.ann_index(memory.store, embedder.name)
        assert held is not None and best not in set(held.ids.tolist())


def test_new_vectors_join_the_index(
    tmp_path: Path, static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "ANN_MIN", 1000)
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(lifetime(2000), origin="lifetime", run_id=None)
        memory.embed_pending()
        embedder = memory.embedder()
        assert embedder is not None
        first = ann.ann_index(memory.store, embedder.name)
        assert first is not None and first.count == 2000
        from lifelog.records import Item

        memory.store.upsert(
            [Item(source="notes", key="new", kind="note", text="Zebra crossing near the bakery")],
            origin=None,
            run_id=None,
        )
        memory.embed_pending()
        found = search_vectors(memory.store, embedder, "zebra crossing bakery", None, 3)
        newest = memory.store.conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0]
        assert found[0][0] == newest


@pytest.mark.parametrize(
    "filters",
    [
        Filters(sources=("calendar",)),
        Filters(since=datetime(2010, 1, 1, tzinfo=UTC), until=datetime(2011, 1, 1, tzinfo=UTC)),
        Filters(sources=("mail",), since=datetime(2020, 1, 1, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("few", [True, False])
def test_filters_hold_through_the_approximate_index(
    life: Memory,
    approximate: ann.AnnIndex,
    filters: Filters,
    few: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both ways a filter is applied: the chunks it allows read at once through the
    store's indexes (few), or the best candidates checked one by one (many)."""
    monkeypatch.setattr(vectors, "FEW_ITEMS", 10**9 if few else -1)
    embedder = life.embedder()
    assert embedder is not None
    where, params = filters.sql("i")
    allowed = {
        r[0]
        for r in life.store.conn.execute(
            f"SELECT c.rowid FROM chunks c JOIN items i ON i.rowid = c.item_rowid WHERE {where}",
            params,
        )
    }
    shares = []
    for query in QUERIES:
        found = search_vectors(life.store, embedder, query, filters, 10)
        assert found and all(rowid in allowed for rowid, _ in found)
        shares.append(recall(found, exact(life, query, filters)))
    assert np.mean(shares) >= 0.8


# -- words -------------------------------------------------------------------------------


def test_or_queries_parse_back_to_their_parts() -> None:
    match = '"sam" OR "talk"* OR "say ""hi"""'
    parts = lexical.parse_or(match)
    assert parts == [
        lexical.QueryPart("sam"),
        lexical.QueryPart("talk", prefix=True),
        lexical.QueryPart('say "hi"'),
    ]
    assert " OR ".join(p.match for p in parts) == match
    assert lexical.parse_or('"a" AND "b"') is None
    assert lexical.parse_or("{body}: x") is None


def test_only_frequent_words_still_find_chunks_holding_them(
    life: Memory, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = life.store.conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0]
    monkeypatch.setattr(lexical, "BUDGET", 200)
    lexical._DF_CACHE.pop(life.store, None)
    # the owner's name is in every chunk's people: far over the budget
    assert lexical.estimated_docs(life.store, lexical.QueryPart("sam"), top) > 1000
    found = lexical.bm25_chunks(life.store, '"rivera" OR "thanks"', Filters(), 10)
    assert len(found) == 10
    holding = {
        r[0]
        for r in life.store.conn.execute(
            "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'rivera AND thanks'"
        )
    }
    assert {rowid for rowid, _ in found} <= holding  # those holding both come first


def test_frequent_words_are_scored_without_fts5s_bm25(
    life: Memory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FTS5's bm25() counts each phrase's rows over the whole index on every query: the
    plan for frequent words scores the recent rows itself, with bm25's formula (FTS5's
    own for the rows it is given, but for counting a word once per column)."""
    from lifelog.index.bm25 import collection, idf, score_rows

    monkeypatch.setattr(lexical, "BUDGET", 200)
    monkeypatch.setattr(lexical, "FREQUENT_BUDGET", 200)
    lexical._DF_CACHE.pop(life.store, None)

    def refused(*_args: object, **_kwargs: object) -> list[tuple[int, float]]:
        raise AssertionError("FTS5's bm25() was asked")

    monkeypatch.setattr(lexical, "_fts_bm25", refused)
    found = lexical.bm25_chunks(life.store, '"rivera" OR "thanks"', Filters(), 10)
    assert len(found) == 10
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    # a row whose words each occur once in one column scores as FTS5 would score it
    top = life.store.conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0]
    parts = [lexical.QueryPart("rivera"), lexical.QueryPart("thanks")]
    docs = [lexical.estimated_docs(life.store, part, top) for part in parts]
    whole = collection(life.store)
    idfs = [idf(d, whole.rows) for d in docs]
    exact = score_rows(
        life.store, [("rivera", False), ("thanks", False)], idfs, whole.avgdl, [found[0][0]]
    )
    assert found[0][1] <= exact[found[0][0]] + 1e-9  # once per column: at most FTS5's


def test_a_rare_word_is_found_under_the_plan(
    tmp_path: Path, static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifelog.records import Item

    with Memory.init(tmp_path / "memory") as memory:
        # the rare word is in the first chunk, far from the recent chunks whose counts
        # estimate how frequent a word is: none there means rare, not absent
        memory.store.upsert(
            [Item(source="notes", key="k", kind="note", text="Sam saw a zebrafinch today")],
            origin=None,
            run_id=None,
        )
        memory.store.upsert(lifetime(3000), origin="lifetime", run_id=None)
        monkeypatch.setattr(lexical, "BUDGET", 300)
        monkeypatch.setattr(lexical, "WINDOW", 500)
        found = lexical.bm25_chunks(memory.store, '"sam" OR "zebrafinch"', Filters(), 5)
        assert found[0][0] == 1
        # the frequent word added its weight to the candidate holding it
        alone = lexical.bm25_chunks(memory.store, '"zebrafinch"', Filters(), 5)
        assert found[0][1] > alone[0][1]
        # under the budget nothing changes: the same rows and scores as FTS5 alone
        monkeypatch.setattr(lexical, "BUDGET", 10**9)
        assert lexical.bm25_chunks(memory.store, '"sam" OR "zebrafinch"', Filters(), 5) == (
            lexical._bm25(memory.store, '"sam" OR "zebrafinch"', Filters(), 5)
        )


# -- the generator -------------------------------------------------------------------------


def test_the_lifetime_generator_is_deterministic_and_plants_its_facts() -> None:
    first = list(islice(lifetime(50_000), 300))
    again = list(islice(lifetime(50_000), 300))
    assert [(i.id, i.text) for i in first] == [(i.id, i.text) for i in again]
    # a block is made without the ones before it
    later = list(islice(lifetime(50_000, start=BLOCK), 5))
    whole = list(islice(lifetime(50_000), BLOCK, BLOCK + 5))
    assert [i.id for i in later] == [i.id for i in whole]
    facts = planted_facts(50_000)
    assert len(facts) == 120
    by_id = {i.id: i for i in lifetime(50_000) if i.source == "notes" and i.title}
    for fact in facts:
        assert fact.needle in by_id[fact.item_id].text
    assert len({f.question for f in facts}) == len(facts)
    sources = {i.source for i in first}
    assert {"whatsapp", "mail"} <= sources


@pytest.mark.slow
def test_a_life_of_100k_chunks_keeps_recall_and_its_facts(
    tmp_path: Path, static: StaticEmbedder
) -> None:
    """The approximate index and the word plan on the benchmark's smallest life (minutes)."""
    from lifelog.bench.scale_build import build

    count = 100_000
    build(tmp_path / "memory", count, quiet=True)
    with Memory.open(tmp_path / "memory") as memory:
        embedder = memory.embedder()
        assert embedder is not None
        assert ann.needs_ann(memory.store)
        shares = [
            recall(search_vectors(memory.store, embedder, q, None, 10), exact(memory, q))
            for q in QUERIES
        ]
        assert np.mean(shares) >= 0.85
        found = 0
        facts = planted_facts(count)
        for fact in facts:
            hits = memory.retrieve(fact.question, now=datetime(2026, 1, 1, tzinfo=UTC))
            found += any(hit.item.id == fact.item_id for hit in hits)
        assert found >= 0.9 * len(facts)
