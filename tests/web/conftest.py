"""Browser tests: Debian's chromium driven by Playwright against a real server.

Skipped, with the reason, when /usr/bin/chromium is absent (``make chromium``
installs it). Playwright never downloads a browser here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_helpers import make_memory, running  # noqa: E402

from lifelog import Memory  # noqa: E402
from lifelog.samplelife import generate  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--headless"]


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_LLM_BASE_URL", "LIFELOG_LLM_MODEL", "LIFELOG_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make chromium` (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def web_memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    life = tmp_path_factory.mktemp("life")
    generate(life, scale=0.05)
    with make_memory(tmp_path_factory.mktemp("web") / "memory", life) as memory:
        yield memory


@pytest.fixture(scope="module")
def server(web_memory: Memory) -> Iterator[str]:
    with running(web_memory) as url:
        yield url
