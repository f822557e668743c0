"""``python -m lifelog.bench.scale_ingest`` end to end on a small sample life."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog.bench import scale_ingest


@pytest.mark.bench
def test_the_scale_benchmark_writes_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "benchmarks-scale-ingest.md"
    argv = ["--scale", "0.3", "--repeat", "1", "--workers", "2", "--out", str(out)]
    assert scale_ingest.main(argv) == 0
    text = out.read_text()
    for row in ("raw FTS5 insert", "store path", "one parsing process", "2 parsing processes"):
        assert row in text
    assert "Item text:" in text and " 0 left." in text and "Rebuild the word index" in text
    assert "run 1 ingest2" in capsys.readouterr().out
