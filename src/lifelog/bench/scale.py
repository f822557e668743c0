"""``python -m lifelog.bench.scale``: search at 100k and 1M chunks, lifelog beside its peers.

The same records — a :mod:`lifelog.samplelife.scale` life written into an encrypted memory
(:mod:`.scale_build`), then exported (chunk text, title, people, the stored vectors) — are
indexed by each engine, and the same questions (the life's planted fact questions and
questions built from its names and words) are asked of each:

- **lifelog**: ``Memory.retrieve`` in ``lexical``, ``vector`` and ``hybrid`` mode
  (everything before the LLM: question analysis, fusion, boosts, chat context, hits);
- **FTS5**: a plain (unencrypted) SQLite FTS5 table of the same columns, OR of the
  question's terms ranked by ``bm25()``: what lifelog's word index is built on;
- **tantivy**: the Rust engine (block-max WAND top-k pruning), the same OR query;
- **LanceDB**: flat (exact) vector search and its full-text index;
- **chromadb**: its HNSW vector index (100k only: its build is the slowest).

Each engine's queries run in a child process of their own (peak RSS is that child's
``VmHWM``: the index loaded and searched), in rounds that rotate the engines' order so
that a noisy neighbour hurts all alike; each row is the median over rounds of that round's
p50 and p95. Vector engines report recall@10 against exact search over the vectors they
were given (lifelog's against its own exact search); every engine reports how many
planted facts it finds in its first 10.

Needs the ``bench`` extra (``pip install -e '.[bench]'``); an engine that is not installed
is left out. ``--sizes 100000 1000000`` as in docs/benchmarks-scale-search.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .report import peak_rss
from .scale_peers import BUILDERS, RUNNERS, peer_recall, timed

__all__ = ["main"]

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ENGINES = ("lifelog", "fts5", "tantivy", "lancedb", "chromadb")
#: chromadb's HNSW build takes the longest: measured where it finishes in minutes
CHROMA_MAX = 200_000
GENERATED_QUESTIONS = 100


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


# -- the records -------------------------------------------------------------------------


def export(memory_dir: Path, out: Path) -> dict[str, Any]:
    """Write the memory's chunks (``records.jsonl``), vectors (``vectors.npy``, float32 as
    stored) and questions (``questions.json``) for the other engines."""
    from ..memory import Memory
    from ..samplelife.scale import planted_facts
    from .retrieval import bench_questions

    done = out / "meta.json"
    if done.exists():
        meta: dict[str, Any] = json.loads(done.read_text())
        return meta
    out.mkdir(parents=True, exist_ok=True)
    with Memory.open(memory_dir) as memory:
        store = memory.store
        count = int(json.loads((memory_dir / "built.json").read_text())["count"])
        facts = planted_facts(count)
        questions = [f.question for f in facts] + bench_questions(memory, GENERATED_QUESTIONS)
        fact_items = {f.question: f.item_id for f in facts}
        fact_rows: dict[str, int] = {}
        with store.lock:
            for fact in facts:
                found = store.conn.execute(
                    "SELECT c.rowid FROM items i JOIN chunks c ON c.item_rowid = i.rowid"
                    " WHERE i.id = ? ORDER BY c.ordinal LIMIT 1",
                    (fact.item_id,),
                ).fetchone()
                if found is not None:
                    fact_rows[fact.question] = int(found[0])
        rows = 0
        last = 0
        with (out / "records.jsonl").open("w") as handle:
            while True:
                with store.lock:
                    part = store.conn.execute(
                        "SELECT rowid, id FROM items WHERE rowid > ? ORDER BY rowid LIMIT 20000",
                        (last,),
                    ).fetchall()
                if not part:
                    break
                items = store.get_many([r[1] for r in part])
                ids = {int(r[0]): r[1] for r in part}
                with store.lock:
                    chunks = store.conn.execute(
                        "SELECT rowid, item_rowid, start, end FROM chunks"
                        " WHERE item_rowid > ? AND item_rowid <= ? ORDER BY rowid",
                        (last, int(part[-1][0])),
                    ).fetchall()
                for rowid, item_rowid, start, end in chunks:
                    item = items[ids[int(item_rowid)]]
                    record = {
                        "id": int(rowid),
                        "item": item.id,
                        "body": item.text[start:end],
                        "title": item.title or "",
                        "people": " ".join(n for n in (item.author, *item.participants) if n),
                    }
                    handle.write(json.dumps(record) + "\n")
                    rows += 1
                last = int(part[-1][0])
        _export_vectors(store, out)
        embedder = memory.embedder()
        assert embedder is not None
        np.save(out / "query_vectors.npy", embedder.embed(questions).astype(np.float32))
    meta = {
        "count": count,
        "chunks": rows,
        "questions": questions,
        "facts": fact_items,
        "fact_rows": fact_rows,
    }
    done.write_text(json.dumps(meta))
    return meta


def _vector_blocks(store: Any, size: int = 200_000) -> Iterator[tuple[Any, Any]]:
    """The stored vectors (one model's: the benchmark's memories have one) in rowid order,
    ``size`` at a time: (chunk rowids, float32 rows)."""
    from ..index.ann import read_vectors

    with store.lock:
        model_id, dims = store.conn.execute("SELECT id, dims FROM vector_models").fetchone()
    last = -1
    while True:
        ids, rows = read_vectors(store, int(model_id), int(dims), last, size)
        if not len(ids):
            return
        yield ids, rows
        last = int(ids[-1])


def _export_vectors(store: Any, out: Path) -> None:
    """``vector_ids.npy`` and ``vectors.npy`` (float32), written a block at a time: at 10M
    chunks the matrix is 10 GB, more than a fetch of every row leaves room for."""
    with store.lock:
        count = int(store.conn.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0])
        dims = int(store.conn.execute("SELECT dims FROM vector_models").fetchone()[0])
    ids = np.lib.format.open_memmap(out / "vector_ids.npy", "w+", np.int64, (count,))
    rows = np.lib.format.open_memmap(out / "vectors.npy", "w+", np.float32, (count, dims))
    at = 0
    for block_ids, block in _vector_blocks(store):
        ids[at : at + len(block_ids)] = block_ids
        rows[at : at + len(block_ids)] = block
        at += len(block_ids)
    ids.flush()
    rows.flush()
    del ids, rows


def _exact_nearest(
    store: Any, ann: Any, queries: np.ndarray[Any, Any], k: int = 10
) -> list[list[tuple[int, float]]]:
    """Exact top ``k`` of each raw query vector over every stored vector, both prepared as
    the approximate index prepares them (its common component out, unit length), read a
    block at a time so that 10M vectors need no 10 GB matrix."""
    prepared = ann.prepare(queries)
    best_ids = np.zeros((len(prepared), 0), dtype=np.int64)
    best_scores = np.zeros((len(prepared), 0), dtype=np.float32)
    for ids, block in _vector_blocks(store):
        scores = ann.prepare(block) @ prepared.T  # block × queries
        take = min(k, len(ids))
        top = np.argpartition(-scores, take - 1, axis=0)[:take].T  # queries × take
        best_ids = np.concatenate([best_ids, ids[top]], axis=1)
        best_scores = np.concatenate(
            [best_scores, np.take_along_axis(scores.T, top, axis=1)], axis=1
        )
        keep = np.argsort(-best_scores, axis=1, kind="stable")[:, :k]
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
    return [
        [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True)]
        for row_ids, row_scores in zip(best_ids, best_scores, strict=True)
    ]


# -- the engines (each in a child process) ----------------------------------------------


def run_lifelog(
    memory_dir: Path, data: Path, meta: dict[str, Any], *, recall: bool = True
) -> dict[str, Any]:
    from ..index import ann
    from ..index.vectors import search_vectors
    from ..memory import Memory

    questions = meta["questions"]
    out: dict[str, Any] = {}
    with Memory.open(memory_dir) as memory:
        started = time.perf_counter()
        embedder = memory.embedder()
        assert embedder is not None
        if ann.needs_ann(memory.store):
            ann.ann_index(memory.store, embedder.name)
        out["open_s"] = time.perf_counter() - started
        for mode in ("lexical", "vector", "hybrid"):
            times, found = timed(
                lambda q, m=mode: [
                    h.item.id for h in memory.retrieve(q, now=NOW, mode=m, limit=10)
                ],
                questions,
            )
            out[mode] = {"times": times, "facts": _facts(found, questions, meta)}
        out["peak_rss"] = peak_rss()
        # the vector search alone, against exact search over the same (prepared) vectors
        # (after the peak is taken: the exact matrix is not what serving holds)
        if recall and ann.needs_ann(memory.store):
            approximate = [search_vectors(memory.store, embedder, q, None, 10) for q in questions]
            index = ann.ann_index(memory.store, embedder.name)
            assert index is not None
            exact = _exact_nearest(memory.store, index, embedder.embed(questions))
            out["recall"] = _tie_recall(approximate, exact)
    return out


def _tie_recall(
    found: list[list[tuple[int, float]]], exact: list[list[tuple[int, float]]]
) -> float:
    """Recall@10 where a result as close as the exact tenth counts (generated texts repeat)."""
    shares = []
    for mine, truth in zip(found, exact, strict=True):
        if truth:
            shares.append(sum(s >= truth[-1][1] - 1e-4 for _r, s in mine) / len(truth))
    return float(np.mean(shares)) if shares else 1.0


def _facts(found: list[list[str]], questions: list[str], meta: dict[str, Any]) -> int:
    """Planted facts whose item is among ``found`` (item ids, per question)."""
    facts: dict[str, str] = meta["facts"]
    return sum(facts[q] in items for q, items in zip(questions, found, strict=True) if q in facts)


def child(args: argparse.Namespace) -> int:
    """One engine, one round (or its build), in this process; prints JSON."""
    data, work = Path(args.data), Path(args.work)
    meta = json.loads((data / "meta.json").read_text())
    started = time.perf_counter()
    if args.build:
        BUILDERS[args.engine](data, work)
        result: dict[str, Any] = {"build_s": time.perf_counter() - started}
    elif args.engine == "lifelog":
        result = run_lifelog(Path(args.memory), data, meta, recall=args.round == 0)
    else:
        result = RUNNERS[args.engine](data, work, meta)
    result.setdefault("peak_rss", peak_rss())
    print("RESULT " + json.dumps(result))
    return 0


def _spawn(
    engine: str, data: Path, work: Path, memory: Path, build: bool, round_: int = 0
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "lifelog.bench.scale",
        "--child",
        engine,
        "--data",
        str(data),
        "--work",
        str(work),
        "--memory",
        str(memory),
        "--round",
        str(round_),
    ] + (["--build"] if build else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            found: dict[str, Any] = json.loads(line[7:])
            return found
    raise RuntimeError(f"{engine} failed:\n{done.stderr[-3000:]}")


def _available(engine: str) -> bool:
    import importlib.util

    module = {"tantivy": "tantivy", "lancedb": "lancedb", "chromadb": "chromadb"}.get(engine)
    return module is None or importlib.util.find_spec(module) is not None


def measure(size: int, folder: Path, rounds: int, engines: list[str]) -> dict[str, Any]:
    """Build (or reuse) the memory and the peers' indexes of ``size`` chunks and run the
    rounds; returns the figures."""
    from .scale_build import build

    memory = folder / f"scale-{size}"
    built = build(memory, size)
    data = folder / f"scale-{size}-export"
    meta = export(memory, data)
    work = folder / f"scale-{size}-peers"
    work.mkdir(exist_ok=True)
    figures: dict[str, Any] = {"size": size, "built": built, "chunks": meta["chunks"]}
    engines = [e for e in engines if _available(e) and not (e == "chromadb" and size > CHROMA_MAX)]
    builds = (
        json.loads((work / "builds.json").read_text()) if (work / "builds.json").exists() else {}
    )
    for engine in engines:
        if engine != "lifelog" and engine not in builds:
            print(f"  building {engine} ({size:,})", flush=True)
            builds[engine] = _spawn(engine, data, work, memory, True)
            (work / "builds.json").write_text(json.dumps(builds))
    figures["builds"] = builds
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
    for number in range(rounds):
        order = engines[number % len(engines) :] + engines[: number % len(engines)]
        for engine in order:
            print(f"  round {number + 1}: {engine}", flush=True)
            runs[engine].append(_spawn(engine, data, work, memory, False, number))
    figures["engines"] = {e: _summary(r, data) for e, r in runs.items()}
    figures["facts"] = len(meta["facts"])
    figures["questions"] = len(meta["questions"])
    return figures


def _summary(runs: list[dict[str, Any]], data: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"peak_rss": max(r["peak_rss"] for r in runs)}
    for mode in ("lexical", "vector", "hybrid"):
        if mode not in runs[0]:
            continue
        p50 = [_percentile(r[mode]["times"], 0.5) for r in runs]
        p95 = [_percentile(r[mode]["times"], 0.95) for r in runs]
        out[mode] = {
            "p50": float(np.median(p50)),
            "p95": float(np.median(p95)),
            "facts": runs[0][mode]["facts"],
        }
    if "recall" in runs[0]:
        out["vector"]["recall"] = runs[0]["recall"]
    elif "vector" in runs[0] and "rows" in runs[0]["vector"]:
        out["vector"]["recall"] = peer_recall(data, runs[0]["vector"]["rows"])
    if "open_s" in runs[0]:
        out["open_s"] = float(np.median([r["open_s"] for r in runs]))
    return out


def markdown(results: list[dict[str, Any]], command: str, machine: str) -> str:
    lines = [
        "## Search at scale, side by side (issue 13, items 4 and 6)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine}",
        "",
    ]
    for r in results:
        size = r["size"]
        engines = r["engines"]
        lines += [
            f"### {r['chunks']:,} chunks",
            "",
            f"{r['questions']} questions ({r['facts']} planted facts); p50 / p95 in ms, the"
            " median over alternating rounds; facts: planted facts whose item is in the"
            " first 10.",
            "",
            "| engine | mode | p50 | p95 | lifelog p95 ÷ it | facts in top 10 | peak RSS |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        mine = engines.get("lifelog", {})
        for engine, figures in engines.items():
            for mode in ("lexical", "vector", "hybrid"):
                if mode not in figures:
                    continue
                row = figures[mode]
                ratio = ""
                if engine != "lifelog" and mode in mine:
                    ratio = f"{mine[mode]['p95'] / max(row['p95'], 1e-6):.2f}"
                note = f" (recall@10 {row['recall']:.2f})" if "recall" in row else ""
                lines.append(
                    f"| {engine} | {mode}{note} | {row['p50']:.1f} | {row['p95']:.1f} |"
                    f" {ratio} | {row['facts']} / {r['facts']} |"
                    f" {figures['peak_rss'] / 2**20:,.0f} MiB |"
                )
        lines.append("")
        del size
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifelog.bench.scale", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--folder", type=Path, default=Path(".bench"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown here")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.engine = args.child
        return child(args)
    from .report import machine

    print(f"machine: {machine()}", flush=True)
    args.folder.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        print(f"-- {size:,} chunks", flush=True)
        results.append(measure(size, args.folder.resolve(), args.rounds, args.engines))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    command = "python -m lifelog.bench.scale " + " ".join(sys.argv[1:] if argv is None else argv)
    text = markdown(results, command, machine())
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
