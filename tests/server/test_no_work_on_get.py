"""Issue 10, finding 8: a GET never answers, ingests, forgets nor changes settings.

A page on another port of the same host (``<img src="http://127.0.0.1:8765/?q=…">``)
reaches the server with the session cookie (SameSite ignores ports) and without an
Origin header: nothing it can ask for by GET may cost model time or change anything.
Asking without JavaScript is a POST, which the guard checks for an Origin like every
cookie-authenticated change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from server_helpers import BASE, CAMPING, TOKEN
from starlette.testclient import TestClient
from test_guard import route_table

from lifelog import Memory


@pytest.fixture
def asked(memory: Memory, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every question the memory was asked, by any path (answered or streamed)."""
    questions: list[str] = []
    ask, ask_stream = memory.ask, memory.ask_stream

    def counting_ask(question: str, **options: Any) -> Any:
        questions.append(question)
        return ask(question, **options)

    def counting_stream(question: str, **options: Any) -> Any:
        questions.append(question)
        return ask_stream(question, **options)

    monkeypatch.setattr(memory, "ask", counting_ask)
    monkeypatch.setattr(memory, "ask_stream", counting_stream)
    return questions


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A signed-in browser session: the cookie, no bearer token."""
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        signed = client.post("/login", data={"token": TOKEN, "next": "/"}, headers={"origin": BASE})
        assert signed.status_code == 200
        yield client


def _fingerprint(memory: Memory) -> tuple[int, str]:
    config = (Path(memory.home) / "memory.json").read_bytes()
    return memory.count(), hashlib.sha256(config).hexdigest()


def test_a_get_with_a_question_only_shows_the_form(browser: TestClient, asked: list[str]) -> None:
    # what an <img> on http://127.0.0.1:9999/ sends: the cookie, no Origin
    page = browser.get("/", params={"q": CAMPING, "reasoning": "high"})
    assert page.status_code == 200
    assert asked == [], "a GET must not run an answer"
    assert "Peneda-Gerês" not in page.text
    assert "Where did we go camping in 2023?</textarea>" in page.text  # kept for the form


def test_asking_without_javascript_is_a_post_with_an_origin(
    browser: TestClient, asked: list[str]
) -> None:
    html = browser.get("/").text
    form = re.search(r'<form id="ask-form"[^>]*>', html)
    assert form and 'method="post"' in form.group(0)
    refused = browser.post("/", data={"q": CAMPING})  # no Origin: a cross-site form post
    assert refused.status_code == 403 and asked == []
    foreign = browser.post("/", data={"q": CAMPING}, headers={"origin": "http://127.0.0.1:9999"})
    assert foreign.status_code == 403 and asked == []
    answered = browser.post("/", data={"q": CAMPING, "reasoning": "off"}, headers={"origin": BASE})
    assert answered.status_code == 200 and set(asked) == {CAMPING}
    assert "Peneda-Gerês" in answered.text
    assert re.search(r'<a class="cite" href="/items/(\w+)" data-item="\1"', answered.text)


def _get_routes(app: FastAPI) -> list[str]:
    paths = sorted({path for method, path in route_table(app) if method == "GET"})
    # /mcp's GET opens a server-sent event stream that waits for messages
    return [p for p in paths if p != "/mcp"]


def test_no_get_route_answers_or_changes_anything(
    app: FastAPI, browser: TestClient, memory: Memory, asked: list[str]
) -> None:
    """Every GET of the app, with the parameters a hostile page would add."""
    before = _fingerprint(memory)
    params = {
        "q": CAMPING,
        "question": CAMPING,
        "reasoning": "high",
        "ids": "x",
        "backend": "openai",
        "base_url": "http://evil.example/v1",
        "confirm_host": "evil.example",
    }
    routes = _get_routes(app)
    assert "/" in routes and "/api/search" in routes and "/settings" in routes
    for path in routes:
        browser.get(path, params=params)
        assert asked == [], f"GET {path} ran an answer"
        assert _fingerprint(memory) == before, f"GET {path} changed the memory or its settings"
