"""The verifier with the packaged Qwen2.5-Coder-1.5B, for real: the first token's
log-probabilities come from the model, in a context of its own, and an answer checked
end to end is still answered.

Skipped where the model's wheels are not installed. One model is loaded for the module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from answer_life import LIFE, NOW

from lifelog import Item, Memory
from lifelog.answer import generate, verify
from lifelog.answer.prompts import Source, render_source
from lifelog.answer.verify import CHOICES, Verifier, verify_messages, yes_probability
from lifelog.models import packaged
from lifelog.models.llama_local import LlamaLocal
from lifelog.models.llm import LLMSettings
from lifelog.records import Hit

pytest.importorskip("llama_cpp")
QWEN = packaged.find("qwen2.5-coder-1.5b")
if QWEN is None or not packaged.is_installed(QWEN):
    pytest.skip("the packaged Qwen2.5-Coder-1.5B is not installed", allow_module_level=True)

MOVE = Item(
    source="whatsapp",
    key="move",
    kind="message",
    author="Bob",
    text="My sister Ann moved to Oslo last week. Our brother still lives in Bergen.",
    timestamp=datetime(2022, 4, 11, 9, 0, tzinfo=UTC),
)


@pytest.fixture(scope="module")
def qwen() -> LlamaLocal:
    return LlamaLocal(LLMSettings(model="qwen2.5-coder-1.5b", n_threads=2))


def cited() -> list[Source]:
    hit = Hit(MOVE, 1.0, 0, len(MOVE.text), MOVE.text)
    return [Source(1, hit, 0, len(MOVE.text), render_source(1, hit, 0, len(MOVE.text)))]


def test_the_models_first_token_is_scored_over_its_whole_vocabulary(qwen: LlamaLocal) -> None:
    messages = verify_messages("Where did Ann move?", "Oslo [1].", cited())
    logprobs = qwen.first_token_logprobs(messages, CHOICES)
    assert set(logprobs) == set(CHOICES)
    assert all(v < 0 for v in logprobs.values())
    assert sum(math.exp(v) for v in logprobs.values()) > 0.5  # it replies yes or no
    assert 0.0 < yes_probability(logprobs) < 1.0
    # the same prompt again (its prefix and all cached) scores the same
    assert qwen.first_token_logprobs(messages, CHOICES) == pytest.approx(logprobs, abs=1e-3)


def test_the_stated_fact_scores_above_the_other_fact_of_the_same_item(qwen: LlamaLocal) -> None:
    verifier = Verifier(qwen)
    right = verifier("Where did Ann move?", "Oslo [1].", cited())
    wrong = verifier("Where did Ann move?", "Bergen [1].", cited())
    assert right.score > wrong.score, (right, wrong)


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory.init(tmp_path / "memory", encryption="none") as memory:
        memory.store.upsert(LIFE, origin=None, run_id=None)
        memory.config.settings["llm"] = {
            "model": "qwen2.5-coder-1.5b",
            "n_threads": 2,
            "verify": True,
        }
        yield memory


def test_a_checked_answer_is_verified_and_kept(
    memory: Memory,
    qwen: LlamaLocal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[Verifier | None] = []

    def spy(llm: object) -> Verifier | None:
        made.append(verify.verifier_for(llm))
        return made[-1]

    monkeypatch.setattr(generate, "verifier_for", spy)
    answer = memory.ask("How much did the tent cost?", now=NOW)
    assert answer.mode == "generative" and answer.found, answer.notes
    assert "120" in answer.text
    [verifier] = made
    assert verifier is not None and len(verifier.given) == 1, answer.notes
    assert verifier.given[0].ok, verifier.given
