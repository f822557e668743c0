"""Time to first streamed token: over HTTP (``/v1/chat/completions``, streaming, from a
``lifelog serve`` process) against the same ask in-process (``Memory.ask_stream``),
measured in the same run on the same memory and model, interleaved so that both see
the same machine.

``lifelog.bench`` (``make bench``) can write :meth:`TTFT.markdown` into docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["TTFT", "measure_ttft"]


@dataclass(slots=True)
class TTFT:
    questions: list[str]
    model: str
    in_process: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)

    @property
    def median_in_process(self) -> float:
        return statistics.median(self.in_process)

    @property
    def median_http(self) -> float:
        return statistics.median(self.http)

    @property
    def ratio(self) -> float:
        """The median over questions of HTTP's time over in-process's: 1.10 is 10 % slower."""
        return statistics.median(h / i for h, i in zip(self.http, self.in_process, strict=True))

    def markdown(self) -> str:
        return (
            "| path | median time to first token | runs |\n|---|---:|---:|\n"
            f"| in-process `Memory.ask_stream` | {self.median_in_process * 1000:.0f} ms"
            f" | {len(self.in_process)} |\n"
            f"| HTTP `/v1/chat/completions` (stream) | {self.median_http * 1000:.0f} ms"
            f" | {len(self.http)} |\n\n"
            f"HTTP / in-process, median over the questions: {self.ratio:.3f} ({self.model},"
            f" {len(self.questions)} questions, each asked once each way)\n"
        )


def _in_process(memory: Memory, question: str, max_tokens: int) -> float | None:
    start = time.perf_counter()
    first: float | None = None
    for event in memory.ask_stream(question, max_tokens=max_tokens):
        if first is None and event.kind == "token" and event.text:
            first = time.perf_counter() - start
    return first


def _over_http(client: httpx.Client, question: str, max_tokens: int) -> float | None:
    body = {
        "model": "lifelog",
        "stream": True,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": question}],
    }
    start = time.perf_counter()
    first: float | None = None
    with client.stream("POST", "/v1/chat/completions", json=body, timeout=600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if first is not None or not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - start
    return first


def _timed(seconds: float | None, question: str) -> float:
    if seconds is None:
        raise RuntimeError(f"no token was streamed for {question!r}: is a model configured?")
    return seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure_ttft(memory: Memory, questions: Sequence[str], max_tokens: int = 16) -> TTFT:
    """Time each question once in-process and once over HTTP.

    The server is ``lifelog serve`` over the same memory in its own process, as a
    client would meet it. Each question is asked once per process, so neither side
    answers from the model's prompt cache; the order alternates between questions.
    ``max_tokens`` is kept small: only the first token is timed.
    """
    port, token = _free_port(), secrets.token_urlsafe(24)
    env = {**os.environ, "LIFELOG_TOKEN": token}
    command = [sys.executable, "-m", "lifelog.cli", "serve", "--memory", str(memory.home)]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    llm = memory.llm()
    result = TTFT(questions=list(questions), model=f"{llm.backend}:{llm.name}" if llm else "none")
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            _wait_until_up(client, server)
            warm = "What is this memory about?"
            _in_process(memory, warm, max_tokens)  # the model loads on first use
            _over_http(client, warm, max_tokens)
            for index, question in enumerate(questions):
                for side in ("in-process", "http") if index % 2 == 0 else ("http", "in-process"):
                    if side == "http":
                        seconds = _over_http(client, question, max_tokens)
                        result.http.append(_timed(seconds, question))
                    else:
                        seconds = _in_process(memory, question, max_tokens)
                        result.in_process.append(_timed(seconds, question))
    finally:
        server.terminate()
        server.wait(10)
    return result


def _wait_until_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            problem = server.stderr.read().decode() if server.stderr else ""
            raise RuntimeError(f"lifelog serve exited: {problem.strip()}")
        try:
            if client.get("/v1/models").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("lifelog serve did not start within 60 s")
