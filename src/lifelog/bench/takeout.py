"""``python -m lifelog.bench.takeout``: ingest a Takeout-like archive, report speed and memory.

A Takeout-like zip of the given size is written by
:func:`lifelog.samplelife.takeout.write_takeout` (mail fills it, as in real
exports) and ingested into a fresh encrypted memory (key file) in a child
process, so that the child's peak resident memory is the ingest's own:
``resource.getrusage`` ``ru_maxrss`` of the child, and of the parsing process
the child starts for large imports (two processes at once; their sum bounds the
peak). The target is a peak under 1 GB for an archive of at least 1 GB.

Reported: MB/s of the archive (compressed) and of what it expands to, items/s
overall and per source (each source's time is the wall time between the end of
one member and the end of the next, so it includes storing and lexical
indexing), and the time of ``Memory.ingest`` as a whole, which then embeds the
new chunks (as ``lifelog ingest`` does; the peak memory includes that model).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TakeoutBench", "bench_takeout", "main"]

GB = 1024**3
#: the peak memory the issue asks for
PEAK_TARGET = GB


@dataclass(frozen=True, slots=True)
class TakeoutBench:
    """What one run measured."""

    archive_bytes: int
    expanded_bytes: int
    generate_seconds: float
    seconds: float
    #: ``Memory.ingest`` as a whole: the ingest, then embedding the new chunks
    total_seconds: float
    embedded: int
    items: int
    skipped: int
    #: source -> {"items", "seconds", "files"}
    sources: dict[str, dict[str, float]]
    #: peak resident bytes of the ingesting process and of its parsing process
    peak_rss: int
    peak_rss_worker: int
    db_bytes: int

    @property
    def peak_total(self) -> int:
        return self.peak_rss + self.peak_rss_worker

    def markdown(self, command: str) -> str:
        mb = self.archive_bytes / 1e6
        expanded = self.expanded_bytes / 1e6
        lines = [
            "## Google Takeout archive: ingest speed and peak memory (issue 4)",
            "",
            f"Command: `{command}`; a fresh encrypted memory (key file), ingested in a child"
            " process: parse, store and index words, then embed the new chunks.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| archive | {mb:,.0f} MB zip, {expanded:,.0f} MB uncompressed"
            f" (generated in {self.generate_seconds:.0f} s) |",
            f"| ingest | {self.seconds:.0f} s, **{mb / self.seconds:.1f} MB/s** of archive,"
            f" {expanded / self.seconds:.1f} MB/s uncompressed |",
            f"| items | {self.items:,} ({self.items / self.seconds:,.0f} items/s),"
            f" {self.skipped:,} skipped |",
            f"| `Memory.ingest` in all (then embedding {self.embedded:,} chunks, static model)"
            f" | {self.total_seconds:.0f} s |",
            f"| peak RSS, ingesting process | **{self.peak_rss / 1e6:,.0f} MB** |",
            f"| peak RSS, parsing process | {self.peak_rss_worker / 1e6:,.0f} MB |",
            f"| both together (upper bound) | {self.peak_total / 1e6:,.0f} MB"
            f" (target < {PEAK_TARGET / 1e6:,.0f} MB) |",
            f"| store on disk | {self.db_bytes / 1e6:,.0f} MB |",
            "",
            "| source | items | seconds | items/s |",
            "|---|---:|---:|---:|",
        ]
        for name, row in sorted(self.sources.items(), key=lambda kv: -kv[1]["items"]):
            if not row["items"]:
                continue
            # a source read in a blink has no meaningful rate
            rate = f"{row['items'] / row['seconds']:,.0f}" if row["seconds"] >= 0.1 else "—"
            lines.append(f"| {name} | {row['items']:,.0f} | {row['seconds']:.1f} | {rate} |")
        return "\n".join(lines)


def _child(archive: Path, home: Path) -> int:
    """In the child: ingest ``archive`` into a new memory at ``home``; print JSON."""
    from ..memory import Memory

    with Memory.init(home) as memory:
        started = time.perf_counter()
        report = memory.ingest(archive)  # as `lifelog ingest` does: then embeds the new chunks
        total = time.perf_counter() - started
        vectors = memory.index_status()
        db_bytes = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    sources = {
        name: {
            "items": counts.added + counts.updated + counts.unchanged,
            "seconds": counts.seconds,
            "files": counts.files,
        }
        for name, counts in report.by_source.items()
    }
    result = {
        "seconds": report.seconds,
        "total_seconds": total,
        "embedded": vectors.embedded,
        "items": report.items,
        "skipped": report.skipped_count,
        "sources": sources,
        # ru_maxrss is in kilobytes on Linux
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_rss_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "db_bytes": db_bytes,
    }
    print(json.dumps(result))
    return 0


def bench_takeout(
    work: Path, size: int = GB, *, scale: float | None = None, archive: Path | None = None
) -> TakeoutBench:
    """Write (or reuse) a Takeout-like zip of ``size`` bytes and measure its ingest."""
    from ..samplelife.takeout import write_takeout

    generated = 0.0
    expanded = 0
    if archive is None:
        archive = work / "takeout-20250102T090000Z-001.zip"
        life = write_takeout(
            archive, size=size, scale=scale if scale is not None else max(0.05, size / 2e8)
        )
        generated, expanded = life.seconds, life.expanded
    else:
        import zipfile

        with zipfile.ZipFile(archive) as opened:
            expanded = sum(info.file_size for info in opened.infolist())
    home = work / "memory"
    command = [sys.executable, "-m", "lifelog.bench.takeout", "--child", str(archive), str(home)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the ingest child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return TakeoutBench(
        archive_bytes=archive.stat().st_size,
        expanded_bytes=expanded,
        generate_seconds=generated,
        seconds=result["seconds"] or wall,
        total_seconds=result["total_seconds"],
        embedded=result["embedded"],
        items=result["items"],
        skipped=result["skipped"],
        sources=result["sources"],
        peak_rss=result["peak_rss"],
        peak_rss_worker=result["peak_rss_worker"],
        db_bytes=result["db_bytes"],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1G", help="zip size to generate (1G, 200M ...)")
    parser.add_argument("--archive", type=Path, help="ingest this zip instead of generating one")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory")
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown here")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(*args.child)
    from ..samplelife.takeout import parse_size
    from .report import machine

    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        result = bench_takeout(Path(scratch), parse_size(args.size), archive=args.archive)
    given = list(argv if argv is not None else sys.argv[1:])
    if "--work" in given:  # where the scratch files went does not belong in the report
        at = given.index("--work")
        del given[at : at + 2]
    shown = " ".join(["python -m lifelog.bench.takeout", *given])
    text = f"Machine: {machine()}\n\n" + result.markdown(shown) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0 if result.peak_total < PEAK_TARGET else 1


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
