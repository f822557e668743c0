"""The packaged default, Qwen2.5-Coder-1.5B-Instruct, for real: short cited answers,
the right value for the asked role, and tool calls that always parse.

Skipped where the model's wheels are not installed. One model is loaded for the
module; each answer takes a few seconds on two cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from answer_life import LIFE, NOW

from lifelog import Item, Memory
from lifelog.answer.agent import agent_system, parse_action
from lifelog.answer.tools import TOOL_SPECS, openai_tools
from lifelog.models import packaged
from lifelog.models.llm import LLM, LLMSettings, complete

pytest.importorskip("llama_cpp")
QWEN = packaged.find("qwen2.5-coder-1.5b")
if QWEN is None or not packaged.is_installed(QWEN):
    pytest.skip("the packaged Qwen2.5-Coder-1.5B is not installed", allow_module_level=True)

STORAGE = Item(
    source="notes",
    key="storage.md",
    kind="note",
    title="Storage unit",
    text="Storage unit 214 at CityBox, Rua do Sol. Access code: 7391-kestrel. Rent is 45 euros.",
    timestamp=datetime(2023, 3, 2, 9, 0, tzinfo=UTC),
)


@pytest.fixture(scope="module")
def qwen() -> LLM:
    from lifelog.models.llama_local import LlamaLocal

    return LlamaLocal(LLMSettings(model="qwen2.5-coder-1.5b", n_threads=2))


@pytest.fixture
def memory(tmp_path: Path, qwen: LLM) -> Iterator[Memory]:
    with Memory.init(tmp_path / "memory", encryption="none") as memory:
        memory.store.upsert([*LIFE, STORAGE], origin=None, run_id=None)
        memory.config.settings["llm"] = {"model": "qwen2.5-coder-1.5b", "n_threads": 2}
        yield memory


def test_a_question_is_answered_short_in_the_models_words_and_cited(memory: Memory) -> None:
    answer = memory.ask("How much did the tent cost?", now=NOW)
    assert answer.mode == "generative" and answer.found, answer.notes
    assert "120" in answer.text and len(answer.text) < 120
    assert any(c.item.key == "tent.md" for c in answer.citations)


def test_the_access_code_is_answered_with_the_code_not_the_unit(memory: Memory) -> None:
    answer = memory.ask("What is the access code for my storage unit?", now=NOW)
    assert answer.found and "7391-kestrel" in answer.text, (answer.text, answer.notes)
    assert "214" not in answer.text.split("7391")[0]


def test_a_question_the_memory_cannot_answer_is_declined(memory: Memory) -> None:
    answer = memory.ask("What is the name of Melanie's dentist?", now=NOW)
    assert not answer.found, answer.text


@pytest.mark.parametrize(
    "question, seed",
    [
        ("When did we go camping?", "no items"),
        ("How many notes mention the tent?", "no items"),
        (
            "Where did we go camping?",
            "<sources>\n[1] Mon 19 June 2023, whatsapp message from Melanie: Back from camping"
            " at the beach! The kids loved the dunes.\n</sources>",
        ),
    ],
)
def test_constrained_tool_calls_from_the_real_model_always_parse(
    qwen: LLM, question: str, seed: str
) -> None:
    """With the action grammar, the 1.5B model's every turn is one valid action."""
    messages = [
        {"role": "system", "content": agent_system(NOW, 3, native=False)},
        {
            "role": "user",
            "content": f"Question: {question}\n\nFirst search results:\n{seed}\n\n"
            "Reply with one JSON object.",
        },
    ]
    completion = complete(qwen, messages, max_tokens=96, tools=openai_tools())
    value = json.loads(completion.content)  # the grammar admits nothing else
    action = parse_action(completion, native=False, step=0)
    assert action.kind in ("tool", "answer"), completion.content
    if action.kind == "tool":
        call = action.calls[0]
        assert call.name in TOOL_SPECS
        required = TOOL_SPECS[call.name][2]
        assert all(key in call.arguments for key in required), value
    else:
        assert action.text.strip()
