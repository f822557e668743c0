"""Issue 10, finding 3: the model settings cannot send a secret, or the memory, anywhere
the person has not seen.

``PUT /api/settings`` with ``{"base_url": <any host>, "api_key_env": "LIFELOG_PASSPHRASE"}``
made the server send the passphrase as a bearer token to that host, and ``has_api_key``
told whether any variable existed. Now only a variable named for the purpose
(``LIFELOG_LLM_API_KEY``, ``LIFELOG_LLM_API_KEY_<NAME>``; ``LIFELOG_EMBED_API_KEY…`` for
embeddings) is ever read as a key, and a model server off this machine is accepted from
the web or the API only with a confirmation that names its host; the settings page says
where questions go.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import AUTH, BASE, CAMPING, TOKEN
from starlette.testclient import TestClient

from lifelog import Memory
from lifelog.errors import ConfigError
from lifelog.models.embeddings import resolve_embed_settings
from lifelog.models.llm import resolve_settings

PASSPHRASE = "canary-passphrase-5d41402abc4b2a76"


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def _answer(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps({"error": {"message": "no model here"}}).encode()
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815 - http.server's names

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """An 'OpenAI-compatible server' on loopback that records every request's headers."""
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def real_models(memory: Memory, monkeypatch: pytest.MonkeyPatch) -> Memory:
    """The memory answering with the model its settings name (not the test double)."""
    monkeypatch.delattr(memory, "llm")
    monkeypatch.setenv("LIFELOG_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("HOME_SECRET_TOKEN", PASSPHRASE)
    return memory


@pytest.mark.parametrize("name", ["LIFELOG_PASSPHRASE", "LIFELOG_TOKEN", "HOME", "OPENAI_KEY"])
def test_only_a_variable_named_for_the_purpose_is_a_key(name: str) -> None:
    env = {name: PASSPHRASE, "LIFELOG_LLM_API_KEY": "k1"}
    config = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": name}
    with pytest.raises(ConfigError, match="LIFELOG_LLM_API_KEY"):
        resolve_settings(config, env=env)
    embed = {"model": "openai:e", "base_url": "http://127.0.0.1:9/v1", "api_key_env": name}
    with pytest.raises(ConfigError, match="LIFELOG_EMBED_API_KEY"):
        resolve_embed_settings(embed, env=env)


def test_the_purpose_named_variables_are_keys() -> None:
    env = {"LIFELOG_LLM_API_KEY_OLLAMA": "k-llm", "LIFELOG_EMBED_API_KEY_VLLM": "k-embed"}
    config = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "LIFELOG_LLM_API_KEY_OLLAMA"}
    assert resolve_settings(config, env=env).api_key == "k-llm"
    embed = {"model": "openai:e", "base_url": "http://127.0.0.1:9/v1"}
    embed["api_key_env"] = "LIFELOG_EMBED_API_KEY_VLLM"
    assert resolve_embed_settings(embed, env=env).api_key == "k-embed"
    # a key meant for embeddings is not the answer model's, nor the reverse
    with pytest.raises(ConfigError):
        resolve_settings({**config, "api_key_env": "LIFELOG_EMBED_API_KEY_VLLM"}, env=env)
    assert resolve_settings({"base_url": "http://127.0.0.1:9/v1"}, env={}).api_key is None


