"""Fixtures: a small real memory (the bundled sample life), the app over it, a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from server_helpers import BASE, PORT, TOKEN, make_memory, running
from starlette.testclient import TestClient

from lifelog import Memory
from lifelog.samplelife import generate
from lifelog.server.app import create_app


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
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


@pytest.fixture
def memory(tmp_path: Path, life_dir: Path) -> Iterator[Memory]:
    with make_memory(tmp_path / "memory", life_dir) as mem:
        yield mem


@pytest.fixture
def app(memory: Memory) -> FastAPI:
    return create_app(memory, token=TOKEN, port=PORT)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def server(memory: Memory) -> Iterator[str]:
    with running(memory) as url:
        yield url
