"""Issue 10, finding 7 in a real browser: after signing in, by the printed link or by the
form, nothing in the browser's own history database holds the token, and the address
bar shows a clean URL."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from server_helpers import TOKEN, free_port

from conftest import ARGS, CHROMIUM
from lifelog import Memory
from lifelog.server.app import create_app


@contextmanager
def serving(memory: Memory) -> Iterator[tuple[str, Any]]:
    """A real server on loopback; yields its URL and its access rules."""
    port = free_port()
    app = create_app(memory, token=TOKEN, port=port)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app.state.lifelog.access
    finally:
        server.should_exit = True
        thread.join(10)


def _history_urls(profile: Path) -> list[str]:
    """Every URL in the profile's History database (read from a copy: Chromium locks it)."""
    found: list[str] = []
    for path in profile.rglob("History"):
        copy = Path(tempfile.mkdtemp()) / "History"
        shutil.copy(path, copy)
        with sqlite3.connect(copy) as db:
            found += [row[0] for row in db.execute("SELECT url FROM urls")]
    return found


def test_the_browser_history_never_holds_the_token(web_memory: Memory, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make chromium` (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path / "profile"
    with serving(web_memory) as (url, access), sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        tab = context.new_page()
        code = access.sign_in_code()
        tab.goto(f"{url}/login?code={code}&next=/timeline")
        tab.wait_for_url(f"{url}/timeline", timeout=15_000)  # the code left the address
        assert tab.locator("h1").first.is_visible()
        tab.goto(f"{url}/settings")
        assert TOKEN not in tab.content()
        # signed out, the form signs in again (a POST: no token in any address)
        tab.click("footer button[type=submit]")
        tab.wait_for_selector("#token", timeout=15_000)
        tab.fill("#token", TOKEN)
        tab.click("button[type=submit]")
        tab.wait_for_selector("#question", timeout=15_000)
        assert TOKEN not in tab.url
        # the spent link signs no one in
        context.clear_cookies()
        again = tab.goto(f"{url}/login?code={code}")
        assert again is not None and again.status == 401
        context.close()
    urls = _history_urls(profile)
    assert any("/timeline" in u for u in urls), urls  # the history was written
    assert not [u for u in urls if TOKEN in u]
