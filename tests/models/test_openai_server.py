"""The OpenAI-compatible backend against a real server on loopback: llama-cpp-python's own
(``python -m llama_cpp.server``) serving the packaged SmolLM2."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lifelog import Item, Memory
from lifelog.errors import ModelError
from lifelog.models.llm import Completion, Delta, LLMSettings, complete
from lifelog.models.openai_compat import OpenAICompat

QUESTION = [{"role": "user", "content": "Say hello to Melanie in one sentence."}]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp")
    try:
        import llama_cpp.server.app  # noqa: F401  (its extras: starlette-context, pydantic-settings)
    except ImportError as error:
        pytest.skip(f"llama_cpp.server needs 'llama-cpp-python[server]': {error}")
    from lifelog.models import packaged

    smollm2 = packaged.find("smollm2-135m")
    assert smollm2 is not None

    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(packaged.ensure(smollm2)),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "1024",
        "--n_threads",
        "2",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/models", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_it_streams_from_the_server(server: str) -> None:
    backend = OpenAICompat(LLMSettings(backend="openai", base_url=server, context_window=2048))
    pieces = list(backend.stream(QUESTION, max_tokens=24))
    final = pieces[-1]
    assert isinstance(final, Completion) and final.content
    deltas = [p for p in pieces if isinstance(p, Delta)]
    assert len(deltas) > 3, "the answer arrived in one piece: not streamed"
    assert "".join(d.text for d in deltas).strip() == final.content
    assert backend.name.endswith(".gguf")  # the model was discovered from /v1/models
    print(
        f"\nSmolLM2 via llama_cpp.server: first token {final.first_token_s:.2f} s,"
        f" {final.tokens_per_s or 0:.0f} tokens/s"
    )


def test_reasoning_streamed_inline_is_kept_apart(server: str) -> None:
    # a grammar makes the real model emit a <think> block, streamed token by token
    grammar = 'root ::= "<think>" [a-z ]{5,30} "</think>" [A-Za-z ]{3,30} "."'
    settings = LLMSettings(
        backend="openai",
        base_url=server,
        context_window=2048,
        extra={"extra_body": {"grammar": grammar}},
    )
    backend = OpenAICompat(settings)
    pieces = list(backend.stream(QUESTION, max_tokens=48))
    final = pieces[-1]
    assert isinstance(final, Completion)
    assert final.reasoning and "<think>" not in final.reasoning
    assert final.content.endswith(".") and "think>" not in final.content
    kinds = [p.kind for p in pieces if isinstance(p, Delta)]
    assert kinds[0] == "reasoning" and kinds[-1] == "content"


def long_life(count: int) -> list[Item]:
    filler = "We talked about the camping trip, the tent, the beach and the long drive. " * 8
    return [
        Item(
            source="notes",
            key=f"n{n}",
            kind="note",
            title=f"Trip note {n}",
            text=f"Camping note {n}. {filler}",
            timestamp=datetime(2023, 6, 1 + n % 28, tzinfo=UTC),
        )
        for n in range(count)
    ]


def test_ask_through_the_server_never_overflows(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_LLM_BASE_URL", server)
    with Memory.init(tmp_path / "m") as memory:
        memory.store.upsert(long_life(200), origin=None, run_id=None)
        memory.config.settings["llm"] = {"max_tokens": 32, "max_evidence_tokens": 100_000}
        llm = memory.llm()
        assert llm is not None and llm.backend == "openai"
        # nothing said the window is 1024: the backend assumes more, the server refuses,
        # and the answer is packed again into what the server reported
        assert llm.context_window == 4096
        tokens: list[str] = []
        answer = memory.ask("What did we say about the camping trip?", stream=tokens.append)
        assert llm.context_window == 1024
        assert answer.mode in ("generative", "extractive-fallback")
        assert answer.citations and all(c.item.text for c in answer.citations)


def test_an_unreachable_server_gives_an_extractive_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_LLM_BASE_URL", f"http://127.0.0.1:{_free_port()}/v1")
    monkeypatch.setenv("LIFELOG_LLM_MODEL", "gpt-oss:20b")
    with Memory.init(tmp_path / "m") as memory:
        memory.store.upsert(long_life(3), origin=None, run_id=None)
        answer = memory.ask("camping note tent beach drive")
        assert answer.mode == "extractive" and answer.found
        assert any("cannot reach the LLM server" in note for note in answer.notes)
        with pytest.raises(ModelError, match="cannot reach"):
            complete(memory.llm(), QUESTION, max_tokens=4)  # type: ignore[arg-type]


def test_reasoning_fields_of_a_stream_are_kept_apart() -> None:
    # the chunk shapes of servers that send reasoning in its own field (vLLM, Ollama)
    from openai.types.chat import ChatCompletionChunk

    def chunk(delta: dict[str, Any], finish: str | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    stream = [
        chunk({"role": "assistant", "reasoning_content": "The note says "}),
        chunk({"reasoning": "June."}),
        chunk({"content": "In June"}),
        chunk({"content": " [1]."}, "stop"),
    ]
    backend = OpenAICompat(LLMSettings(backend="openai", base_url="http://127.0.0.1:9/v1"))
    pieces = list(backend._read(iter(stream), time.perf_counter(), False))
    final = pieces[-1]
    assert isinstance(final, Completion)
    assert (final.reasoning, final.content) == ("The note says June.", "In June [1].")
    assert final.finish_reason == "stop"