def test_the_api_cannot_send_the_passphrase_to_a_model_server(
    client: TestClient,
    real_models: Memory,
    model_server: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen = model_server
    settings = {"backend": "openai", "base_url": url, "model": "m"}
    refused = client.put(
        "/api/settings",
        json={"llm": {**settings, "api_key_env": "LIFELOG_PASSPHRASE"}},
        headers=AUTH,
    )
    assert refused.status_code == 400, refused.text
    assert "LIFELOG_LLM_API_KEY" in refused.json()["error"]["message"]
    probe = client.put(
        "/api/settings", json={"llm": {**settings, "api_key_env": "HOME"}}, headers=AUTH
    )
    assert probe.status_code == 400  # nor does has_api_key tell whether $HOME exists
    client.post("/api/ask", json={"question": CAMPING, "stream": False}, headers=AUTH)
    assert not any(PASSPHRASE in json.dumps(h) for h in seen)
    assert "api_key_env" not in (real_models.config.settings.get("llm") or {})


def test_memory_json_naming_another_variable_sends_nothing(
    client: TestClient,
    real_models: Memory,
    model_server: tuple[str, list[dict[str, str]]],
) -> None:
    """The same rule holds for a memory.json written by hand (or by an old version)."""
    url, seen = model_server
    llm = {"backend": "openai", "base_url": url, "model": "m", "api_key_env": "HOME_SECRET_TOKEN"}
    real_models.config.settings["llm"] = llm
    asked = client.post("/api/ask", json={"question": CAMPING, "stream": False}, headers=AUTH)
    assert asked.status_code == 400 and "LIFELOG_LLM_API_KEY" in asked.text
    assert not any(PASSPHRASE in json.dumps(h) for h in seen)
    shown = client.get("/api/settings", headers=AUTH).json()
    assert shown["problem"] and "LIFELOG_LLM_API_KEY" in shown["problem"]


def test_a_purpose_named_key_goes_to_the_loopback_server(
    client: TestClient,
    real_models: Memory,
    model_server: tuple[str, list[dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, seen = model_server
    monkeypatch.setenv("LIFELOG_LLM_API_KEY_LOCAL", "sk-local-1234")
    llm = {"backend": "openai", "base_url": url, "model": "m"}
    llm["api_key_env"] = "LIFELOG_LLM_API_KEY_LOCAL"
    saved = client.put("/api/settings", json={"llm": llm}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    assert saved.json()["effective"]["has_api_key"] is True
    assert saved.json()["sends_to"] is None  # loopback: nothing leaves the machine
    client.post("/api/ask", json={"question": CAMPING, "stream": False}, headers=AUTH)
    assert seen and all(h.get("authorization") == "Bearer sk-local-1234" for h in seen)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://models.example/v1",
        "http://192.168.1.20:11434/v1",
        "http://127.0.0.1.nip.io:11434/v1",
        "http://[2001:db8::1]:8000/v1",
    ],
)
def test_a_model_server_off_this_machine_needs_a_confirmation_naming_it(
    client: TestClient, memory: Memory, base_url: str
) -> None:
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname
    llm = {"backend": "openai", "base_url": base_url, "model": "m"}
    refused = client.put("/api/settings", json={"llm": llm}, headers=AUTH)
    assert refused.status_code == 400, refused.text
    assert host in refused.json()["error"]["message"]
    assert "confirm_host" in refused.json()["error"]["message"]
    wrong = client.put(
        "/api/settings", json={"llm": llm, "confirm_host": "other.example"}, headers=AUTH
    )
    assert wrong.status_code == 400
    assert "base_url" not in (memory.config.settings.get("llm") or {})
    saved = client.put("/api/settings", json={"llm": llm, "confirm_host": host}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    assert saved.json()["sends_to"] == host
    # the host, once confirmed, does not ask again for other changes
    again = client.put("/api/settings", json={"llm": {**llm, "max_tokens": 200}}, headers=AUTH)
    assert again.status_code == 200


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:11434/v1",
        "http://localhost:8080/v1",
        "http://[::1]:8000/v1",
        "http://127.0.0.2:1/v1",
    ],
)
def test_a_loopback_model_server_needs_no_confirmation(client: TestClient, base_url: str) -> None:
    llm = {"backend": "openai", "base_url": base_url, "model": "m"}
    assert client.put("/api/settings", json={"llm": llm}, headers=AUTH).status_code == 200


@pytest.mark.parametrize("base_url", ["file:///etc/passwd", "ftp://models.example/", "models"])
def test_a_model_server_address_is_http(client: TestClient, base_url: str) -> None:
    llm = {"backend": "openai", "base_url": base_url, "model": "m"}
    assert client.put("/api/settings", json={"llm": llm}, headers=AUTH).status_code == 400


def test_the_settings_page_confirms_a_remote_server_and_says_where_questions_go(
    app: Any, memory: Memory
) -> None:
    with TestClient(app, base_url=BASE) as browser:
        browser.post("/login", data={"token": TOKEN}, headers={"origin": BASE})
        home = browser.get("/settings").text
        assert "on this machine" in home  # where questions go, by default
        form = {"backend": "openai", "base_url": "https://models.example/v1", "model": "m"}
        asked = browser.post("/settings", data=form, headers={"origin": BASE})
        assert asked.status_code == 200
        assert "models.example" in asked.text and 'name="confirm_host"' in asked.text
        assert "base_url" not in (memory.config.settings.get("llm") or {})  # not yet
        confirmed = browser.post(
            "/settings", data={**form, "confirm_host": "models.example"}, headers={"origin": BASE}
        )
        assert confirmed.status_code == 200 and "Saved" in confirmed.text
        assert memory.config.settings["llm"]["base_url"] == "https://models.example/v1"
        assert "sent to <strong>models.example</strong>" in confirmed.text
        on_disk = json.loads((Path(memory.home) / "memory.json").read_text())
        assert on_disk["settings"]["llm"]["base_url"] == "https://models.example/v1"
