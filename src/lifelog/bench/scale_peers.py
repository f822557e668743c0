"""The peers of :mod:`lifelog.bench.scale`: SQLite FTS5, tantivy, LanceDB and chromadb,
each built from the exported records and asked the same questions (in a child process
of its own), and what the engines share: timing a list of questions, the planted facts
found, recall against exact search over the exported vectors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BUILDERS", "RUNNERS", "peer_recall", "timed"]


def _records(data: Path) -> Iterator[dict[str, Any]]:
    """The exported records one at a time (10M of them do not fit in memory as dicts)."""
    with (data / "records.jsonl").open() as handle:
        for line in handle:
            yield json.loads(line)


def _match(question: str) -> str:
    from ..index.lexical import fts_query
    from ..index.text import content_terms

    return fts_query(content_terms(question)[:32])


def _unit(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-6), dtype=np.float32)


def timed(call: Any, questions: list[Any]) -> tuple[list[float], list[list[Any]]]:
    call(questions[0])  # warm
    times, results = [], []
    for question in questions:
        started = time.perf_counter()
        found = call(question)
        times.append((time.perf_counter() - started) * 1000)
        results.append(found)
    return times, results


def _fact_rows(found: list[list[int]], questions: list[str], meta: dict[str, Any]) -> int:
    """Planted facts whose chunk is among ``found`` (chunk rowids, per question)."""
    facts: dict[str, int] = meta["fact_rows"]
    return sum(facts[q] in rows for q, rows in zip(questions, found, strict=True) if q in facts)


def build_fts5(data: Path, work: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(work / "fts5.db")
    conn.execute(
        "CREATE VIRTUAL TABLE docs USING fts5 (body, title, people,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    rows = ((r["id"], r["body"], r["title"], r["people"]) for r in _records(data))
    conn.executemany("INSERT INTO docs (rowid, body, title, people) VALUES (?,?,?,?)", rows)
    conn.commit()
    conn.close()


def run_fts5(data: Path, work: Path, meta: dict[str, Any]) -> dict[str, Any]:
    import sqlite3

    conn = sqlite3.connect(work / "fts5.db")
    sql = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 1.0, 0.6, 0.4) LIMIT 10"

    def search(question: str) -> list[int]:
        match = _match(question)
        return [int(r[0]) for r in conn.execute(sql, (match,))] if match else []

    times, found = timed(search, meta["questions"])
    return {"lexical": {"times": times, "facts": _fact_rows(found, meta["questions"], meta)}}


def build_tantivy(data: Path, work: Path) -> None:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True)
    for name in ("body", "title", "people"):
        builder.add_text_field(name, stored=False)
    schema = builder.build()
    folder = work / "tantivy"
    folder.mkdir(exist_ok=True)
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=256 * 1024 * 1024, num_threads=1)
    for r in _records(data):
        writer.add_document(
            tantivy.Document(id=r["id"], body=r["body"], title=r["title"], people=r["people"])
        )
    writer.commit()
    writer.wait_merging_threads()


def run_tantivy(data: Path, work: Path, meta: dict[str, Any]) -> dict[str, Any]:
    import tantivy

    index = tantivy.Index.open(str(work / "tantivy"))
    index.reload()
    searcher = index.searcher()

    def search(question: str) -> list[int]:
        terms = [t for t in _terms(question) if t.isalnum()]
        if not terms:
            return []
        query = index.parse_query(" ".join(terms), ["body", "title", "people"])
        hits = searcher.search(query, 10).hits
        return [int(searcher.doc(address)["id"][0]) for _score, address in hits]

    times, found = timed(search, meta["questions"])
    return {"lexical": {"times": times, "facts": _fact_rows(found, meta["questions"], meta)}}


def build_lancedb(data: Path, work: Path) -> None:
    import lancedb
    import pyarrow as pa

    vectors = _unit(np.load(data / "vectors.npy"))
    ids = np.load(data / "vector_ids.npy")
    records = _records(data)
    text = {r["id"]: f"{r['title']} {r['people']} {r['body']}" for r in records}
    db = lancedb.connect(str(work / "lancedb"))
    table = pa.table(
        {
            "id": pa.array(ids),
            "text": pa.array([text.get(int(i), "") for i in ids]),
            "vector": pa.FixedSizeListArray.from_arrays(
                pa.array(vectors.reshape(-1)), vectors.shape[1]
            ),
        }
    )
    created = db.create_table("chunks", table)
    created.create_fts_index("text")


def run_lancedb(data: Path, work: Path, meta: dict[str, Any]) -> dict[str, Any]:
    import lancedb

    table = lancedb.connect(str(work / "lancedb")).open_table("chunks")
    queries = _unit(np.load(data / "query_vectors.npy"))
    questions = meta["questions"]
    out: dict[str, Any] = {}
    times, found = timed(
        lambda n: table.search(queries[n]).limit(10).select(["id"]).to_list(),
        list(range(len(questions))),
    )
    rows = [[int(r["id"]) for r in f] for f in found]
    out["vector"] = {"times": times, "facts": _fact_rows(rows, questions, meta), "rows": rows}

    def words(question: str) -> list[int]:
        terms = " ".join(t for t in _terms(question) if t.isalnum())
        if not terms:
            return []
        found = table.search(terms, query_type="fts").limit(10).select(["id"]).to_list()
        return [int(r["id"]) for r in found]

    times, found_rows = timed(words, questions)
    out["lexical"] = {"times": times, "facts": _fact_rows(found_rows, questions, meta)}
    return out


def _terms(question: str) -> list[str]:
    from ..index.text import content_terms

    return content_terms(question)[:32]


def build_chromadb(data: Path, work: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(work / "chroma"))
    collection = client.create_collection("chunks", metadata={"hnsw:space": "cosine"})
    vectors = _unit(np.load(data / "vectors.npy"))
    ids = np.load(data / "vector_ids.npy")
    for start in range(0, len(ids), 5000):
        collection.add(
            ids=[str(i) for i in ids[start : start + 5000]],
            embeddings=vectors[start : start + 5000],
        )


def run_chromadb(data: Path, work: Path, meta: dict[str, Any]) -> dict[str, Any]:
    import chromadb

    client = chromadb.PersistentClient(path=str(work / "chroma"))
    collection = client.get_collection("chunks")
    queries = _unit(np.load(data / "query_vectors.npy"))
    questions = meta["questions"]
    times, found = timed(
        lambda n: collection.query(query_embeddings=[queries[n]], n_results=10)["ids"][0],
        list(range(len(questions))),
    )
    rows = [[int(i) for i in f] for f in found]
    return {
        "vector": {
            "times": times,
            "facts": _fact_rows(rows, questions, meta),
            "rows": rows,
        }
    }


BUILDERS = {
    "fts5": build_fts5,
    "tantivy": build_tantivy,
    "lancedb": build_lancedb,
    "chromadb": build_chromadb,
}
RUNNERS = {
    "fts5": run_fts5,
    "tantivy": run_tantivy,
    "lancedb": run_lancedb,
    "chromadb": run_chromadb,
}


def peer_recall(data: Path, found: list[list[int]]) -> float:
    """Recall@10 of a peer's results against exact search over the vectors it was given
    (a result as close as the exact tenth counts: generated texts repeat)."""
    vectors = np.load(data / "vectors.npy", mmap_mode="r")
    ids = np.load(data / "vector_ids.npy")
    queries = _unit(np.load(data / "query_vectors.npy"))
    scores_all = np.concatenate(
        [_unit(vectors[at : at + 200_000]) @ queries.T for at in range(0, len(vectors), 200_000)]
    )  # chunks × queries, float32
    shares = []
    for column, rows in enumerate(found):
        scores = scores_all[:, column]
        tenth = np.partition(-scores, 9)[9] * -1
        mine = scores[np.searchsorted(ids, np.asarray(rows, dtype=np.int64))]
        shares.append(float(np.sum(mine >= tenth - 1e-4)) / 10)
    return float(np.mean(shares))
