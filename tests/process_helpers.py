"""Run ``lifelog`` as a person does: the CLI and ``lifelog serve`` in processes of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def default_sigint() -> None:
    """In a child before it runs: Ctrl-C as a terminal delivers it. A suite started as a
    shell's background job (``make test &``) inherits SIGINT ignored, and an ignored
    signal stays ignored across exec: every Ctrl-C test then fails."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


TOKEN = "process-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def lifelog(
    *args: str | Path, env: Mapping[str, str], check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``lifelog ARGS`` in a new process with exactly ``env``; its output as text."""
    done = subprocess.run(
        [sys.executable, "-m", "lifelog.cli", *(str(a) for a in args)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"lifelog {' '.join(map(str, args))} exited {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return done


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(home: Path, env: Mapping[str, str]) -> Iterator[str]:
    """``lifelog serve`` over ``home`` on a free loopback port (token :data:`TOKEN`);
    yields its base URL and stops it with Ctrl-C (a clean stop), then checks it exited 0."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lifelog.cli", "serve", "--memory", str(home), "--port", str(port)],
        env={**env, "LIFELOG_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    output = ""
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/v1/models", headers=AUTH, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("lifelog serve did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
    if process.returncode not in (0, -signal.SIGINT):
        raise AssertionError(f"lifelog serve exited {process.returncode}:\n{output}")


def base_env(**extra: str | Path) -> dict[str, str]:
    """The test's environment (see conftest: no real memory, extractive answers) plus
    ``extra``."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in extra.items()})
    return env
