"""The vector index on real encrypted stores with the real static model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from lifelog import Memory
from lifelog.index import embedding, vectors
from lifelog.index.vectors import EmbedProgress, search_vectors, vector_status
from lifelog.models.embeddings import StaticEmbedder
from lifelog.records import Item
from lifelog.retrieval.filters import Filters

DAY0 = datetime(2023, 1, 1, 12, tzinfo=UTC)

TEXTS = {
    "puppy": "We adopted a puppy from the shelter on Saturday.",
    "tax": "The quarterly tax return is due next month.",
    "flight": "My flight to Lisbon lands at noon.",
    "bread": "I baked sourdough bread this morning.",
    "football": "The kids played football in the park.",
    "surgery": "Grandma is recovering well after her hip surgery.",
    "flat": "Our new apartment has a balcony facing the river.",
}


def item(key: str, text: str, *, source: str = "notes", day: int = 0, **extra: object) -> Item:
    return Item(
        source=source,
        key=key,
        kind="note" if source == "notes" else "message",
        text=text,
        timestamp=DAY0 + timedelta(days=day),
        **extra,  # type: ignore[arg-type]
    )


class Renamed:
    """The real static model under another name: to the index, another model."""

    def __init__(self, inner: StaticEmbedder, name: str) -> None:
        self.inner, self.name, self.dims = inner, name, inner.dims

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed(texts)


@pytest.fixture
def memory(tmp_path: Path, static: StaticEmbedder) -> Iterator[Memory]:
    with Memory.init(tmp_path / "memory") as mem:
        mem.store.upsert(
            [item(k, t, day=i) for i, (k, t) in enumerate(TEXTS.items())],
            origin=None,
            run_id=None,
        )
        yield mem


def item_of(memory: Memory, chunk_rowid: int) -> str:
    row = memory.store.conn.execute(
        "SELECT item_text(i.text) FROM chunks c JOIN items i"
        " ON i.rowid = c.item_rowid WHERE c.rowid = ?",
        (chunk_rowid,),
    ).fetchone()
    return str(row[0])


def vector_rows(memory: Memory) -> int:
    return int(memory.store.conn.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0])


def test_embedding_is_complete_idempotent_and_stored_as_float16(
    memory: Memory, static: StaticEmbedder
) -> None:
    assert memory.embed_pending() == len(TEXTS)
    assert memory.embed_pending() == 0
    state = memory.index_status()
    assert (state.chunks, state.embedded, state.pending, state.model) == (
        len(TEXTS),
        len(TEXTS),
        0,
        static.name,
    )
    blob = memory.store.conn.execute("SELECT vector FROM chunk_vectors LIMIT 1").fetchone()[0]
    assert len(blob) == static.dims * 2
    stored = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    assert abs(float(np.linalg.norm(stored)) - 1.0) < 1e-2


def test_search_finds_related_text_that_shares_no_word_with_the_query(
    memory: Memory, static: StaticEmbedder
) -> None:
    memory.embed_pending()
    for query, key in (("hospital operation", "surgery"), ("airplane trip", "flight")):
        results = search_vectors(memory.store, static, query, None, 3)
        assert item_of(memory, results[0][0]) == TEXTS[key]
        assert not set(query.split()) & set(TEXTS[key].lower().split())
        assert results[0][1] > results[1][1] > 0
        assert [s for _, s in results] == sorted((s for _, s in results), reverse=True)
    assert search_vectors(memory.store, static, "   ", None, 3) == []


def test_forgetting_an_item_removes_its_vectors_from_store_and_search(
    memory: Memory, static: StaticEmbedder
) -> None:
    memory.embed_pending()
    first = search_vectors(memory.store, static, "hospital operation", None, 1)[0][0]
    surgery_id = item("surgery", TEXTS["surgery"], day=list(TEXTS).index("surgery")).id
    assert memory.forget([surgery_id]) == 1
    assert vector_rows(memory) == len(TEXTS) - 1
    after = search_vectors(memory.store, static, "hospital operation", None, 10)
    assert first not in [rowid for rowid, _ in after]
    assert len(after) == len(TEXTS) - 1


def test_a_changed_item_gets_a_new_vector(memory: Memory, static: StaticEmbedder) -> None:
    memory.embed_pending()
    changed = item("bread", "The cat knocked the vase off the shelf.", day=3)
    result = memory.store.upsert([changed], origin=None, run_id=None)
    assert result.updated == 1
    assert vector_status(memory.store, static.name).pending == 1
    assert memory.embed_pending() == 1
    top = search_vectors(memory.store, static, "kitten broke a pot", None, 1)[0][0]
    assert item_of(memory, top) == changed.text


def test_changing_the_model_re_embeds_everything(memory: Memory, static: StaticEmbedder) -> None:
    memory.embed_pending()
    other = Renamed(static, "static:another-model")
    assert vector_status(memory.store, other.name).pending == len(TEXTS)
    assert search_vectors(memory.store, other, "airplane trip", None, 3) == []
    assert embedding.embed_pending(memory.store, other) == len(TEXTS)
    state = vector_status(memory.store)
    assert (state.model, state.embedded, state.stale) == (other.name, len(TEXTS), 0)
    assert search_vectors(memory.store, static, "airplane trip", None, 3) == []
    assert search_vectors(memory.store, other, "airplane trip", None, 3)
    assert vector_rows(memory) == len(TEXTS)


class StopAfterFirstBatch(EmbedProgress):
    def advance(self, chunks: int) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_run_keeps_nothing_half_done_and_resumes(
    tmp_path: Path, static: StaticEmbedder
) -> None:
    with Memory.init(tmp_path / "m") as memory:
        items = [item(f"n{i}", f"note number {i} about topic {i % 7}") for i in range(50)]
        memory.store.upsert(items, origin=None, run_id=None)
        with pytest.raises(KeyboardInterrupt):
            memory.embed_pending(StopAfterFirstBatch(), batch=8)
        kept = vector_rows(memory)
        assert kept in (0, 8)  # the batch in flight is written whole or not at all
        assert memory.embed_pending(batch=8) == 50 - kept
        assert vector_rows(memory) == 50


def test_a_chunk_replaced_while_embedding_does_not_get_the_old_vector(
    memory: Memory, static: StaticEmbedder
) -> None:
    model_id = embedding._model_id(memory.store, static.name, static.dims)
    spans = next(embedding._pending_batches(memory.store, model_id, 100))
    old_texts = embedding._texts(memory.store, spans)
    last = spans[-1]
    # the last item goes, and a new one takes the same chunk rowid
    memory.forget([item("flat", TEXTS["flat"]).id])
    memory.store.upsert([item("new", "A different text.")], origin=None, run_id=None)
    assert memory.store.conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0] == last[0]
    written = embedding._write(memory.store, model_id, [(spans, static.embed(old_texts))])
    assert written == len(spans) - 1
    assert vector_status(memory.store, static.name).pending == 1


@pytest.mark.parametrize("pools", [vectors.POOLS, ((20, 2), (60, 4))])
def test_filters_are_honoured_both_for_broad_and_narrow_filters(
    tmp_path: Path,
    static: StaticEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    pools: tuple[tuple[int, int], ...],
) -> None:
    # small pools make the narrow filters go through every stage, down to the full scan
    monkeypatch.setattr(vectors, "POOLS", pools)
    with Memory.init(tmp_path / "m") as memory:
        filler = [
            item(f"f{i}", f"{TEXTS['flight']} Seat {i}.", source="whatsapp", day=i % 300)
            for i in range(400)
        ]
        rare = [
            item("mail-flight", "Boarding pass for the plane to Porto.", source="mbox", day=10),
            item("mail-old", "Your airline ticket to Rome.", source="mbox", day=400),
        ]
        memory.store.upsert([*filler, *rare], origin=None, run_id=None)
        memory.embed_pending()
        mail = search_vectors(memory.store, static, "airplane trip", Filters(sources=("mbox",)), 5)
        assert sorted(item_of(memory, r) for r, _ in mail) == sorted(i.text for i in rare)
        dated = search_vectors(
            memory.store,
            static,
            "airplane trip",
            Filters(sources=("mbox",), until=DAY0 + timedelta(days=100)),
            5,
        )
        assert [item_of(memory, r) for r, _ in dated] == [rare[0].text]
        broad = search_vectors(
            memory.store, static, "airplane trip", Filters(since=DAY0 + timedelta(days=150)), 20
        )
        assert len(broad) == 20
        since = (DAY0 + timedelta(days=150)).timestamp()
        for rowid, _ in broad:
            ts = memory.store.conn.execute(
                "SELECT i.ts FROM chunks c JOIN items i ON i.rowid = c.item_rowid"
                " WHERE c.rowid = ?",
                (rowid,),
            ).fetchone()[0]
            assert ts >= since
        nobody = Filters(people=("nobody-at-all",))
        assert search_vectors(memory.store, static, "airplane trip", nobody, 5) == []


def test_ingest_embeds_unless_told_not_to(
    tmp_path: Path, static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Garden\nThe tomatoes are growing.\n")
    (notes / "b.md").write_text("# Books\nReading Dune.\n")
    with Memory.init(tmp_path / "m1") as memory:
        memory.ingest(notes)
        assert memory.index_status().pending == 0
        assert memory.index_status().embedded == 2
    with Memory.init(tmp_path / "m2") as memory:
        memory.ingest(notes, embed=False)
        assert memory.index_status().embedded == 0
        monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
        memory.ingest(notes, force=True)
        assert memory.embedder() is None
        assert memory.embed_pending() == 0
        assert vector_rows(memory) == 0


def test_index_commands_report_embed_and_rebuild(
    tmp_path: Path, static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifelog.cli import app

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Trip\nMy flight to Lisbon lands at noon.\n")
    home = tmp_path / "m"
    monkeypatch.setenv("LIFELOG_HOME", str(home))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["ingest", "--no-embed", str(notes)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["index", "status"])
    assert result.exit_code == 0, result.output
    assert "embedded  0 (1 pending)" in result.output
    result = runner.invoke(app, ["index", "embed"])
    assert "embedded 1 chunks" in result.output
    with Memory.open(home) as memory:  # break the word index: rebuild must restore it
        memory.store.conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
        memory.store.conn.commit()
        assert memory.search("Lisbon") == []
    result = runner.invoke(app, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "re-indexed 1 chunks; embedded 1" in result.output
    with Memory.open(home) as memory:
        assert [h.item.title for h in memory.search("Lisbon")] == ["Trip"]
        assert memory.index_status().embedded == 1


def test_the_embedded_text_carries_title_and_speaker(memory: Memory) -> None:
    assert embedding.embedding_text(None, None, "hello") == "hello"
    assert (
        embedding.embedding_text("Trip", "Ana", "we land at noon") == "Trip\nAna: we land at noon"
    )
    assert embedding.embedding_text("  ", " ", "x") == "x"
    memory.store.upsert(
        [item("m1", "I painted a sunrise.", source="whatsapp", author="Melanie", title="Art")],
        origin=None,
        run_id=None,
    )
    model_id = embedding._model_id(memory.store, "probe", 3)
    spans = [s for batch in embedding._pending_batches(memory.store, model_id, 3) for s in batch]
    texts = [
        t for i in range(0, len(spans), 3) for t in embedding._texts(memory.store, spans[i : i + 3])
    ]
    assert "Art\nMelanie: I painted a sunrise." in texts
    assert TEXTS["tax"] in texts


class Counting(Renamed):
    """The real static model, counting the texts it is given."""

    def __init__(self, inner: StaticEmbedder) -> None:
        super().__init__(inner, inner.name)
        self.texts: list[str] = []
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        self.calls.append(list(texts))
        return self.inner.embed(texts)


def _chat_of(memory: Memory, texts: list[str]) -> None:
    items = [item(f"k{i}", t, source="whatsapp") for i, t in enumerate(texts)]
    memory.store.upsert(items, origin=None, run_id=None)


def test_repeated_short_texts_are_embedded_once_with_the_same_vector(
    tmp_path: Path, static: StaticEmbedder
) -> None:
    long_text = "A long message about the garden and the weather. " * 10
    texts = ["ok", "Sounds good", "ok", long_text, "ok", long_text, "Sounds good"] * 10
    with Memory.init(tmp_path / "m") as memory:
        _chat_of(memory, texts)
        counting = Counting(static)
        assert embedding.embed_pending(memory.store, counting, batch=7) == len(texts)
        # short repeats once per run; a long text once per group of read batches (three
        # new texts never fill a call of 7: a group closes after GROUP_BATCHES batches)
        assert counting.texts.count("ok") == 1 and counting.texts.count("Sounds good") == 1
        groups = -(-len(texts) // (7 * embedding.GROUP_BATCHES))
        assert counting.texts.count(long_text) == groups == 2
        stored = {
            text: np.frombuffer(blob, dtype=np.float16)
            for text, blob in memory.store.conn.execute(
                "SELECT item_text(i.text), v.vector FROM chunk_vectors v JOIN chunks c"
                " ON c.rowid = v.chunk_rowid JOIN items i ON i.rowid = c.item_rowid"
            )
        }
        expected = static.embed(["ok", "Sounds good", long_text]).astype(np.float16)
        assert np.array_equal(stored["ok"], expected[0])
        assert np.array_equal(stored["Sounds good"], expected[1])
        assert np.array_equal(stored[long_text], expected[2])


def test_the_model_is_called_with_full_batches_of_new_texts(
    tmp_path: Path, static: StaticEmbedder
) -> None:
    """A chat's batches hold few new texts; they are gathered so that each call to the
    model (but the last) gets a whole batch of texts it has not embedded yet."""
    texts = [f"message number {i} about the garden" if i % 3 == 0 else "ok" for i in range(300)]
    with Memory.init(tmp_path / "m") as memory:
        _chat_of(memory, texts)
        counting = Counting(static)
        assert embedding.embed_pending(memory.store, counting, batch=16) == len(texts)
    sizes = [len(call) for call in counting.calls]
    assert sum(sizes) == len(set(texts)) == 101
    assert all(size >= 16 for size in sizes[:-1]) and len(sizes) <= 101 // 16 + 1
    assert all(len(set(call)) == len(call) for call in counting.calls)


def test_the_embedding_progress_bar_shows_model_and_count(
    memory: Memory, static: StaticEmbedder
) -> None:
    import io

    from rich.console import Console

    from lifelog.commands.index import RichEmbedProgress

    out = io.StringIO()
    bar = RichEmbedProgress(Console(file=out, force_terminal=True, width=120))
    assert memory.embed_pending(bar, batch=3) == len(TEXTS)
    shown = out.getvalue()
    assert static.name in shown and f"{len(TEXTS)}/{len(TEXTS)}" in shown


# -- the common component ----------------------------------------------------------------


def test_without_component_golden() -> None:
    rows = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, -2.0]], dtype=np.float32)
    out = vectors.without_component(rows, np.array([1.0, 0.0], dtype=np.float32))
    # nothing but the component left: a zero row; the rest rescaled to unit length
    assert out == pytest.approx(np.array([[0.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))
    assert out.dtype == np.float32


def test_common_component_is_the_shared_direction_and_needs_enough_rows() -> None:
    rng = np.random.default_rng(7)
    shared = np.zeros(8, dtype=np.float32)
    shared[0] = 1.0
    noise = rng.normal(size=(vectors.COMMON_MIN, 8)).astype(np.float32) * 0.3
    rows = shared + noise
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    found = vectors.common_component(rows)
    assert found is not None
    assert abs(float(found @ shared)) > 0.99 and abs(float(np.linalg.norm(found)) - 1) < 1e-5
    assert vectors.common_component(rows[: vectors.COMMON_MIN - 1]) is None


class Planted:
    """A test double at the model boundary: each text's vector is given."""

    name = "planted:8"
    dims = 8

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts]).astype(np.float32)


