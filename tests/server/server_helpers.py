"""Helpers for the server tests: a memory from the sample life, a real uvicorn server.

The model is the only double: :class:`QuotingLLM` answers by quoting its first
source with a ``[1]`` citation, so answers are generative, checked and cited.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from lifelog import Memory
from lifelog.models.llm import Completion, Delta, Message
from lifelog.models.testing import ScriptedLLM
from lifelog.server.app import create_app

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
CAMPING = "Where did we go camping in 2023?"


def quote_first_source(messages: Sequence[Message]) -> str:
    """Quote the first source of the prompt, cited [1]."""
    for line in str(messages[-1]["content"]).splitlines():
        if line.startswith("[1] "):
            marker = '": ' if '": ' in line else ": "
            body = line.split(marker, 1)[1].strip(" …")
            return " ".join(body.split()[:25]) + " [1]"
    return "I don't find this in your memory."


class QuotingLLM(ScriptedLLM):
    """Plays :func:`quote_first_source` for every call, streamed 3 characters a piece."""

    def __init__(self) -> None:
        super().__init__(name="quoting", chunk_size=3)

    def stream(self, messages: Sequence[Message], **options: Any) -> Iterator[Delta | Completion]:
        self.script = [quote_first_source]
        return super().stream(messages, **options)


class ThinkingLLM(QuotingLLM):
    """Thinks aloud in ``<think>`` first (reasoning text), then quotes like QuotingLLM."""

    def stream(self, messages: Sequence[Message], **options: Any) -> Iterator[Delta | Completion]:
        thought = (
            "<think>The question is about a camping trip in 2023; source [1] names it.</think>"
        )
        self.script = [lambda m: thought + quote_first_source(m)]
        return ScriptedLLM.stream(self, messages, **options)


def use_llm(memory: Memory, llm: Any) -> None:
    """Answer with ``llm`` (``model="none"`` still turns generation off)."""
    memory.llm = lambda model=None: None if model == "none" else llm  # type: ignore[method-assign]


def make_memory(home: Path, life: Path) -> Memory:
    memory = Memory.init(home)
    memory.ingest(life)
    use_llm(memory, QuotingLLM())
    return memory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(memory: Memory, token: str = TOKEN, **options: Any) -> Iterator[str]:
    """A real uvicorn server over ``memory`` on a free loopback port; yields its base URL."""
    port = free_port()
    app = create_app(memory, token=token, port=port, **options)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from an SSE body's lines."""
    event, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


def headers(**extra: str) -> Mapping[str, str]:
    return {**AUTH, **extra}
