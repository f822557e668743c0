"""``python -m lifelog.bench``: the benchmarks behind docs/benchmarks.md.

Each section prints its figures and the machine they came from, and compares
with a baseline measured in the same run where one exists (a ratio survives a
noisy machine; an absolute time does not).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..ingest import plan
from ..memory import Memory
from ..records import Item
from ..retrieval.filters import Filters

__all__ = ["machine", "main"]

Section = Callable[[Path], str]


def peak_rss() -> int:
    """This process's peak resident memory, in bytes: Linux's ``VmHWM``, which starts
    afresh when a program is executed (``ru_maxrss`` carries the peak of the process
    that forked it across ``exec``: a benchmark's child spawned by a parent that held
    10 GB reported 10 GB), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _parse_only(root: Path) -> tuple[int, float]:
    """Baseline: the sources alone (detect + parse), nothing stored."""
    units, _unknown = plan([root])
    started = time.perf_counter()
    count = 0
    for unit in units:
        for record in unit.source.parse(unit.path):
            if isinstance(record, Item):
                count += 1
    return count, time.perf_counter() - started


#: the many-small-files measure: notes of about 60 words, one a file
SMALL_FILES = 5000


def _small_files(work: Path) -> tuple[float, float, int]:
    """Ingest ``SMALL_FILES`` one-note files into a fresh encrypted memory: (seconds of
    all of ``Memory.ingest``, seconds to parse them alone, items)."""
    import random

    words = (
        "river garden violin lesson trip plan budget meeting coffee tea walk dinner"
        " market letter train beach mountain book film friend"
    ).split()
    folder = work / "notes"
    folder.mkdir()
    rng = random.Random(1)
    for number in range(SMALL_FILES):
        body = " ".join(rng.choice(words) for _ in range(60))
        (folder / f"note{number:05d}.md").write_text(f"# Note {number}\n\n{body}\n")
    _items, parse_seconds = _parse_only(folder)
    with Memory.init(work / "small") as memory:
        started = time.perf_counter()
        report = memory.ingest(folder, embed=False)
        seconds = time.perf_counter() - started
    print(f"{SMALL_FILES:,} small files: {seconds:.1f} s (parse only {parse_seconds:.1f} s)")
    return seconds, parse_seconds, report.items


