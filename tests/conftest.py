"""Shared fixtures: real memories on real SQLCipher files in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
LOCOMO_DEV = REPO.parent / "shared" / "benchmarks" / "locomo" / "locomo_dev.json"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test touches the user's real memory, key or config."""
    for name in ("LIFELOG_HOME", "LIFELOG_PASSPHRASE", "LIFELOG_KEY_FILE", "LIFELOG_ME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    # extractive answers unless a test asks for a model (tests/answer, tests/models do)
    monkeypatch.setenv("LIFELOG_LLM_MODEL", "none")


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is absent")
    return SAMPLES


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[object]:
    from lifelog import Memory

    with Memory.init(tmp_path / "memory") as mem:
        yield mem


@pytest.fixture(scope="session")
def soft_matcher() -> object:
    """Soft word matching over the real static model's token table."""
    pytest.importorskip("model2vec")
    from lifelog.models.embeddings import StaticEmbedder, get_embedder
    from lifelog.models.softmatch import SoftMatcher

    embedder = get_embedder("static")
    assert isinstance(embedder, StaticEmbedder)
    return SoftMatcher(embedder)
