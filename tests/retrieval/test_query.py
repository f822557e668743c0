"""Question analysis: names matched against the store, sources, time words removed."""

from __future__ import annotations

from datetime import UTC, datetime

from lifelog import Item, Memory
from lifelog.retrieval.query import analyse, match_people, match_sources, name_index, store_names

NOW = datetime(2023, 10, 23, tzinfo=UTC)


def test_name_index_keys_each_word_and_the_whole_name() -> None:
    index = name_index(["Alice Smith <alice@example.com>", "bob@example.org", "Me", "Alice Jones"])
    assert index["alice"] == ("Alice Jones", "Alice Smith <alice@example.com>")
    assert index["smith"] == ("Alice Smith <alice@example.com>",)
    assert index["alice smith"] == ("Alice Smith <alice@example.com>",)
    assert index["bob"] == ("bob@example.org",)
    assert "example" not in index  # a domain names nobody
    assert "me" not in index  # a stop word names nobody


def test_match_people_wants_capitals_unless_all_lower_case() -> None:
    index = name_index(["Will Turner", "Melanie"])
    # "will" is a stop word: alone it names nobody, with "Turner" it does
    assert match_people("Will it rain when Melanie visits?", index) == (
        ("Melanie",),
        ("melanie",),
    )
    assert match_people("What will Melanie say?", index) == (("Melanie",), ("melanie",))
    assert match_people("what did melanie's kids paint?", index) == (("Melanie",), ("melanie",))
    assert match_people("What did Melanie’s kids paint?", index) == (("Melanie",), ("melanie",))
    assert match_people("Where does Will Turner live?", index) == (
        ("Will Turner",),
        ("will", "turner"),
    )
    assert match_people("where does will turner live?", index)[0] == ("Will Turner",)


def test_a_word_naming_too_many_people_names_nobody() -> None:
    index = name_index([f"Alex {n}" for n in "ABCDEFGHIJ"])
    assert match_people("What did Alex say?", index) == ((), ())
    assert match_people("What did Alex C say?", index) == (("Alex C",), ("alex", "c"))


def test_sources_named_in_a_question_must_be_held() -> None:
    held = ["mbox", "whatsapp", "notes"]
    assert match_sources("what did Bob say on WhatsApp?", held) == (("whatsapp",), ["WhatsApp"])
    assert match_sources("the hotel in my emails", held) == (("mbox",), ["emails"])
    assert match_sources("what did I write in Telegram?", held) == ((), [])
    assert match_sources("notes about the trip", held) == ((), [])  # no "in my"


def _memory(tmp_path: object) -> Memory:
    from pathlib import Path

    memory = Memory.init(Path(str(tmp_path)) / "memory")
    memory.store.upsert(
        [
            Item(
                source="whatsapp",
                key="1",
                kind="message",
                author="Melanie Brooks",
                participants=("Melanie Brooks", "Me"),
                text="We went camping.",
                timestamp=datetime(2023, 7, 1, tzinfo=UTC),
            ),
            Item(source="notes", key="n", kind="note", text="Tent list", title="Tent"),
        ],
        origin=None,
        run_id=None,
    )
    return memory


def test_analyse_against_a_real_store(tmp_path: object) -> None:
    with _memory(tmp_path) as memory:
        plan = analyse(
            "What did Melanie say on WhatsApp about camping last summer?",
            now=NOW,
            store=memory.store,
        )
        assert plan.people == ("Melanie Brooks",)
        assert plan.people_words == ("melanie",)
        assert plan.sources == ("whatsapp",)
        assert plan.text == "What did Melanie say on about camping?"
        assert plan.terms == ["melanie", "camping"]
        assert [s.text for s in plan.time.spans] == ["last summer"]
        assert plan.window() == (
            datetime(2023, 6, 1, tzinfo=UTC),
            datetime(2023, 9, 1, tzinfo=UTC),
        )
        # without a store: time only
        bare = analyse("What did Melanie do yesterday?", now=NOW)
        assert bare.people == () and bare.text == "What did Melanie do?"


def test_the_name_cache_follows_new_items(tmp_path: object) -> None:
    with _memory(tmp_path) as memory:
        index, sources = store_names(memory.store)
        assert "melanie" in index and "caroline" not in index
        assert sources == frozenset({"whatsapp", "notes"})
        memory.store.upsert(
            [Item(source="sms", key="2", kind="message", author="Caroline", text="hi")],
            origin=None,
            run_id=None,
        )
        index, sources = store_names(memory.store)
        assert index["caroline"] == ("Caroline",)
        assert "sms" in sources
