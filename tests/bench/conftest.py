"""Benchmark tests: the benchmarks of ``lifelog.bench`` run end to end on small sample lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog.samplelife import generate


@pytest.fixture(autouse=True)
def _no_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "LIFELOG_EMBED_BASE_URL",
        "LIFELOG_EMBED_API_KEY",
        "LIFELOG_LLM_BASE_URL",
        "LIFELOG_LLM_MODEL",
        "LIFELOG_LLM_API_KEY",
        "LIFELOG_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def life_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("life")
    generate(root, scale=0.05)
    return root
