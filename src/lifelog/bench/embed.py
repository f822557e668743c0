"""Embedding benchmarks: the pipeline against the model's own throughput, static against MiniLM.

:func:`bench_embedding` ingests the sample life (lexically), then in the same run

- times the embedding model alone on every chunk's text, already in memory, in the
  pipeline's batch size (the model's own batch throughput);
- times :meth:`Memory.embed_pending` over the same chunks from the encrypted store
  (read, embed, write, commit), after dropping the vectors — as shipped, short texts
  repeated in the archive embedded once, and again with every text embedded
  (``no_dedupe_*``: what reading and writing the encrypted store cost);
- takes the best of ``repeats`` for each, alternating them so that a noisy
  neighbour hurts both alike, and reports the ratio (the target is ≥ 0.9);
- times the static model and MiniLM on the same ~200-word chunks;
- times :func:`search_vectors` on the sample life and the scoring step on a random
  200k x 256 matrix (what a large memory costs per query).

``lifelog.bench`` calls it; ``python -m lifelog.bench.embed`` prints the dict.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..index.embedding import _pending_batches, _texts, embed_pending
from ..index.vectors import _scores, _top, drop_vectors, search_vectors
from ..retrieval.filters import Filters

__all__ = ["bench_embedding", "bench_search_scale"]

QUERIES = (
    "camping trip with the kids",
    "what did the doctor say",
    "moving to a new apartment",
    "birthday dinner plans",
    "job interview",
    "train tickets for the holiday",
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def bench_search_scale(n: int = 200_000, dims: int = 256, queries: int = 30) -> dict[str, float]:
    """Per-query cost of scoring ``n`` unit vectors and taking the top 50 (ms)."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((n, dims), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    times = []
    for i in range(queries):
        query = matrix[i * 7 % n]
        started = time.perf_counter()
        _top(_scores(matrix, query), 50)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "chunks": float(n),
        "p50_ms": round(_percentile(times, 50), 2),
        "p95_ms": round(_percentile(times, 95), 2),
    }


def bench_embedding(
    workdir: Path,
    *,
    scale: float = 1.0,
    seed: int = 7,
    batch: int = 256,
    repeats: int = 5,
    long_chunks: int = 48,
    minilm: bool = True,
) -> dict[str, Any]:
    """Run the measurements described in the module docstring; return the figures."""
    from ..memory import Memory
    from ..models.embeddings import MiniLMEmbedder, StaticEmbedder
    from ..samplelife import generate

    life = generate(workdir / "life", seed=seed, scale=scale)
    memory = Memory.init(workdir / "memory")
    results: dict[str, Any] = {"scale": scale, "batch": batch}
    with memory:
        memory.ingest(life.root, embed=False)
        embedder = memory.embedder("static")
        if not isinstance(embedder, StaticEmbedder):
            raise ModelError("the static embedder is needed for this benchmark")
        store = memory.store
        model_id = -1  # no model has this id: every chunk is pending
        texts = [
            text
            for spans in _pending_batches(store, model_id, batch)
            for text in _texts(store, spans)
        ]
        results["chunks"] = len(texts)
        results["mean_chars"] = round(sum(map(len, texts)) / max(1, len(texts)), 1)
        embedder.embed(texts[:batch])  # warm up (page in the table, start the tokenizer pool)

        own: list[tuple[float, float]] = []  # (wall, cpu) seconds
        pipeline: list[tuple[float, float]] = []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            for offset in range(0, len(texts), batch):
                embedder.embed(texts[offset : offset + batch])
            own.append((time.perf_counter() - wall, time.process_time() - cpu))
            drop_vectors(store)
            wall, cpu = time.perf_counter(), time.process_time()
            done = memory.embed_pending(batch=batch)
            pipeline.append((time.perf_counter() - wall, time.process_time() - cpu))
            if done != len(texts):
                raise AssertionError(f"embedded {done} of {len(texts)} chunks")
        best_own, best_pipe = min(w for w, _ in own), min(w for w, _ in pipeline)
        results["model_chunks_per_s"] = round(len(texts) / best_own, 1)
        results["pipeline_chunks_per_s"] = round(len(texts) / best_pipe, 1)
        results["pipeline_ratio"] = round(best_own / best_pipe, 3)
        # CPU seconds are what a busy machine cannot blur: the pipeline's own extra work
        results["pipeline_cpu_ratio"] = round(
            min(c for _, c in own) / min(c for _, c in pipeline), 3
        )
        results["model_seconds"] = [round(w, 3) for w, _ in own]
        results["pipeline_seconds"] = [round(w, 3) for w, _ in pipeline]
        # the same pipeline embedding every repeated text again: what the store costs
        plain: list[tuple[float, float]] = []
        for _ in range(repeats):
            drop_vectors(store)
            wall, cpu = time.perf_counter(), time.process_time()
            embed_pending(store, embedder, batch=batch, dedupe=False)
            plain.append((time.perf_counter() - wall, time.process_time() - cpu))
        results["no_dedupe_ratio"] = round(best_own / min(w for w, _ in plain), 3)
        results["no_dedupe_cpu_ratio"] = round(min(c for _, c in own) / min(c for _, c in plain), 3)
        results["distinct_texts"] = len(set(texts))

        times = []
        for _ in range(3):
            for query in QUERIES:
                started = time.perf_counter()
                search_vectors(store, embedder, query, Filters(), 50)
                times.append((time.perf_counter() - started) * 1000)
        results["search_p50_ms"] = round(_percentile(times, 50), 2)
        results["search_p95_ms"] = round(_percentile(times, 95), 2)

        longest = sorted(texts, key=len, reverse=True)[:long_chunks]
        results["long_chunk_words"] = round(
            sum(len(t.split()) for t in longest) / max(1, len(longest)), 1
        )
        started = time.perf_counter()
        for _ in range(5):
            embedder.embed(longest)
        results["static_long_chunks_per_s"] = round(
            5 * len(longest) / (time.perf_counter() - started), 1
        )
        if minilm:
            try:
                transformer = MiniLMEmbedder()
            except ModelError as error:
                results["minilm_error"] = str(error)
            else:
                transformer.embed(longest[:4])
                started = time.perf_counter()
                transformer.embed(longest)
                results["minilm_long_chunks_per_s"] = round(
                    len(longest) / (time.perf_counter() - started), 1
                )
                results["static_speedup"] = round(
                    results["static_long_chunks_per_s"] / results["minilm_long_chunks_per_s"], 1
                )
    results["search_200k"] = bench_search_scale()
    return results


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    scale = float(args[0]) if args else 1.0
    with tempfile.TemporaryDirectory(prefix="lifelog-bench-embed-") as tmp:
        print(json.dumps(bench_embedding(Path(tmp), scale=scale), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
