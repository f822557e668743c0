"""One JSON error shape everywhere: lifelog's errors, the framework's, unexpected ones."""

from __future__ import annotations

from typing import Any

import pytest
from server_helpers import AUTH
from starlette.testclient import TestClient

from lifelog import Memory, ModelError
from lifelog.errors import StoreError


def shape(response: Any, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    assert body["error"]["type"] == kind
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["message"])


def test_framework_errors_are_reshaped(client: TestClient) -> None:
    shape(client.get("/api/nothing-here", headers=AUTH), 404, "not_found")
    shape(client.patch("/api/stats", headers=AUTH), 405, "method_not_allowed")
    message = shape(
        client.get("/api/search", params={"limit": "many"}, headers=AUTH), 422, "validation_error"
    )
    assert "limit" in message
    bad_body = client.post("/v1/chat/completions", json={"messages": []}, headers=AUTH)
    assert "messages" in shape(bad_body, 422, "validation_error")
    shape(client.post("/api/forget", content=b"{not json", headers=AUTH), 422, "validation_error")


def test_lifelog_errors_map_onto_statuses(client: TestClient) -> None:
    message = shape(client.get("/api/items/000000000000", headers=AUTH), 404, "not_found")
    assert "000000000000" in message
    assert "invalid date" in shape(
        client.get("/api/search", params={"q": "x", "since": "2023-13"}, headers=AUTH),
        400,
        "invalid_request",
    )
    question = {"messages": [{"role": "assistant", "content": "hello"}]}
    shape(client.post("/v1/chat/completions", json=question, headers=AUTH), 400, "invalid_request")
    effort = {"messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "extreme"}
    shape(client.post("/v1/chat/completions", json=effort, headers=AUTH), 400, "invalid_request")
    key = {"llm": {"backend": "openai", "api_key": "sk-secret"}}
    assert "never stored" in shape(
        client.put("/api/settings", json=key, headers=AUTH), 400, "invalid_config"
    )


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (ModelError("the model server at http://127.0.0.1:1 is unreachable"), 502, "model_error"),
        (StoreError("the store is damaged"), 500, "store_error"),
        (RuntimeError("secret internals /home/me/.key"), 500, "server_error"),
    ],
)
def test_failures_keep_the_shape_and_hide_internals(
    client: TestClient, memory: Memory, error: Exception, status: int, kind: str
) -> None:
    def fail() -> None:
        raise error

    memory.stats = fail  # type: ignore[method-assign,assignment]
    message = shape(client.get("/api/stats", headers=AUTH), status, kind)
    assert "secret internals" not in message


def test_guard_errors_have_the_same_shape(client: TestClient) -> None:
    shape(client.get("/api/stats"), 401, "unauthorized")
    shape(client.get("/api/stats", headers={**AUTH, "host": "evil.example"}), 403, "forbidden")
