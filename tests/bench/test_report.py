"""docs/benchmarks.md assembled from what ``python -m lifelog.bench`` measured and the
files the other benchmarks write (docs/benchmarks-*.md), without running anything."""

from __future__ import annotations

from pathlib import Path

from lifelog.bench.report import EXTRAS_MARK, main


def test_assembling_keeps_the_measured_part_and_takes_the_files_as_they_are_now(
    tmp_path: Path,
) -> None:
    out = tmp_path / "benchmarks.md"
    (tmp_path / "benchmarks-b.md").write_text("## B\n\nold b\n")
    (tmp_path / "benchmarks-a.md").write_text("## A\n\nа, 가, ا\n")
    # a file written before the mark existed: measured part, then the extras
    out.write_text("# Benchmarks\n\n## Measured\n\n| x | 1 |\n\n## A\n\nstale\n\n## B\n\nold b\n")
    assert main(["--out", str(out), "--assemble"]) == 0
    first = out.read_text()
    assert first.startswith("# Benchmarks\n\n## Measured\n\n| x | 1 |\n")
    assert first.count(EXTRAS_MARK) == 1 and "stale" not in first
    assert first.index("## A") < first.index("## B") and "а, 가, ا" in first
    # run again after a benchmark rewrote its file: only that file's part changes
    (tmp_path / "benchmarks-b.md").write_text("## B\n\nnew b\n")
    assert main(["--out", str(out), "--assemble"]) == 0
    assert out.read_text() == first.replace("old b", "new b")