def bench_ingest_and_search(work: Path, scale: float) -> str:
    from ..samplelife import generate

    started = time.perf_counter()
    life = generate(work / "life", seed=1, scale=scale)
    generated = time.perf_counter() - started
    mb = life.total_bytes / 1e6
    print(f"sample life: {mb:.0f} MB in {len(life.files)} files, generated in {generated:.1f} s")

    parsed_items, parse_seconds = _parse_only(life.root)
    print(f"parse only: {parsed_items:,} items in {parse_seconds:.1f} s")

    with Memory.init(work / "memory") as memory:
        started = time.perf_counter()
        report = memory.ingest(life.root, embed=False)
        whole = time.perf_counter() - started  # with the people directory's refresh
        stats = memory.stats()
        print(
            f"ingest: {report.items:,} items, {report.seconds:.1f} s,"
            f" {report.mb_per_s:.1f} MB/s, {report.items / report.seconds:,.0f} items/s"
        )
        again = memory.ingest(life.root, force=True, embed=False)
        print(f"re-ingest unchanged (--force): {again.seconds:.1f} s")

        queries = _queries(memory, 100)
        lexical = _latencies(lambda q: memory.search(q, limit=10), queries)
        since = Filters(since=datetime(2022, 1, 1, tzinfo=UTC))
        filtered = _latencies(lambda q: memory.search(q, since, limit=10), queries)
        ask = _latencies(lambda q: memory.ask(q, model="none"), queries[:30])
    small, small_parse, small_items = _small_files(work)
    lines = [
        "## Ingest and lexical search (issue 2)",
        "",
        "Command: `make bench` (`python -m lifelog.bench --scale "
        f"{scale:g}`), encrypted memory (key file), lexical index only.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| sample life | {mb:.0f} MB, {len(life.files)} files, {report.items:,} items |",
        f"| parse only (baseline: sources, nothing stored) | {parse_seconds:.1f} s,"
        f" {mb / parse_seconds:.1f} MB/s |",
        f"| ingest (parse + dedup + chunk + store + FTS5) | {report.seconds:.1f} s,"
        f" **{report.mb_per_s:.1f} MB/s**, **{report.items / report.seconds:,.0f} items/s** |",
        f"| ingest ÷ parse-only time | {report.seconds / parse_seconds:.2f}× |",
        f"| then the people directory (mentions of the new items, people derived) |"
        f" {whole - report.seconds:.1f} s; all of `Memory.ingest`: {whole:.1f} s,"
        f" {mb / whole:.1f} MB/s |",
        f"| re-ingest of the unchanged life (`--force`) | {again.seconds:.1f} s |",
        f"| {SMALL_FILES:,} small notes, one a file (all of `Memory.ingest`) | {small:.1f} s,"
        f" **{SMALL_FILES / small:,.0f} files/s** ({small_items:,} items; parsing alone"
        f" {small_parse:.1f} s) |",
        f"| store size on disk | {stats.db_bytes / 1e6:.0f} MB ({stats.chunks:,} chunks) |",
        f"| search p50 / p95 (100 queries, top 10) | {_ms(lexical, 50)} / **{_ms(lexical, 95)}** |",
        f"| search with a date filter p50 / p95 | {_ms(filtered, 50)} / {_ms(filtered, 95)} |",
        f"| ask (retrieve + extractive answer) p50 / p95 (30 questions) | {_ms(ask, 50)} /"
        f" {_ms(ask, 95)} |",
        "",
        "Targets: ingest ≥ 10 MB/s, search p95 ≤ 50 ms on a 2-core machine.",
        "",
        "Items/s per source (time spent in each source's files, parse to index):",
        "",
        "| source | files | items | seconds | items/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, counts in sorted(report.by_source.items()):
        items = counts.added + counts.updated + counts.unchanged
        rate = f"{items / counts.seconds:,.0f}" if counts.seconds else "–"
        lines.append(f"| {name} | {counts.files} | {items:,} | {counts.seconds:.1f} | {rate} |")
    return "\n".join(lines)


def bench_embed(work: Path, scale: float) -> str:
    """The embedding pipeline against the model's own batch throughput, same run."""
    from .embed import bench_embedding

    r = bench_embedding(work, scale=scale)
    s200 = r["search_200k"]
    lines = [
        "## Embedding and vector search (issue 3)",
        "",
        f"Command: `make bench` (`python -m lifelog.bench --only embed --embed-scale {scale:g}`);"
        f" sample life at scale {scale:g}: {r['chunks']:,} chunks of {r['mean_chars']:.0f}"
        f" characters on average ({r['distinct_texts']:,} distinct texts), batches of"
        f" {r['batch']}, best of {len(r['model_seconds'])}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| static model's own batch throughput (`embed`, texts in memory) |"
        f" {r['model_chunks_per_s']:,.0f} chunks/s |",
        f"| pipeline (`Memory.embed_pending`: read chunks, embed, write encrypted vectors) |"
        f" {r['pipeline_chunks_per_s']:,.0f} chunks/s, **{r['pipeline_ratio']:.2f}×** the"
        f" model's own (CPU time ratio {r['pipeline_cpu_ratio']:.2f}) |",
        f"| pipeline with repeated short texts embedded again (no de-duplication) |"
        f" {r['no_dedupe_ratio']:.2f}× the model's own (CPU {r['no_dedupe_cpu_ratio']:.2f}) |",
        f"| static model on long chunks (~{r['long_chunk_words']:.0f} words) |"
        f" {r['static_long_chunks_per_s']:,.0f} chunks/s |",
    ]
    if "minilm_long_chunks_per_s" in r:
        lines.append(
            f"| MiniLM (sentence-transformers) on the same long chunks |"
            f" {r['minilm_long_chunks_per_s']:,.1f} chunks/s (static is"
            f" {r['static_speedup']:.0f}× faster) |"
        )
    lines += [
        f"| vector search on the sample life, p50 / p95 | {r['search_p50_ms']:.1f} /"
        f" {r['search_p95_ms']:.1f} ms |",
        f"| scoring {s200['chunks']:,.0f} random 256-d vectors, p50 / p95 |"
        f" {s200['p50_ms']:.1f} / {s200['p95_ms']:.1f} ms |",
        "",
        "Target: the pipeline at ≥ 0.90× the model's own throughput. The first ratio counts"
        ' each distinct text once (chat archives repeat "ok", "thanks" …); the second'
        " shows the store's cost when every chunk is embedded.",
    ]
    return "\n".join(lines)


def bench_retrieval_section(work: Path, scale: float) -> str:
    from .retrieval import retrieval_markdown

    return retrieval_markdown(work, scale=scale)


def bench_ttft(work: Path, scale: float) -> str:
    """Time to first token over HTTP vs in-process, the embedded model, same run."""
    from ..samplelife import DEMO_QUESTIONS, generate
    from .server import measure_ttft

    life = generate(work / "life", seed=7, scale=scale)
    with Memory.init(work / "memory") as memory:
        memory.ingest(life.root)
        questions = [fact.question for fact in DEMO_QUESTIONS] * 2
        result = measure_ttft(memory, questions)
    return "\n".join(
        [
            "## Time to first token: HTTP vs in-process (issue 5)",
            "",
            "Command: `make bench` (`python -m lifelog.bench --only ttft`); the embedded"
            " SmolLM2-135M through llama-cpp-python, the sample life at scale"
            f" {scale:g}, `lifelog serve` in a subprocess on loopback.",
            "",
            result.markdown(),
            "Target: HTTP within 10% of in-process (ratio ≤ 1.10).",
        ]
    )


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.1f} ms"