def _unit(*parts: tuple[int, float]) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    for index, value in parts:
        vector[index] = value
    return vector / np.linalg.norm(vector)


def test_search_compares_what_is_left_once_the_common_component_is_out(tmp_path: Path) -> None:
    """Every chunk leans the same way (dimension 0, the chat register); the query asks
    about dimension 1. By raw cosine the chunk that is nothing but register wins; with
    the common component removed the chunk about dimension 1 does."""
    rng = np.random.default_rng(3)
    table = {"register only": _unit((0, 1.0)), "about the topic": _unit((0, 0.5), (1, 0.5))}
    for n in range(vectors.COMMON_MIN):
        table[f"filler {n}"] = _unit((0, 1.0), *((d, 0.3 * rng.normal()) for d in range(2, 8)))
    table["the question"] = _unit((0, 0.9), (1, 0.3))
    planted = Planted(table)
    with Memory.init(tmp_path / "m") as memory:
        texts = [t for t in table if t != "the question"]
        memory.store.upsert(
            [item(f"k{i}", t, day=i) for i, t in enumerate(texts)], origin=None, run_id=None
        )
        assert embedding.embed_pending(memory.store, planted) == len(texts)
        raw = planted.embed(["the question"])[0]
        stored = planted.embed(["register only", "about the topic"])
        assert float(stored[0] @ raw) > float(stored[1] @ raw)  # raw cosine: the register
        found = search_vectors(memory.store, planted, "the question", None, 2)
        assert item_of(memory, found[0][0]) == "about the topic"
        # both the chunks and the query lose it: what is left of each is dimension 1
        assert found[0][1] > 0.9
        # fewer chunks than COMMON_MIN: nothing is removed, and raw cosine decides
        memory.forget([item(f"k{i}", t, day=i).id for i, t in enumerate(texts) if i >= 100])
        found = search_vectors(memory.store, planted, "the question", None, 2)
        assert item_of(memory, found[0][0]) == "register only"


