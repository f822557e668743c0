"""The web UI's pages as plain HTML (no JavaScript): each renders, escapes what it shows,
and its forms work."""

from __future__ import annotations

import re

import pytest
from server_helpers import AUTH, BASE, CAMPING
from starlette.testclient import TestClient

from lifelog import Item, Memory

PAGES = ["/", "/search", "/search?q=Lisbon&source=mbox", "/timeline", "/timeline?month=2023-06"]
PAGES += ["/timeline?day=2023-06-30", "/people", "/people?q=priya", "/ingest", "/settings"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_its_landmarks(client: TestClient, path: str) -> None:
    page = client.get(path, headers=AUTH)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<main id="main"' in html and 'href="#main"' in html and "<h1" in html
    assert 'aria-current="page"' in html or path.startswith("/items")
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no asset or link leaves the server"
    for control in re.findall(r'<(?:input|select|textarea)[^>]*id="([^"]+)"', html):
        assert f'for="{control}"' in html, f"{path}: #{control} has no label"


def test_the_chat_answers_without_javascript(client: TestClient) -> None:
    page = client.post("/", data={"q": CAMPING}, headers=AUTH).text
    assert "Peneda-Gerês" in page
    link = re.search(r'<a class="cite" href="/items/(\w+)" data-item="\1"', page)
    assert link, "the [1] in the answer links to its item"
    item = client.get(f"/items/{link.group(1)}", headers=AUTH).text
    assert "Peneda-Gerês" in item and "Where it came from" in item
    fragment = client.get(f"/items/{link.group(1)}?fragment=1", headers=AUTH).text
    assert "<html" not in fragment and "Peneda-Gerês" in fragment


def test_text_from_the_memory_is_escaped(client: TestClient, memory: Memory) -> None:
    hostile = Item(
        source="notes",
        key="xss.md",
        kind="note",
        title="<script>alert(1)</script>",
        text="<img src=x onerror=alert(1)> zanzibar",
    )
    memory.store.upsert([hostile], origin=None, run_id=None)
    for path in ("/search?q=zanzibar", f"/items/{hostile.id}"):
        html = client.get(path, headers=AUTH).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html or "&lt;img" in html


def test_a_missing_item_is_a_404_page(client: TestClient) -> None:
    page = client.get("/items/000000000000", headers=AUTH)
    assert page.status_code == 404 and "no item" in page.text


def test_forget_from_the_item_page(client: TestClient, memory: Memory) -> None:
    hit = memory.search("Peneda", limit=1)[0]
    done = client.post(
        f"/items/{hit.item.id}/forget",
        headers={**AUTH, "origin": BASE},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "is forgotten" in done.text
    assert memory.search("Peneda") == []


def test_the_settings_form_saves_and_reports_mistakes(client: TestClient, memory: Memory) -> None:
    form = {"backend": "none", "model": "", "base_url": "", "max_tokens": "200"}
    saved = client.post("/settings", data=form, headers={**AUTH, "origin": BASE})
    assert saved.status_code == 200 and "Saved." in saved.text
    assert memory.config.settings["llm"] == {"backend": "none", "max_tokens": 200}
    wrong = client.post("/settings", data={"max_tokens": "lots"}, headers={**AUTH, "origin": BASE})
    assert "is not a int" in wrong.text or "max_tokens" in wrong.text
    assert memory.config.settings["llm"]["max_tokens"] == 200
