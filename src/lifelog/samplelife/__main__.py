"""``python -m lifelog.samplelife OUT_DIR [--scale X] [--seed N]``: write the sample life."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lifelog.samplelife",
        description="Write a fictional person's 2019-2024 archive in real export formats.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write into (created if needed)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size factor (1.0: about 4 MB; 60: about 215 MB)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be positive")
    started = time.perf_counter()
    life = generate(args.out_dir, seed=args.seed, scale=args.scale)
    elapsed = time.perf_counter() - started
    megabytes = life.total_bytes / 1e6
    print(
        f"wrote {len(life.files)} files, {megabytes:.1f} MB, to {life.root} "
        f"in {elapsed:.2f} s ({megabytes / max(elapsed, 1e-9):.0f} MB/s)"
    )
    for fact in life.facts:
        print(f"  {fact.question}  ->  {fact.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
