"""The official ``openai`` client and plain curl get cited answers from a real server."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import httpx
import openai
import pytest
from server_helpers import AUTH, CAMPING, TOKEN, sse_events, use_llm

from lifelog import Memory
from lifelog.models.testing import ScriptedLLM


def client_for(server: str, token: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key=token, max_retries=0, timeout=30)


def check_citations(server: str, citations: list[dict[str, Any]]) -> None:
    assert citations
    for citation in citations:
        assert {"item_id", "date", "source", "snippet", "number"} <= set(citation)
        item = httpx.get(f"{server}/api/items/{citation['item_id']}", headers=AUTH).json()
        assert citation["snippet"] in item["text"]


def test_models_are_listed(server: str) -> None:
    client = client_for(server)
    assert [m.id for m in client.models.list()] == ["lifelog", "lifelog-extractive"]
    assert client.models.retrieve("lifelog").owned_by == "lifelog"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_a_cited_answer_without_streaming(server: str) -> None:
    completion = client_for(server).chat.completions.create(
        model="lifelog", messages=[{"role": "user", "content": CAMPING}]
    )
    message = completion.choices[0].message
    assert message.content and "Peneda-Gerês" in message.content
    assert "[1]" in message.content and "\nSources:\n[1] 2023-" in message.content
    extra = message.model_extra or {}
    check_citations(server, extra["citations"])
    assert (completion.model_extra or {})["citations"] == extra["citations"]
    assert completion.choices[0].finish_reason == "stop" and completion.usage


def test_a_cited_answer_streamed(server: str) -> None:
    stream = client_for(server).chat.completions.create(
        model="lifelog",
        messages=[{"role": "user", "content": CAMPING}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    final: dict[str, Any] = {}
    usage = None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        if not chunk.choices:
            continue
        if chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices[0].finish_reason:
            final = chunk.model_extra or {}
    text = "".join(pieces)
    assert len(pieces) > 5, "streamed in pieces"
    assert "Peneda-Gerês" in text and "[1]" in text and "Sources:" in text
    assert text.split("\n\nSources:\n")[0] == final["lifelog"]["text"]
    check_citations(server, final["citations"])
    assert final["lifelog"]["mode"] == "generative"
    assert usage is not None and usage.total_tokens > 0


def test_a_conversation_and_reasoning_effort(server: str, memory: Memory) -> None:
    llm = ScriptedLLM(['{"tool": "search", "query": "camping 2023"}', "unused"])
    use_llm(memory, llm)
    completion = client_for(server).chat.completions.create(
        model="lifelog",
        reasoning_effort="low",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "Who is Priya?"},
            {"role": "assistant", "content": "A friend [1].\n\nSources:\n[1] 2020 whatsapp"},
            {"role": "user", "content": [{"type": "text", "text": CAMPING}]},
        ],
    )
    assert completion.choices[0].message.content
    assert llm.options and llm.options[0]["reasoning"] == "low"
    prompt = json.dumps(llm.calls[0])
    assert "Who is Priya?" in prompt and "Sources:" not in prompt


def test_the_extractive_model_quotes_without_generating(server: str, memory: Memory) -> None:
    completion = client_for(server).chat.completions.create(
        model="lifelog-extractive",
        messages=[{"role": "user", "content": "When did I move to Lisbon?"}],
    )
    assert (completion.model_extra or {})["lifelog"]["mode"] == "extractive"
    assert "14 March 2021" in (completion.choices[0].message.content or "")


def test_an_unsupported_draft_is_never_streamed(server: str, memory: Memory) -> None:
    # the same unsupported draft at the second look
    use_llm(memory, ScriptedLLM(["You went camping on the Moon with 40 astronauts [1]."] * 2))
    stream = client_for(server).chat.completions.create(
        model="lifelog", messages=[{"role": "user", "content": CAMPING}], stream=True
    )
    chunks = [c for c in stream if c.choices]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Moon" not in text and "Peneda-Gerês" in text
    final = chunks[-1].model_extra or {}
    assert final["lifelog"]["mode"] == "extractive-fallback"
    assert any("replaced by quotes" in note for note in final["lifelog"]["notes"])


def test_the_client_without_the_token_is_refused(server: str) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        client_for(server, token="wrong-token-wrong-token").models.list()
    assert raised.value.status_code == 401


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    return subprocess.run(
        ["curl", "-sS", "--max-time", "30", *args], capture_output=True, text=True, check=True
    )


def test_plain_curl_gets_a_cited_answer(server: str) -> None:
    body = json.dumps({"model": "lifelog", "messages": [{"role": "user", "content": CAMPING}]})
    done = curl(
        f"{server}/v1/chat/completions",
        "-H",
        f"Authorization: Bearer {TOKEN}",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
    )
    answer = json.loads(done.stdout)
    assert "Peneda-Gerês" in answer["choices"][0]["message"]["content"]
    assert answer["citations"][0]["source"] == "whatsapp"


def test_plain_curl_streams(server: str) -> None:
    body = json.dumps(
        {"model": "lifelog", "stream": True, "messages": [{"role": "user", "content": CAMPING}]}
    )
    done = curl(
        "-N",
        f"{server}/v1/chat/completions",
        "-H",
        f"Authorization: Bearer {TOKEN}",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
    )
    events = [data for _event, data in sse_events(iter(done.stdout.splitlines()))]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert "Peneda-Gerês" in text
    assert chunks[-1]["citations"][0]["source"] == "whatsapp"


def test_plain_curl_without_the_token_gets_401(server: str) -> None:
    done = curl("-w", "\n%{http_code}", f"{server}/v1/models")
    body, status = done.stdout.rsplit("\n", 1)
    assert status == "401" and json.loads(body)["error"]["type"] == "unauthorized"
