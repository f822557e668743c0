"""``lifelog serve`` as a user runs it: the token made and printed once, kept 0600, the
printed addresses answering plain curl, LIFELOG_TOKEN taking over."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from server_helpers import free_port

from lifelog import Memory
from lifelog.server.auth import TOKEN_FILE


def run_serve(home: Path, check: Callable[[str], None], **env: str) -> str:
    """Start ``lifelog serve``, call ``check(base_url)`` once it answers, stop it (Ctrl-C);
    return what it printed."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lifelog.cli", "serve", "--memory", str(home), "--port", str(port)],
        env={**os.environ, "LIFELOG_LLM_MODEL": "none", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/v1/models", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("lifelog serve did not start") from None
                time.sleep(0.1)
        check(base)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
    return output


def curl_json(url: str, token: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    body, status = done.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


@pytest.fixture
def home(memory: Memory) -> Path:
    path = Path(memory.home)
    memory.close()  # the server process opens it
    return path


def test_serve_makes_the_token_once_and_the_printed_addresses_answer(home: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")

    def check(base: str) -> None:
        token = (home / TOKEN_FILE).read_text().strip()
        assert curl_json(f"{base}/v1/models", "wrong-token-wrong-token")[0] == 401
        status, body = curl_json(f"{base}/api/search?q=Lisbon", token)
        assert status == 200 and body["hits"]

    first = run_serve(home, check)
    token = (home / TOKEN_FILE).read_text().strip()
    assert stat.S_IMODE((home / TOKEN_FILE).stat().st_mode) == 0o600
    assert token in first and "/login?code=" in first and "http://127.0.0.1:" in first
    assert "token=" not in first  # the sign-in link holds a one-time code, not the token
    assert "/v1" in first and "/mcp" in first
    again = run_serve(home, lambda base: None)
    assert token not in again and TOKEN_FILE in again  # printed once; later, where it is


def test_lifelog_token_replaces_the_file(home: Path) -> None:
    chosen = "my-own-token-0123456789"

    def check(base: str) -> None:
        headers = {"Authorization": f"Bearer {chosen}"}
        assert httpx.get(f"{base}/api/stats", headers=headers).status_code == 200

    output = run_serve(home, check, LIFELOG_TOKEN=chosen)
    assert chosen not in output and not (home / TOKEN_FILE).exists()
