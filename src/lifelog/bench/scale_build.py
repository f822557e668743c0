"""Memories of 100k, 1M (and, given the hours, 10M) chunks for the search-at-scale benchmark.

:func:`build` writes :func:`lifelog.samplelife.scale.lifetime` into a fresh encrypted
memory through :meth:`~lifelog.store.Store.upsert_many` (the store's own chunking, word
index and encryption; no export files, no parsers), derives the people directory and
embeds every chunk with the memory's embedder (the static model). A memory already
built for the same count and seed is reused (``built.json`` beside it says so).

``python -m lifelog.bench.scale_build DIR --count 1000000`` builds one.
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import islice
from pathlib import Path
from typing import Any

from ..memory import Memory
from ..samplelife.scale import lifetime

__all__ = ["build"]

#: items per transaction
BATCH = 20_000


def build(folder: Path, count: int, seed: int = 7, *, quiet: bool = False) -> dict[str, Any]:
    """A memory of ``count`` generated items in ``folder``; returns how it was built."""
    marker = folder / "built.json"
    if marker.exists():
        done: dict[str, Any] = json.loads(marker.read_text())
        if done.get("count") == count and done.get("seed") == seed:
            return done
    if folder.exists() and any(folder.iterdir()):
        raise SystemExit(f"{folder} holds something else: give an empty or new folder")
    figures: dict[str, Any] = {"count": count, "seed": seed}
    started = time.perf_counter()
    with Memory.init(folder) as memory:
        items = lifetime(count, seed)
        written = 0
        while batch := list(islice(items, BATCH)):
            memory.store.upsert_many([("lifetime", batch)], run_id=None)
            written += len(batch)
            if not quiet and written % 200_000 == 0:
                print(f"  {written:,} items, {time.perf_counter() - started:.0f} s", flush=True)
        figures["store_s"] = round(time.perf_counter() - started, 1)
        mark = time.perf_counter()
        memory.directory.refresh()
        figures["people_s"] = round(time.perf_counter() - mark, 1)
        mark = time.perf_counter()
        figures["embedded"] = memory.embed_pending(batch=1024)
        figures["embed_s"] = round(time.perf_counter() - mark, 1)
        figures["chunks"] = memory.stats().chunks
    figures["db_bytes"] = sum(p.stat().st_size for p in folder.glob("*.db*"))
    marker.write_text(json.dumps(figures))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifelog.bench.scale_build")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(build(args.folder, args.count, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
