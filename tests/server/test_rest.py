"""The REST API over a real memory: search and facets, items, timeline, people, stats,
forget, ask as server-sent events, ingest of an uploaded export as a job, settings."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import httpx
from server_helpers import AUTH, CAMPING, sse_events
from starlette.testclient import TestClient

from lifelog import Memory


def test_search_returns_hits_with_snippets_and_facets(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "Lisbon"}, headers=AUTH).json()
    assert body["hits"] and body["total"] >= len(body["hits"])
    first = body["hits"][0]
    assert "lisbon" in first["snippet"].lower()
    assert {"id", "source", "date", "author", "url"} <= set(first["item"])
    sources = {f["value"]: f["count"] for f in body["facets"]["source"]}
    assert sum(sources.values()) == body["total"]
    assert body["facets"]["year"] and body["facets"]["person"]
    narrowed = client.get(
        "/api/search", params={"q": "Lisbon", "source": "mbox", "year": "2021"}, headers=AUTH
    ).json()
    assert narrowed["hits"]
    for hit in narrowed["hits"]:
        assert hit["item"]["source"] == "mbox" and hit["item"]["date"].startswith("2021")
    # each facet counts under the other filters: the other sources stay on offer
    offered = {f["value"]: f["count"] for f in narrowed["facets"]["source"]}
    assert offered["mbox"] == narrowed["total"] and len(offered) > 1
    assert {f["value"] for f in narrowed["facets"]["year"]} > {"2021"}


def test_search_without_words_browses_by_filters(client: TestClient) -> None:
    body = client.get("/api/search", params={"source": "notes", "person": ""}, headers=AUTH).json()
    assert body["hits"] and {h["item"]["source"] for h in body["hits"]} == {"notes"}
    offered = {f["value"]: f["count"] for f in body["facets"]["source"]}
    assert offered["notes"] == body["total"] and "whatsapp" in offered
    assert sum(f["count"] for f in body["facets"]["year"]) == body["total"]


def test_an_item_is_whole_and_says_where_it_came_from(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "Peneda"}, headers=AUTH).json()["hits"][0]
    item = client.get(hit["item"]["url"], headers=AUTH).json()
    assert "Peneda" in item["text"]
    assert item["origin"] and item["locator"] and item["uri"].startswith("file://")
    assert item["id"] == hit["item"]["id"]
    prefix = client.get(f"/api/items/{item['id'][:10]}", headers=AUTH).json()
    assert prefix["id"] == item["id"]


def test_timeline_counts_per_month_and_day(client: TestClient, memory: Memory) -> None:
    months = client.get("/api/timeline", params={"limit": 5}, headers=AUTH).json()
    assert months["total"] == memory.stats().items
    assert all(len(b["period"]) == 7 for b in months["buckets"])
    assert len(months["items"]) == 5
    dates = [i["date"] for i in months["items"]]
    assert dates == sorted(dates)
    busiest = max(months["buckets"], key=lambda b: b["count"])
    days = client.get(
        "/api/timeline",
        params={"granularity": "day", "period": busiest["period"], "limit": 1000},
        headers=AUTH,
    ).json()
    assert sum(b["count"] for b in days["buckets"]) == busiest["count"] == len(days["items"])
    assert all(b["period"].startswith(busiest["period"]) for b in days["buckets"])


def test_people_and_stats(client: TestClient) -> None:
    people = client.get("/api/people", headers=AUTH).json()["people"]
    names = [p["name"] for p in people]
    assert "Priya Shah" in names
    priya = people[names.index("Priya Shah")]
    assert priya["items"] > 0 and priya["first"] <= priya["last"]
    found = client.get("/api/people", params={"q": "priya"}, headers=AUTH).json()["people"]
    assert found and all("priya" in p["name"].lower() for p in found)
    stats = client.get("/api/stats", headers=AUTH).json()
    assert stats["items"] > 100 and set(stats["by_source"]) >= {"mbox", "whatsapp", "notes"}


def test_forget_removes_items_from_search(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "Peneda"}, headers=AUTH).json()["hits"]
    ids = [h["item"]["id"] for h in hits]
    assert client.post("/api/forget", json={"ids": ids}, headers=AUTH).json() == {
        "removed": len(ids)
    }
    assert client.get("/api/search", params={"q": "Peneda"}, headers=AUTH).json()["hits"] == []
    assert client.get(f"/api/items/{ids[0]}", headers=AUTH).status_code == 404
    one = client.get("/api/search", params={"q": "Lisbon"}, headers=AUTH).json()["hits"][0]
    deleted = client.delete(f"/api/items/{one['item']['id']}", headers=AUTH)
    assert deleted.json() == {"removed": 1}


def test_ask_streams_steps_tokens_then_the_cited_answer(client: TestClient) -> None:
    with client.stream("POST", "/api/ask", json={"question": CAMPING}, headers=AUTH) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response.iter_lines()))
    kinds = [e for e, _ in events]
    assert kinds.count("token") > 3 and kinds[-1] == "answer"
    answer = json.loads(events[-1][1])
    assert "Peneda" in answer["text"] and "[1]" in answer["text"]
    [citation] = answer["citations"]
    assert citation["source"] == "whatsapp" and citation["date"].startswith("2023")
    streamed = "".join(json.loads(d)["text"] for e, d in events if e == "token")
    assert streamed == answer["text"]  # only the checked answer is streamed
    plain = client.post("/api/ask", json={"question": CAMPING, "stream": False}, headers=AUTH)
    assert plain.json()["citations"][0]["item_id"] == citation["item_id"]


def _whatsapp_export() -> bytes:
    chat = (
        "12/03/2024, 18:30 - Ana Lima: The new bakery on Rua Augusta sells cardamom buns\n"
        "12/03/2024, 18:31 - Sam Rivera: Let's go on Saturday\n"
        "not a message line at all\n"
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("WhatsApp Chat with Ana Lima.txt", chat)
    return buffer.getvalue()


def test_an_uploaded_export_is_imported_as_a_job_with_sse_progress(
    server: str, memory: Memory
) -> None:
    chat = _whatsapp_export()
    with httpx.Client(base_url=server, headers=AUTH, timeout=30) as http:
        started = http.post(
            "/api/ingest",
            files=[("files", ("../../WhatsApp Chat with Ana Lima.zip", chat, "application/zip"))],
        )
        assert started.status_code == 202, started.text
        job = started.json()["job"]
        assert job["files"] == ["WhatsApp Chat with Ana Lima.zip"]  # no path from the client
        with http.stream("GET", started.json()["events"]) as events:
            seen = [(e, json.loads(d)) for e, d in sse_events(events.iter_lines())]
        assert seen[-1][0] == "done", seen[-1]
        final = seen[-1][1]
        assert final["status"] == "done" and final["progress"] == 1.0
        assert final["report"]["added"] == 2 and final["report"]["by_source"]
        assert {e for e, _ in seen} >= {"progress", "done"}
        assert http.get(f"/api/jobs/{job['id']}").json()["status"] == "done"
        assert http.get("/api/jobs").json()["jobs"][0]["id"] == job["id"]
        hits = http.get("/api/search", params={"q": "cardamom buns"}).json()["hits"]
        assert hits and hits[0]["item"]["author"] == "Ana Lima"
    uploads = Path(memory.home) / "uploads"
    assert not any(uploads.iterdir()), "the plaintext upload is deleted after import"


def test_an_unreadable_upload_fails_its_job_not_the_server(server: str) -> None:
    with httpx.Client(base_url=server, headers=AUTH, timeout=30) as http:
        started = http.post("/api/ingest", files=[("files", ("notes.bin", b"\x00\x01", "x/y"))])
        with http.stream("GET", started.json()["events"]) as events:
            last = list(sse_events(events.iter_lines()))[-1]
        job = json.loads(last[1])
        assert job["status"] == "done" and job["report"]["added"] == 0
        assert job["report"]["unrecognised"] == ["notes.bin"]
        assert http.get("/api/stats").status_code == 200


def test_settings_are_checked_saved_and_never_hold_a_key(
    client: TestClient, memory: Memory
) -> None:
    shown = client.get("/api/settings", headers=AUTH).json()
    assert "none" in shown["backends"] and "local" in shown["backends"]
    new = {"backend": "openai", "base_url": "http://127.0.0.1:11434/v1", "model": "qwen3:8b"}
    saved = client.put("/api/settings", json={"llm": {**new, "max_tokens": "300"}}, headers=AUTH)
    assert saved.status_code == 200
    assert saved.json()["llm"] == {**new, "max_tokens": 300}
    assert saved.json()["effective"]["model"] == "qwen3:8b"
    on_disk = json.loads((Path(memory.home) / "memory.json").read_text())
    assert on_disk["settings"]["llm"]["model"] == "qwen3:8b"
    broken = client.put("/api/settings", json={"llm": {"backend": "openai"}}, headers=AUTH)
    assert broken.status_code == 400
    assert client.get("/api/settings", headers=AUTH).json()["llm"]["model"] == "qwen3:8b"


def test_openapi_describes_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json", headers=AUTH).json()
    paths = schema["paths"]
    for path in ("/v1/chat/completions", "/v1/models", "/api/search", "/api/ingest"):
        assert path in paths
    assert not any(p.startswith("/items") for p in paths)  # web pages are not API


def test_people_come_from_memory_people_when_it_exists(client: TestClient, memory: Memory) -> None:
    from dataclasses import dataclass
    from datetime import UTC, datetime

    @dataclass
    class Person:
        name: str
        count: int
        first_seen: datetime
        aliases: tuple[str, ...]

    seen = datetime(2021, 3, 14, tzinfo=UTC)
    memory.people = lambda: [Person("Priya Shah", 7, seen, ("priya@example.net",))]  # type: ignore[attr-defined]
    [priya] = client.get("/api/people", headers=AUTH).json()["people"]
    assert priya["name"] == "Priya Shah" and priya["items"] == 7
    assert priya["first"] == "2021-03-14" and priya["aliases"] == ["priya@example.net"]
    assert client.get("/api/people", params={"q": "example.net"}, headers=AUTH).json()["people"]
    assert "Priya Shah" in client.get("/people", headers=AUTH).text
