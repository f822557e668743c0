"""Vector-index tests: real encrypted stores and the real static model (distilled once per
machine into the model cache, then loaded once per test session)."""

from __future__ import annotations

import pytest

from lifelog.models.embeddings import StaticEmbedder, get_embedder


@pytest.fixture(autouse=True)
def _no_embed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_EMBED_MODEL", "LIFELOG_EMBED_BASE_URL", "LIFELOG_EMBED_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def static() -> StaticEmbedder:
    pytest.importorskip("model2vec")
    embedder = get_embedder("static")
    assert isinstance(embedder, StaticEmbedder)
    return embedder