def test_the_reader_has_a_connection_of_its_own_and_closes_it(
    tmp_path: Path, static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "OWN_READER_MIN", 500)
    texts = [f"note {i} about the allotment and its beans" for i in range(600)]
    results = []
    for own in (True, False):
        with Memory.init(tmp_path / f"m{own}", encryption="passphrase", passphrase="pw") as memory:
            _chat_of(memory, texts)
            opened: list[object] = []

            def counted(
                make: Any = memory.store.reader, own: bool = own, opened: list[object] = opened
            ) -> object:
                conn = make() if own else None
                opened.append(conn)
                return conn

            memory.store.reader = counted  # type: ignore[method-assign]
            assert embedding.embed_pending(memory.store, static, batch=64) == len(texts)
            assert len(opened) == 1
            if own:  # a passphrase store opens its reader too, and it is closed after
                with pytest.raises(Exception, match="closed"):
                    opened[0].execute("SELECT 1")  # type: ignore[attr-defined]
            results.append(
                memory.store.conn.execute(
                    "SELECT c.ordinal, item_text(i.text), v.vector FROM chunk_vectors v"
                    " JOIN chunks c ON c.rowid = v.chunk_rowid"
                    " JOIN items i ON i.rowid = c.item_rowid ORDER BY i.text"
                ).fetchall()
            )
    assert results[0] == results[1] and len(results[0]) == len(texts)
    with Memory.init(tmp_path / "small") as memory:  # a few chunks: the store's connection
        _chat_of(memory, texts[:100])
        memory.store.reader = None  # type: ignore[assignment, method-assign]
        assert embedding.embed_pending(memory.store, static, batch=64) == 100
