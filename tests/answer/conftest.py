"""A small life in a real encrypted memory; the model is scripted or the real SmolLM2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from answer_life import LIFE

from lifelog import Memory


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_LLM_BASE_URL", "LIFELOG_LLM_MODEL", "LIFELOG_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def life(tmp_path: Path) -> Iterator[Memory]:
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(LIFE, origin=None, run_id=None)
        yield memory
