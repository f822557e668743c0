"""``python -m lifelog.bench.ann MEMORY``: approximate vector indexes measured against exact search.

On a memory's own vectors (the static model's, without their common component, as
:mod:`lifelog.index.vectors` searches them) and its own questions (the planted facts of a
:mod:`lifelog.samplelife.scale` life and questions built from its names and words), each
candidate index is built and asked for the top 10; candidates are re-scored exactly as
lifelog re-scores them. Reported: recall@10 against exact search (a result as close as
the exact tenth counts: generated texts repeat), p50 / p95 per query on one thread, build
time, and bytes per vector held in memory — what decided :mod:`lifelog.index.ann`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["main"]

Search = Callable[[NDArray[np.float32]], NDArray[np.int64]]


def _vectors(folder: Path, questions: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    import json

    from ..index.vectors import _matrix, without_component
    from ..memory import Memory
    from ..samplelife.scale import planted_facts
    from .retrieval import bench_questions

    with Memory.open(folder) as memory:
        embedder = memory.embedder()
        assert embedder is not None
        matrix = _matrix(memory.store, embedder.name)
        assert matrix is not None and matrix.common is not None
        built = folder / "built.json"
        count = int(json.loads(built.read_text())["count"]) if built.exists() else 0
        asked = [f.question for f in planted_facts(count)] + bench_questions(memory, questions)
        queries = without_component(embedder.embed(asked), matrix.common)
        return matrix.vectors, queries


def _measure(
    name: str, build: Callable[[], tuple[Search, int]], x: NDArray[np.float32], q: Any
) -> str:
    started = time.perf_counter()
    search, size = build()
    built = time.perf_counter() - started
    shares, times = [], []
    for query in q:
        exact = x @ query
        tenth = -np.partition(-exact, 9)[9]
        started = time.perf_counter()
        found = search(query)
        scores = x[found] @ query  # re-scored exactly, as lifelog does
        best = np.sort(scores)[-10:]
        times.append((time.perf_counter() - started) * 1000)
        shares.append(float(np.sum(best >= tenth - 1e-4)) / 10)
    times.sort()
    p50, p95 = times[len(times) // 2], times[int(0.95 * len(times))]
    return (
        f"| {name} | {np.mean(shares):.3f} | {p50:.2f} | {p95:.2f} | {built:.0f} s |"
        f" {size / len(x):.0f} B |"
    )


def candidates(x: NDArray[np.float32]) -> dict[str, Callable[[], tuple[Search, int]]]:
    n, d = x.shape
    ids = np.arange(n, dtype=np.int64)
    out: dict[str, Callable[[], tuple[Search, int]]] = {}

    def faiss_ivf(spec: str, nprobe: int) -> Callable[[], tuple[Search, int]]:
        def build() -> tuple[Search, int]:
            import faiss

            faiss.omp_set_num_threads(1)
            nlist = int(min(16_384, max(16, 2 * np.sqrt(n))))
            index = faiss.index_factory(d, f"IVF{nlist},{spec}", faiss.METRIC_INNER_PRODUCT)
            step = max(1, n // max(nlist * 40, 50_000))
            index.train(x[::step])
            index.add_with_ids(x, ids)
            params = faiss.SearchParametersIVF()
            params.nprobe = nprobe
            size = int(faiss.serialize_index(index).size)

            def search(query: NDArray[np.float32]) -> NDArray[np.int64]:
                _d, found = index.search(query[None, :], 100, params=params)
                row: NDArray[np.int64] = found[0][found[0] >= 0].astype(np.int64)
                return row

            return search, size

        return build

    def usearch(dtype: str, connectivity: int, ef: int) -> Callable[[], tuple[Search, int]]:
        def build() -> tuple[Search, int]:
            from usearch.index import Index

            binary = dtype == "b1"
            index = Index(
                ndim=d,
                metric="hamming" if binary else "cos",
                dtype=dtype,
                connectivity=connectivity,
                expansion_add=128,
                expansion_search=ef,
            )
            data = np.packbits(x > 0, axis=1) if binary else x
            index.add(ids, data, threads=1)
            size = int(index.serialized_length)

            def search(query: NDArray[np.float32]) -> NDArray[np.int64]:
                probe = np.packbits(query > 0) if binary else query
                found = index.search(probe, 200 if binary else 100, threads=1)
                return np.asarray(found.keys, dtype=np.int64)

            return search, size

        return build

    def hnswlib_index(ef: int) -> Callable[[], tuple[Search, int]]:
        def build() -> tuple[Search, int]:
            import hnswlib

            index = hnswlib.Index(space="ip", dim=d)
            index.init_index(max_elements=n, M=16, ef_construction=128)
            index.set_num_threads(1)
            index.add_items(x, ids)
            index.set_ef(ef)
            size = n * (d * 4 + 16 * 2 * 4 + 8)

            def search(query: NDArray[np.float32]) -> NDArray[np.int64]:
                labels, _distances = index.knn_query(query, k=100)
                return np.asarray(labels[0], dtype=np.int64)

            return search, size

        return build

    for nprobe in (32, 64, 128):
        out[f"faiss IVF,SQ4 (4-bit codes), nprobe {nprobe}"] = faiss_ivf("SQ4", nprobe)
    out["faiss IVF,SQ8 (int8 codes), nprobe 64"] = faiss_ivf("SQ8", 64)
    out["usearch HNSW int8, M 16, ef 64"] = usearch("i8", 16, 64)
    out["usearch HNSW binary + re-scoring 200, M 16, ef 64"] = usearch("b1", 16, 64)
    out["hnswlib HNSW float32, M 16, ef 64"] = hnswlib_index(64)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifelog.bench.ann", description=__doc__)
    parser.add_argument("memory", type=Path)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--only", nargs="*", default=None, help="names starting with these")
    args = parser.parse_args(argv)
    x, q = _vectors(args.memory, args.questions)
    print(f"{len(x):,} vectors of {x.shape[1]} dimensions, {len(q)} questions")
    print("| index | recall@10 | p50 ms | p95 ms | build | memory per vector |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, build in candidates(x).items():
        if args.only and not any(name.startswith(prefix) for prefix in args.only):
            continue
        print(_measure(name, build, x, q), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
