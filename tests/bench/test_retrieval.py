"""The retrieval benchmark runs end to end on a small sample life."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog.bench.retrieval import measure_retrieval


def test_measure_retrieval_on_a_small_life(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")  # lexical: fast, no model
    figures = measure_retrieval(tmp_path, scale=0.2, count=20)
    assert figures.items > 100 and figures.embedded == 0 and figures.embedder == "none"
    assert figures.questions == 20 + figures.facts
    assert 0 < figures.hybrid_p50_ms <= figures.hybrid_p95_ms <= figures.hybrid_max_ms
    assert figures.facts_found >= figures.facts - 1  # the facts are found by their words
    assert set(figures.as_dict()) >= {"hybrid_p95_ms", "lexical_p95_ms", "facts_found"}
