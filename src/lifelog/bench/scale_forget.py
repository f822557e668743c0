"""``python -m lifelog.bench.scale_forget MEMORY``: forgetting and rebuilding at 10M chunks.

Issue 13, item 5, on a memory built by :mod:`.scale_build` (the search benchmark's): the
oldest ``--items`` emails are forgotten as ``lifelog forget`` forgets (the store, the word
index merged so that their words leave it, people, vectors and the approximate index,
the bytes overwritten), then the word index is rebuilt from the store. Both change the
memory, so it is run last, on a memory the search benchmark has done with: its
``built.json`` is removed first, so that no later benchmark takes it for the built life.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ..index.rebuild import rebuild_words
from ..memory import Memory
from .report import machine, peak_rss

__all__ = ["main"]


def forget_and_rebuild(folder: Path, items: int, *, rebuild: bool = True) -> dict[str, Any]:
    """Forget ``items`` emails of the memory in ``folder`` and rebuild its word index."""
    (folder / "built.json").unlink(missing_ok=True)
    figures: dict[str, Any] = {"machine": machine()}
    with Memory.open(folder) as memory:
        conn = memory.store.conn
        with memory.store.lock:
            figures["items_before"] = memory.store.count()
            figures["chunks_before"] = int(
                conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            )
            ids = [
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM items WHERE kind = 'email' ORDER BY rowid LIMIT ?", (items,)
                )
            ]
        started, cpu = time.perf_counter(), time.process_time()
        removed = memory.forget(ids)
        figures["forget_s"] = round(time.perf_counter() - started, 2)
        figures["forget_cpu_s"] = round(time.process_time() - cpu, 2)
        figures["forgotten"] = removed
        with memory.store.lock:
            left = sum(
                int(
                    conn.execute(
                        f"SELECT count(*) FROM items WHERE id IN ({','.join('?' * len(part))})",
                        part,
                    ).fetchone()[0]
                )
                for part in (ids[i : i + 500] for i in range(0, len(ids), 500))
            )
        figures["left"] = left
        print(
            f"forget {removed:,} of {figures['items_before']:,} items:"
            f" {figures['forget_s']} s (CPU {figures['forget_cpu_s']} s), {left} left",
            flush=True,
        )
        if rebuild:
            started = time.perf_counter()
            chunks = rebuild_words(memory.store)
            figures["rebuild_chunks"] = chunks
            figures["rebuild_s"] = round(time.perf_counter() - started, 1)
            print(f"rebuild the word index: {chunks:,} chunks in {figures['rebuild_s']} s")
    figures["peak_rss"] = peak_rss()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lifelog.bench.scale_forget", description=__doc__
    )
    parser.add_argument("memory", type=Path)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = forget_and_rebuild(args.memory, args.items, rebuild=not args.no_rebuild)
    print(json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
