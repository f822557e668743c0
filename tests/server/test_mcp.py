"""The MCP SDK's own client lists and calls the tools, and reads items as resources,
over stdio (``lifelog mcp`` as a subprocess) and over streamable HTTP (``/mcp``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult, TextContent, TextResourceContents
from server_helpers import AUTH, CAMPING

from lifelog import Memory

TOOLS = {"search_memory", "get_item", "timeline", "ask"}


def payload(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    [content] = result.content
    assert isinstance(content, TextContent)
    data: dict[str, Any] = json.loads(content.text)
    return data


async def exercise(client: Client, *, generative: bool) -> None:
    tools = await client.list_tools()
    assert {t.name for t in tools.tools} == TOOLS
    for tool in tools.tools:
        assert tool.description and tool.input_schema["type"] == "object"

    found = payload(await client.call_tool("search_memory", {"query": "Peneda camping"}))
    hit = found["hits"][0]
    assert "Peneda" in hit["snippet"] and hit["uri"] == f"lifelog://item/{hit['id']}"

    narrowed = payload(
        await client.call_tool(
            "search_memory", {"query": "Lisbon", "sources": ["mbox"], "since": "2021"}
        )
    )
    assert narrowed["hits"] and {h["source"] for h in narrowed["hits"]} == {"mbox"}

    item = payload(await client.call_tool("get_item", {"id": hit["id"]}))
    assert "Peneda" in item["text"] and item["origin"]

    missing = await client.call_tool("get_item", {"id": "000000000000"})
    assert missing.is_error

    months = payload(await client.call_tool("timeline", {"since": "2023", "until": "2023"}))
    assert months["counts"] and all(c["period"].startswith("2023") for c in months["counts"])
    assert months["items"][0]["date"].startswith("2023")

    answer = payload(await client.call_tool("ask", {"question": CAMPING}))
    assert "Peneda-Gerês" in answer["text"] and answer["citations"]
    assert answer["citations"][0]["uri"].startswith("lifelog://item/")
    assert answer["mode"] == ("generative" if generative else "extractive")

    templates = await client.list_resource_templates()
    assert [t.uri_template for t in templates.resource_templates] == ["lifelog://item/{id}"]
    read = await client.read_resource(f"lifelog://item/{hit['id']}")
    [content] = read.contents
    assert isinstance(content, TextResourceContents)
    assert "source: whatsapp" in content.text and "Peneda" in content.text


def test_mcp_over_stdio(memory: Memory, tmp_path: Path) -> None:
    home = Path(memory.home)
    memory.close()  # the subprocess opens the memory itself
    env = {
        **os.environ,
        "LIFELOG_LLM_MODEL": "none",  # extractive answers: no model is loaded
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "lifelog.cli", "mcp", "--memory", str(home)], env=env
    )

    async def main() -> None:
        with anyio.fail_after(60):
            async with Client(params) as client:
                await exercise(client, generative=False)

    anyio.run(main)


def test_mcp_over_http_with_the_token(server: str) -> None:
    async def main() -> None:
        with anyio.fail_after(60):
            async with create_mcp_http_client(headers=dict(AUTH)) as http:
                transport = streamable_http_client(f"{server}/mcp", http_client=http)
                async with Client(transport) as client:
                    await exercise(client, generative=True)

    anyio.run(main)


@pytest.mark.parametrize(
    ("extra", "status"),
    [({}, 401), ({**AUTH, "Origin": "http://evil.example"}, 403)],
    ids=["no-token", "foreign-origin"],
)
def test_mcp_over_http_is_guarded(server: str, extra: dict[str, str], status: int) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    response = httpx.post(
        f"{server}/mcp",
        json=request,
        headers={"accept": "application/json, text/event-stream", **extra},
    )
    assert response.status_code == status
    assert response.json()["error"]["type"] in ("unauthorized", "forbidden")
