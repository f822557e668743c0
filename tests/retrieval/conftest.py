"""Retrieval tests: real memories on real SQLCipher files; lexical unless a test embeds."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _lexical_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_EMBED_BASE_URL", "LIFELOG_EMBED_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
