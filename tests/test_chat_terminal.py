"""``lifelog chat`` in a real terminal (a pseudo-terminal, as a person types): Ctrl-C while
an answer is written cancels that answer, stops the model, and the next question works;
Ctrl-C at the prompt leaves cleanly. Conversations are saved and ``--resume`` continues them.

The model is an OpenAI-compatible server on loopback (the real ``openai`` backend talks to
it) that writes one word every 0.2 s when the question says "slowly", and quotes its first
source at once otherwise: a double only at the model boundary.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lifelog import Item, Memory
from lifelog.cli import app
from lifelog.store.conversations import Conversations
from process_helpers import default_sigint

pty = pytest.importorskip("pty", reason="a pseudo-terminal needs a POSIX system")

TENT = "The tent cost 120 euros at the Decathlon in Braga, bought for the Gerês trip."
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")


class SlowModel(BaseHTTPRequestHandler):
    """``/v1/models`` and a streamed ``/v1/chat/completions``."""

    started = threading.Event()
    #: set when the client closed a slow answer's stream before its end
    abandoned = threading.Event()

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._json({"object": "list", "data": [{"id": "slow", "max_model_len": 8192}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        prompt = str(body["messages"][-1]["content"])
        question = prompt.lower()
        if "slowly" in question:
            SlowModel.started.set()
            words = ["Let", "me", "think", "about", "that", "at", "length"] * 40
            delay = 0.2
        else:
            words = (_quote_first(prompt) + " [1]").split(" ")
            delay = 0.0
        if not body.get("stream"):
            text = " ".join(words)
            self._json({"choices": [{"index": 0, "message": {"role": "assistant",
                        "content": text}, "finish_reason": "stop"}]})  # fmt: skip
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        try:
            for n, word in enumerate(words):
                chunk = {"choices": [{"index": 0, "delta": {"content": ("" if n == 0 else " ")
                         + word}, "finish_reason": None}]}  # fmt: skip
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(delay)
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            if delay:
                SlowModel.abandoned.set()

    def _json(self, value: Any) -> None:
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _quote_first(prompt: str) -> str:
    for line in prompt.splitlines():
        if line.startswith("[1] "):
            body = line.split('": ', 1)[-1] if '": ' in line else line.split(": ", 1)[-1]
            return " ".join(body.strip(" …").split()[:20])
    return "I don't find this in your memory."


@pytest.fixture
def model_server() -> Iterator[str]:
    SlowModel.started.clear()
    SlowModel.abandoned.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowModel)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "memory"
    from datetime import UTC, datetime

    with Memory.init(path) as memory:
        memory.store.upsert(
            [
                Item(
                    source="notes",
                    key="tent",
                    kind="note",
                    text=TENT,
                    title="Camping gear",
                    timestamp=datetime(2023, 5, 20, 10, tzinfo=UTC),
                ),
                Item(
                    source="notes",
                    key="dentist",
                    kind="note",
                    text="Dentist appointment on Elm Street, 3 pm.",
                    title="Dentist",
                    timestamp=datetime(2023, 6, 2, 9, tzinfo=UTC),
                ),
            ],
            origin=None,
            run_id=None,
        )
    return path


class Terminal:
    """A command on a pseudo-terminal: what it printed, keys sent to it."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its controlling terminal
            default_sigint()
            os.execve(argv[0], argv, env)
        self.seen = ""

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the child has gone
                return
            self.seen += data.decode("utf-8", "replace")

    def expect(self, pattern: str, start: int = 0, timeout: float = 60) -> int:
        """Wait until ``pattern`` appears after ``start`` in what was printed (escape
        sequences removed); the end of the match."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text[start:])
            if found:
                return start + found.end()
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never came; the terminal shows:\n{self.text}")
            self.read(0.2)

    @property
    def text(self) -> str:
        return ANSI.sub("", self.seen)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"lifelog chat did not leave; the terminal shows:\n{self.text}")


def _env(model_server: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELOG_")}
    env.update(
        LIFELOG_LLM_BASE_URL=model_server,
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def test_ctrl_c_cancels_the_answer_not_the_session(home: Path, model_server: str) -> None:
    lifelog = str(Path(sys.executable).with_name("lifelog"))
    term = Terminal([lifelog, "--memory", str(home), "chat", "--model", "slow"], _env(model_server))
    at = term.expect(r"you ›")
    term.send("Tell me slowly about the tent\r")
    assert SlowModel.started.wait(60), term.text
    time.sleep(1.0)  # the model is writing (one word every 0.2 s: 56 s in all)
    asked = time.monotonic()
    term.send("\x03")  # Ctrl-C
    at = term.expect(r"\(cancelled\)", at, timeout=10)
    assert time.monotonic() - asked < 10
    at = term.expect(r"you ›", at)
    assert SlowModel.abandoned.wait(10), "the model's stream was closed: it stopped writing"
    assert "Traceback" not in term.text and "KeyboardInterrupt" not in term.text
    term.send("How much did the tent cost?\r")
    at = term.expect(r"120 euros", at, timeout=90)
    at = term.expect(r"you ›", at)
    term.send("\x03")  # Ctrl-C at the prompt: leave
    assert term.wait() == 0, term.text
    assert "Traceback" not in term.text
    # the answered question is saved; the cancelled one is not
    with Memory.open(home) as memory:
        (saved,) = Conversations(memory.store).recent()
        turns = Conversations(memory.store).turns(saved.id)
    assert [t.question for t in turns] == ["How much did the tent cost?"]
    assert "120 euros" in turns[0].text


def test_resume_continues_the_last_or_a_named_conversation(home: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(
        app,
        ["--memory", str(home), "chat", "--model", "none"],
        input="How much did the tent cost?\n/rename Camping gear\n/new\nWhen is the dentist?\n",
    )
    assert first.exit_code == 0, first.output
    listed = runner.invoke(app, ["--memory", str(home), "chat", "--list"])
    assert "Camping gear" in listed.output and "When is the dentist?" in listed.output
    assert listed.output.index("When is the dentist?") < listed.output.index("Camping gear")
    last = runner.invoke(
        app, ["--memory", str(home), "chat", "--model", "none", "--resume"], input="/quit\n"
    )
    assert "continuing “When is the dentist?”" in last.output and "Elm Street" in last.output
    named = runner.invoke(
        app,
        ["--memory", str(home), "chat", "--model", "none", "--resume", "camping"],
        input="and where was it bought?\n",
    )
    assert named.exit_code == 0, named.output
    assert "continuing “Camping gear” (1 question so far)" in named.output
    with Memory.open(home) as memory:
        chats = Conversations(memory.store)
        gear = chats.find("camping")
        assert [t.question for t in chats.turns(gear.id)] == [
            "How much did the tent cost?",
            "and where was it bought?",
        ]
    unknown = runner.invoke(app, ["--memory", str(home), "chat", "--resume", "sailing"])
    assert unknown.exit_code != 0
    assert "no conversation is called 'sailing'" in str(unknown.exception or unknown.output)


def test_show_thread_prints_a_message_among_its_neighbours(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2023, 6, 10, 21, 0, tzinfo=UTC)
    said = [
        ("Ana", f"message number {n}") if n % 2 else ("Sam", f"reply number {n}") for n in range(30)
    ]
    items = [
        Item(
            source="whatsapp",
            key=f"m{n}",
            kind="message",
            text=text,
            author=who,
            title="Ana Lima",
            thread="whatsapp:Ana Lima",
            timestamp=start + timedelta(minutes=12 * n),
        )
        for n, (who, text) in enumerate(said)
    ]
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(items, origin=None, run_id=None)
    runner = CliRunner()
    args = ["--memory", str(tmp_path / "memory"), "show", items[15].id, "--thread"]
    shown = runner.invoke(app, [*args, "--before", "3", "--after", "2"])
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if "number" in line]
    assert [line.split("number ")[1] for line in lines] == ["12", "13", "14", "15", "16", "17"]
    assert lines[3].startswith("▶") and "Ana" in lines[3] and "Sam" in lines[2]
    assert "Ana Lima" in shown.output.splitlines()[0] and "30 messages" in shown.output
    assert "── Sunday 11 June 2023 ──" in shown.output  # message 15 is at midnight
    assert f"earlier: lifelog show {items[12].id} --thread" in shown.output
    assert f"later: lifelog show {items[17].id} --thread" in shown.output
