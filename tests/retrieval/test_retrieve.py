"""``Memory.retrieve`` end to end on a real encrypted store; ``ask`` goes through it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixture_life import LIFE, NOW

from lifelog import Item, Memory
from lifelog.errors import UserError
from lifelog.retrieval.filters import Filters


def turn(item: Item) -> str:
    return str(item.metadata.get("turn", item.key))


def test_a_chat_hit_brings_its_neighbours_as_context(life: Memory) -> None:
    hits = life.retrieve("What did Alice say about the concert?", now=NOW, limit=2)
    assert [turn(h.item) for h in hits] == ["s1:2", "s3:2"]
    first = hits[0]
    assert [turn(i) for i in first.context] == ["s1:1", "s1:3"]  # before, after
    assert "by Alice Moreau" in first.why
    assert first.snippet.startswith("Amazing!")
    # context is not retrieval: s1:3 is no hit of its own
    assert len(hits) == 2
    notes = life.retrieve("fence", now=NOW)
    assert any(h.item.source == "notes" and h.context == () for h in notes)


def test_relative_words_in_an_item_meet_the_question_s_date(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(
            [
                Item(
                    source="sms",
                    key="1",
                    kind="message",
                    author="Me",
                    thread="t",
                    text="Yesterday I watched a great movie: Dune.",
                    timestamp=datetime(2022, 5, 2, 9, tzinfo=UTC),
                ),
                Item(
                    source="sms",
                    key="2",
                    kind="message",
                    author="Me",
                    thread="t",
                    text="I watched a great movie, Heat, with my brother.",
                    timestamp=datetime(2022, 9, 20, 9, tzinfo=UTC),
                ),
            ],
            origin=None,
            run_id=None,
        )
        hits = memory.retrieve("Which movie did I watch on 1 May 2022?", now=NOW)
        assert "Dune" in hits[0].item.text
        assert any("1 May 2022" in why for why in hits[0].why)


def test_filters_hold(life: Memory) -> None:
    hits = life.retrieve("paint", filters=Filters(sources=("notes",)), now=NOW)
    assert [h.item.key for h in hits] == ["fence.md"]
    hits = life.retrieve(
        "concert", filters=Filters(since=datetime(2023, 1, 1, tzinfo=UTC)), now=NOW
    )
    assert hits and all(h.item.timestamp and h.item.timestamp.year == 2023 for h in hits)


def test_a_lone_surrogate_in_a_question_or_filter_is_no_error(life: Memory) -> None:
    """JSON requests may carry "\\ud83d" (half an emoji): tokenizers and SQLite refuse it,
    so it becomes U+FFFD and the search goes on."""
    odd = Filters(people=("Bob\ud83d",), sources=("notes\udc80",), threads=("s1\ud800",))
    assert (odd.people, odd.sources, odd.threads) == (
        ("Bob\ufffd",),
        ("notes\ufffd",),
        ("s1\ufffd",),
    )
    assert life.retrieve("paint \ud83d", filters=odd, now=NOW) == []
    assert life.search("paint \ud83d", Filters(people_any=(("Bob\ud83d",),))) == []
    assert life.timeline(odd) == []
    hits = life.retrieve("What did Bob paint? \ud83d", now=NOW)
    assert "fence.md" in [h.item.key for h in hits]
    assert life.ask("What did Bob paint? \ud83d", now=NOW, model="none").found


def test_modes(life: Memory) -> None:
    assert life.retrieve("concert", now=NOW, mode="lexical")
    # embedding is off in these tests: vector search finds nothing, hybrid is lexical
    assert life.retrieve("concert", now=NOW, mode="vector") == []
    assert [h.item.id for h in life.retrieve("concert", now=NOW)] == [
        h.item.id for h in life.retrieve("concert", now=NOW, mode="lexical")
    ]
    with pytest.raises(UserError):
        life.retrieve("concert", mode="semantic")
    assert life.retrieve("   ") == []
    assert life.retrieve("concert", limit=0) == []


def test_ask_retrieves_through_it(life: Memory) -> None:
    answer = life.ask("What did I plant in March 2023?", now=NOW, model="none")
    assert answer.hits[0].item.key == "march.md"
    assert "dated in March 2023" in answer.hits[0].why


def test_hybrid_with_the_static_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("model2vec")
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "static")
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(LIFE, origin=None, run_id=None)
        assert memory.embed_pending() == len(LIFE)
        # no shared word: only meaning finds the music
        hits = memory.retrieve("music performance with a band", now=NOW, mode="vector")
        assert hits and all(any(w.startswith("meaning") for w in h.why) for h in hits)
        hybrid = memory.retrieve("What genre is Bob's book?", now=NOW)
        assert turn(hybrid[0].item) == "s2:2"
        assert any(w.startswith("meaning") for h in hybrid for w in h.why)
        assert any(w.startswith("close words") for h in hybrid for w in h.why)


class _OtherModel:
    """An embedding model that is not the static one (as MiniLM or a server would be)."""

    name = "other"
    dims = 4

    def embed(self, texts: list[str]) -> object:
        raise AssertionError("not called: only the searchers are built")


class _OtherMemory:
    def __init__(self, store: object) -> None:
        self.store = store

    def embedder(self, model: str | None = None) -> _OtherModel:
        return _OtherModel()


def test_soft_matching_borrows_the_static_model_when_it_is_on_this_machine(
    life: Memory, soft_matcher: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lifelog.retrieval import retrieve as module

    vector, soft = module._searchers(_OtherMemory(life.store))  # type: ignore[arg-type]
    assert vector is not None and soft is not None
    assert soft("violin", ["violin", "tax"])[0] == pytest.approx(1.0, abs=1e-5)
    # never distilled for it: without the static model, no soft matching
    monkeypatch.setattr(module, "static_model_dir", lambda: tmp_path / "absent")
    vector, soft = module._searchers(_OtherMemory(life.store))  # type: ignore[arg-type]
    assert vector is not None and soft is None


def _buy(key: str, text: str, when: datetime, source: str = "sms") -> Item:
    return Item(
        source=source,
        key=key,
        kind="message",
        author="Me",
        thread=source,
        text=text,
        timestamp=when,
    )


def test_a_time_relative_to_an_event_is_found_through_the_event(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(
            [
                _buy("1", "Purchased new running shoes today.", datetime(2023, 4, 24, tzinfo=UTC)),
                _buy("2", "Off to the Rome trip, plane at 9!", datetime(2023, 5, 8, tzinfo=UTC)),
                _buy("3", "Purchased new hiking boots today.", datetime(2023, 6, 20, tzinfo=UTC)),
                _buy("4", "Purchased new running socks.", datetime(2022, 4, 24, tzinfo=UTC)),
            ],
            origin=None,
            run_id=None,
        )
        hits = memory.retrieve("What did I purchase two weeks before the Rome trip?", now=NOW)
        assert "running shoes" in hits[0].item.text
        assert any("two weeks before" in why for why in hits[0].why)
        # without the offset, nothing prefers April 2023
        plain = memory.retrieve("What did I purchase?", now=NOW, mode="lexical")
        assert "running shoes" not in plain[0].item.text


def test_a_source_the_question_names_is_preferred(life: Memory) -> None:
    hits = life.retrieve("Who painted the fence in my notes?", now=NOW)
    assert hits[0].item.source == "notes"
    assert "from notes" in hits[0].why
    hits = life.retrieve("Who painted the fence on WhatsApp?", now=NOW)
    assert hits[0].item.source == "whatsapp"
    assert "from whatsapp" in hits[0].why
