"""No surprise network (issue 10, finding 11): in the default configuration nothing leaves
the machine. ``init``, ``ingest``, ``ask`` and ``serve`` run as processes of their own in
which every connection and name lookup beyond loopback is refused and logged
(``tests/netguard/sitecustomize.py``), and they all work.

The configuration is the default one: no ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``
(which the test suite sets), no model settings, the default embedding model. In
``make test`` answers are extractive (``--model none``); the slow variant answers with
the smallest packaged model, SmolLM2-135M, through the same local backend (llama.cpp)
as the default Qwen2.5-Coder-1.5B (40 s on two busy cores, too slow for ``make test``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from lifelog.models.packaged import MODELS, is_installed
from lifelog.samplelife import generate
from process_helpers import AUTH, base_env, lifelog, serving

GUARD = Path(__file__).parent / "netguard"
QUESTION = "Where did we go camping in 2023?"


@pytest.fixture
def guarded(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The default environment with the network guard on; and the guard's log."""
    log = tmp_path / "network.log"
    log.touch()
    env = base_env(
        PYTHONPATH=os.pathsep.join(p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p),
        LIFELOG_NETGUARD_LOG=log,
    )
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "LIFELOG_LLM_MODEL"):
        env.pop(name, None)
    return env, log


def small_model() -> str:
    smol = next(m for m in MODELS if "smollm2" in m.aliases)
    if not is_installed(smol):
        pytest.skip("the packaged SmolLM2 is not installed (pip install 'lifelog[llm]')")
    return "smollm2"


def test_the_guard_refuses_and_logs_what_would_leave(guarded: tuple[dict[str, str], Path]) -> None:
    env, log = guarded
    script = (
        "import httpx\n"
        "try:\n"
        "    httpx.get('http://example.org/', timeout=2)\n"
        "except httpx.TransportError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "refused", done.stderr
    assert "example.org" in log.read_text()


def test_init_ingest_ask_and_serve_work_with_the_network_refused(
    tmp_path: Path, guarded: tuple[dict[str, str], Path]
) -> None:
    run_everything(tmp_path, *guarded, model="none")


@pytest.mark.slow
def test_answers_of_the_local_model_need_no_network(
    tmp_path: Path, guarded: tuple[dict[str, str], Path]
) -> None:
    run_everything(tmp_path, *guarded, model=small_model())


def run_everything(tmp_path: Path, env: dict[str, str], log: Path, *, model: str) -> None:
    """init, ingest, ask and serve (search and a chat completion) with the guard on."""
    life = tmp_path / "life"
    generate(life, scale=0.05)
    home = tmp_path / "memory"

    lifelog("init", "--memory", home, env=env)
    ingested = lifelog("ingest", "--memory", home, life, env=env)
    assert " added" in ingested.stdout and "Traceback" not in ingested.stderr
    assert "not embedded" not in ingested.stderr  # the embedding model loaded offline
    asked = lifelog("ask", "--memory", home, QUESTION, "--model", model, env=env, check=False)
    assert asked.returncode in (0, 1), asked.stderr  # 1: "not found", still an answer
    assert re.search(r"\[\d+\]", asked.stdout), asked.stdout + asked.stderr  # cited

    with serving(home, {**env, "LIFELOG_LLM_MODEL": model}) as base:
        found = httpx.get(f"{base}/api/search", params={"q": "camping"}, headers=AUTH, timeout=60)
        assert found.status_code == 200 and found.json()["hits"], found.text
        chat = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": "lifelog", "messages": [{"role": "user", "content": QUESTION}]},
            headers=AUTH,
            timeout=300,
        )
        assert chat.status_code == 200, chat.text
        assert chat.json()["choices"][0]["message"]["content"]

    assert log.read_text() == ""  # nothing tried to leave the machine
