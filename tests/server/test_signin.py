"""Issue 10, finding 7: the token never sits in a browser's address bar, history or pages.

``/?token=…`` stayed in the browser's history and ``/settings`` showed the whole token
to any cookie session. Signing in is the form (a POST) or a one-time link printed by
``lifelog serve`` (``/login?code=…``): the code is good once, so the history keeps
nothing that signs anyone in.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from server_helpers import AUTH, BASE, TOKEN, free_port
from starlette.testclient import TestClient

from lifelog import Memory
from lifelog.server.auth import COOKIE, TOKEN_FILE


def test_a_token_in_the_address_does_not_sign_in(client: TestClient) -> None:
    page = client.get(f"/?token={TOKEN}", headers={"accept": "text/html"})
    assert page.status_code == 401 and 'name="token"' in page.text  # the sign-in form
    assert COOKIE not in client.cookies and "set-cookie" not in page.headers
    assert client.get("/api/stats").status_code == 401


def test_the_sign_in_link_holds_a_code_good_once(client: TestClient) -> None:
    access = client.app.state.lifelog.access  # type: ignore[attr-defined]
    code = access.sign_in_code()
    assert TOKEN not in code and len(code) >= 22
    signed = client.get(f"/login?code={code}&next=/timeline", headers={"accept": "text/html"})
    assert signed.status_code == 200
    assert "HttpOnly" in signed.headers["set-cookie"]
    assert 'content="0;url=/timeline"' in signed.text  # reloads without the code
    assert code not in signed.text and TOKEN not in signed.text
    assert client.get("/timeline").status_code == 200
    client.cookies.clear()
    again = client.get(f"/login?code={code}", headers={"accept": "text/html"})
    assert again.status_code == 401 and "set-cookie" not in again.headers
    assert "used" in again.text  # says why
    assert client.get("/api/stats").status_code == 401


def test_a_sign_in_code_expires(client: TestClient) -> None:
    access = client.app.state.lifelog.access  # type: ignore[attr-defined]
    code = access.sign_in_code(ttl=0.0)
    time.sleep(0.01)
    assert client.get(f"/login?code={code}").status_code == 401
    assert COOKIE not in client.cookies


def test_the_settings_page_does_not_show_the_token(client: TestClient, memory: Memory) -> None:
    for headers in (AUTH, {}):
        if not headers:  # a cookie session, as a browser has
            client.post("/login", data={"token": TOKEN}, headers={"origin": BASE})
        html = client.get("/settings", headers=headers).text
        assert TOKEN not in html
        assert TOKEN[:12] not in html and TOKEN[-12:] not in html
        assert f"…{TOKEN[-4:]}" in html  # which token, to tell it from another
        assert str(Path(memory.home) / TOKEN_FILE) in html  # where to read it


def _serve_until_sign_in_line(home: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lifelog.cli", "serve", "--memory", str(home), "--port", str(port)],
        env={**os.environ, "LIFELOG_LLM_MODEL": "none", "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout or ()])
    reader.daemon = True
    reader.start()
    printed = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        printed += line
        if "sign in" in line:
            return process, printed
    process.kill()
    raise AssertionError(f"no sign-in line in:\n{printed}")


@pytest.mark.parametrize("first", [True, False], ids=["first-start", "later-start"])
def test_lifelog_serve_prints_a_one_time_sign_in_link(memory: Memory, first: bool) -> None:
    home = Path(memory.home)
    memory.close()
    if not first:
        (home / TOKEN_FILE).write_text("a-token-made-before-0123456789\n")
        (home / TOKEN_FILE).chmod(0o600)
    port = free_port()
    process, printed = _serve_until_sign_in_line(home, port)
    try:
        token = (home / TOKEN_FILE).read_text().strip()
        link = re.search(r"(http://127\.0\.0\.1:\d+/login\?code=[\w-]+)", printed)
        assert link, printed
        assert token not in link.group(1) and "token=" not in printed
        deadline = time.monotonic() + 30
        while True:
            try:
                signed = httpx.get(link.group(1), headers={"accept": "text/html"}, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert signed.status_code == 200 and COOKIE in signed.cookies
        cookies = {COOKIE: signed.cookies[COOKIE]}
        stats = httpx.get(f"http://127.0.0.1:{port}/api/stats", cookies=cookies, timeout=5)
        assert stats.status_code == 200
        reused = httpx.get(link.group(1), headers={"accept": "text/html"}, timeout=5)
        assert reused.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