def _queries(memory: Memory, count: int) -> list[str]:
    """Realistic queries: two or three words drawn from stored items, deterministic."""
    rng = random.Random(42)
    texts = [
        row[0]
        for row in memory.store.conn.execute(
            "SELECT item_text(text) FROM items WHERE length(item_text(text)) > 80"
            " ORDER BY rowid LIMIT 2000"
        )
    ]
    words = [w.strip(".,!?;:()\"'") for t in texts for w in t.split()]
    words = [w for w in words if len(w) > 4 and w.isalpha()]
    queries = []
    for _ in range(count):
        queries.append(" ".join(rng.choice(words) for _ in range(rng.choice((1, 2, 3)))))
    return queries


def _latencies(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    fn(queries[0])  # warm the caches once
    times = []
    for query in queries:
        started = time.perf_counter()
        fn(query)
        times.append(time.perf_counter() - started)
    return times


SECTIONS = ("ingest", "embed", "retrieval", "ttft")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifelog.bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown here")
    parser.add_argument("--scale", type=float, default=60.0, help="sample life size knob")
    # 100k chunks: runs of ~2 s, where fixed costs (threads, the first read, the last
    # commit) and a noisy neighbour no longer decide a throughput ratio (at scale 2 runs
    # took 0.35 s and the ratio moved by +-0.05 between runs)
    parser.add_argument("--embed-scale", type=float, default=10.0, help="for the embed section")
    parser.add_argument("--retrieval-scale", type=float, default=10.0)
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run these sections")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory")
    parser.add_argument(
        "--assemble",
        action="store_true",
        help="run nothing: rebuild --out from its measured part and docs/benchmarks-*.md",
    )
    args = parser.parse_args(argv)
    if args.assemble:
        if args.out is None or not args.out.exists():
            parser.error("--assemble needs --out naming an existing benchmarks file")
        measured = _measured_part(args.out.read_text(), _extras(args.out))
        args.out.write_text(_assembled(measured, args.out))
        print(f"wrote {args.out}")
        return 0
    chosen = args.only or list(SECTIONS)
    print(f"machine: {machine()}")
    sections = [f"Machine: {machine()}  \nDate: {datetime.now(UTC):%Y-%m-%d}"]
    runs: dict[str, Callable[[Path], str]] = {
        "ingest": lambda w: bench_ingest_and_search(w, args.scale),
        "embed": lambda w: bench_embed(w, args.embed_scale),
        "retrieval": lambda w: bench_retrieval_section(w, args.retrieval_scale),
        "ttft": lambda w: bench_ttft(w, 1.0),
    }
    for name in chosen:
        with tempfile.TemporaryDirectory(dir=args.work) as scratch:
            print(f"-- {name}", flush=True)
            section = runs[name](Path(scratch))
            print(section, flush=True)
            sections.append(section)
    text = "\n\n".join(sections) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        header = "# Benchmarks\n\nRegenerate with `make bench`.\n\n"
        args.out.write_text(_assembled(header + text, args.out))
        print(f"wrote {args.out}")
    return 0


#: where the sections measured by this module end and the other benchmarks' files begin
EXTRAS_MARK = "<!-- below: the files docs/benchmarks-*.md, each written by its own benchmark -->"


def _extras(out: Path) -> list[Path]:
    return sorted(out.parent.glob("benchmarks-*.md"))


def _assembled(measured: str, out: Path) -> str:
    parts = [measured.rstrip("\n") + "\n\n" + EXTRAS_MARK + "\n"]
    parts += ["\n" + path.read_text() for path in _extras(out)]
    return "".join(parts)


def _measured_part(text: str, extras: list[Path]) -> str:
    """The sections this module measured, out of an assembled file: up to the mark, or
    (a file written before the mark) up to the first extra file's first line."""
    if EXTRAS_MARK in text:
        return text.split(EXTRAS_MARK, 1)[0]
    heads = [p.read_text().split("\n", 1)[0] for p in extras]
    cut = min((text.find("\n" + h + "\n") for h in heads if "\n" + h + "\n" in text), default=-1)
    return text if cut < 0 else text[: cut + 1]


if __name__ == "__main__":
    sys.exit(main())
