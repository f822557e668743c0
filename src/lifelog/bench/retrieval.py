"""The retrieval benchmark: latency of everything before the LLM on the sample life.

Generates the sample life (:func:`lifelog.samplelife.generate`), ingests it into an
encrypted memory, embeds it with the memory's embedder (the static model by
default), then times :meth:`lifelog.Memory.retrieve` — question analysis, lexical
and vector search, fusion, boosts, chat context, hits — on questions shaped like a
person's: the sample life's own fact questions, and questions built from stored
items that name people, periods ("last summer", "in March 2023") and topics.
Target (issue 3): p95 ≤ 100 ms in hybrid mode.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..memory import Memory

__all__ = ["RetrievalFigures", "bench_questions", "measure_retrieval", "retrieval_markdown"]

PERIODS = (
    "last summer",
    "in March 2023",
    "last week",
    "in 2021",
    "two weeks ago",
    "on 7 May",
    "recently",
    "in the spring of 2022",
    "last month",
    "in December",
)
TEMPLATES = (
    "What did {name} say about {topic}?",
    "When did {name} mention {topic}?",
    "What did I write about {topic} {period}?",
    "{topic}",
    "Did {name} talk about {topic} {period}?",
    "What happened with {topic}?",
)


@dataclass(frozen=True, slots=True)
class RetrievalFigures:
    scale: float
    items: int
    chunks: int
    embedded: int
    embedder: str
    questions: int
    ingest_s: float
    embed_s: float
    hybrid_p50_ms: float
    hybrid_p95_ms: float
    hybrid_max_ms: float
    lexical_p50_ms: float
    lexical_p95_ms: float
    vector_p50_ms: float
    vector_p95_ms: float
    #: the sample life's fact questions whose fact item is among the first 10 hits
    facts_found: int
    facts: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def bench_questions(memory: Memory, count: int, seed: int = 42) -> list[str]:
    """``count`` deterministic questions built from the memory's own names and words."""
    rng = random.Random(seed)
    with memory.store.lock:
        authors = [
            str(row[0]).split("<")[0].split("@")[0].strip().split(" ")[0]
            for row in memory.store.conn.execute(
                "SELECT author FROM items WHERE author IS NOT NULL"
                " GROUP BY author ORDER BY count(*) DESC LIMIT 30"
            )
        ]
        texts = [
            str(row[0])
            for row in memory.store.conn.execute(
                "SELECT item_text(text) FROM items WHERE length(item_text(text)) > 60"
                " ORDER BY rowid LIMIT 3000"
            )
        ]
    names = [a for a in authors if a.isalpha()] or ["Sam"]
    words = [w.strip(".,!?;:()\"'").lower() for t in texts for w in t.split()]
    topics = [w for w in words if len(w) > 4 and w.isalpha()] or ["camping"]
    questions = []
    for _ in range(count):
        template = rng.choice(TEMPLATES)
        topic = " ".join(rng.choice(topics) for _ in range(rng.choice((1, 2))))
        questions.append(
            template.format(name=rng.choice(names), topic=topic, period=rng.choice(PERIODS))
        )
    return questions


def _timed(memory: Memory, questions: list[str], mode: str, now: Any) -> list[float]:
    memory.retrieve(questions[0], now=now, mode=mode)  # load the model and the matrix once
    times = []
    for question in questions:
        started = time.perf_counter()
        memory.retrieve(question, now=now, mode=mode)
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure_retrieval(
    work: Path, *, scale: float = 10.0, seed: int = 7, count: int = 300
) -> RetrievalFigures:
    """Build the sample life in ``work`` and time retrieval on it; see the module docstring."""
    from ..samplelife import FACTS, generate

    life = generate(work / "life", seed=seed, scale=scale)
    with Memory.init(work / "memory") as memory:
        started = time.perf_counter()
        memory.ingest(life.root, embed=False)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        embedded = memory.embed_pending()
        embed_s = time.perf_counter() - started
        embedder = memory.embedder()
        questions = [fact.question for fact in FACTS] + bench_questions(memory, count)
        hybrid = _timed(memory, questions, "hybrid", life.now)
        lexical = _timed(memory, questions, "lexical", life.now)
        vector = _timed(memory, questions, "vector", life.now)
        found = 0
        for fact in FACTS:
            hits = memory.retrieve(fact.question, now=life.now, limit=10)
            found += any(fact.needle in hit.item.text for hit in hits)
        stats = memory.stats()
    return RetrievalFigures(
        scale=scale,
        items=stats.items,
        chunks=stats.chunks,
        embedded=embedded,
        embedder=embedder.name if embedder is not None else "none",
        questions=len(questions),
        ingest_s=ingest_s,
        embed_s=embed_s,
        hybrid_p50_ms=_percentile(hybrid, 0.5),
        hybrid_p95_ms=_percentile(hybrid, 0.95),
        hybrid_max_ms=max(hybrid),
        lexical_p50_ms=_percentile(lexical, 0.5),
        lexical_p95_ms=_percentile(lexical, 0.95),
        vector_p50_ms=_percentile(vector, 0.5),
        vector_p95_ms=_percentile(vector, 0.95),
        facts_found=found,
        facts=len(FACTS),
    )


def retrieval_markdown(work: Path, *, scale: float = 10.0) -> str:
    """The benchmark as a section of ``docs/benchmarks.md``."""
    r = measure_retrieval(work, scale=scale)
    return "\n".join(
        [
            "## Retrieval latency (issue 3)",
            "",
            f"Command: `make bench` (`python -m lifelog.bench --only retrieval"
            f" --retrieval-scale {scale:g}`): the sample life at scale {scale:g}"
            f" ({r.items:,} items, {r.chunks:,} chunks, {r.embedded:,} embedded with"
            f" `{r.embedder}`), encrypted memory, {r.questions} questions (the sample"
            " life's facts and questions built from its names, words and periods),"
            " `Memory.retrieve(..., limit=10)`: everything before the LLM.",
            "",
            "| mode | p50 | p95 |",
            "|---|---:|---:|",
            f"| hybrid (default) | {r.hybrid_p50_ms:.1f} ms | **{r.hybrid_p95_ms:.1f} ms** |",
            f"| lexical | {r.lexical_p50_ms:.1f} ms | {r.lexical_p95_ms:.1f} ms |",
            f"| vector | {r.vector_p50_ms:.1f} ms | {r.vector_p95_ms:.1f} ms |",
            "",
            f"Fact questions with their fact item in the first 10 hits: {r.facts_found}"
            f"/{r.facts}. Target: hybrid p95 ≤ 100 ms.",
        ]
    )
