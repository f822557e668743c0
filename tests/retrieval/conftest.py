"""Retrieval tests: real memories on real SQLCipher files; lexical unless a test embeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_life import LIFE, stored

from lifelog import Memory


@pytest.fixture
def life(tmp_path: Path) -> Iterator[Memory]:
    """The fixture corpus (:mod:`fixture_life`), stored."""
    with stored(tmp_path / "memory", LIFE) as memory:
        yield memory


@pytest.fixture(autouse=True)
def _lexical_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_EMBED_BASE_URL", "LIFELOG_EMBED_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
