"""Fusion maths, query building, and golden rankings on the fixture corpus (a real store)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixture_life import NOW, chat, stored

from lifelog import Memory
from lifelog.models.softmatch import SoftMatcher
from lifelog.retrieval.hybrid import (
    FLOOR,
    SoftMatch,
    Tuning,
    asks,
    asks_when,
    combine,
    fts_match,
    hybrid_search,
    rrf,
    without_words,
)
from lifelog.retrieval.query import analyse


def test_rrf_golden() -> None:
    scores = rrf([[1, 2, 3], [3, 1]], k=60)
    assert scores == pytest.approx({1: 1 / 61 + 1 / 62, 2: 1 / 62, 3: 1 / 63 + 1 / 61})
    assert sorted(scores, key=lambda key: -scores[key]) == [1, 3, 2]
    weighted = rrf([[1, 2], [2, 1]], weights=[1.0, 3.0], k=1)
    assert weighted == pytest.approx({1: 1 / 2 + 3 / 3, 2: 1 / 3 + 3 / 2})


def test_combine_golden() -> None:
    scores = combine([[(1, 10.0), (2, 5.0), (3, 0.0)], [(3, 0.9), (1, 0.5)]], [1.0, 0.5])
    assert scores == pytest.approx({1: 1.0 + 0.5 * FLOOR, 2: 0.5, 3: FLOOR + 0.5})
    assert combine([[(7, 3.0)]]) == {7: 1.0}  # a list of one
    assert combine([[], [(1, 2.0), (2, 2.0)]]) == {1: 1.0, 2: 1.0}  # equal scores
    assert combine([]) == {}


def test_fts_match_adds_stem_prefixes() -> None:
    assert fts_match(["painting", "art", "plant", "2023"]) == (
        '"painting" OR "paint"* OR "art" OR "plant" OR "plant"* OR "2023"'
    )
    assert fts_match(["painting"], stems=False) == '"painting"'
    assert fts_match(['say"s']) == '"say""s" OR "say"""*'  # quotes doubled


def test_asks_when_and_without_words() -> None:
    assert asks_when("When did Melanie go camping?")
    assert asks_when("what year did we move?")
    assert asks_when("So when did it start?")
    assert not asks_when("What did Melanie paint?")
    assert without_words("What did Melanie's kids paint?", {"melanie"}) == "What did kids paint?"
    assert without_words("Melanie?", {"melanie"}) == "Melanie?"  # never empty
    assert without_words("anything", set()) == "anything"


def turns(
    memory: Memory,
    question: str,
    tuning: Tuning | None = None,
    *,
    mode: str = "lexical",
    soft_match: SoftMatch | None = None,
) -> list[str]:
    plan = analyse(question, now=NOW, store=memory.store)
    ranked = hybrid_search(
        memory.store, plan, limit=4, mode=mode, soft_match=soft_match, tuning=tuning
    )
    keys = {}
    for rank in ranked:
        row = memory.store.conn.execute(
            "SELECT i.id FROM chunks c JOIN items i ON i.rowid = c.item_rowid WHERE c.rowid = ?",
            (rank.chunk_rowid,),
        ).fetchone()
        item = memory.get(row[0])
        keys[rank.chunk_rowid] = str(item.metadata.get("turn", item.key))
    return [keys[r.chunk_rowid] for r in ranked]


GOLDEN = {
    # the replies to the matching messages, by the person named, come first; then Bob
    # telling of a concert before Bob asking about one
    "What did Alice say about the concert?": ["s1:2", "s3:2", "s3:1", "s1:1"],
    "What genre is Bob's book?": ["s2:2", "s2:1", "s2:4", "s2:3"],
    # the note of March 2023, before the same words of 2021
    "What did I plant in March 2023?": ["march.md", "march-old.md"],
    # nothing to match but who and when: the period is a filter; Alice's camping trip
    # before her question about Bob's book
    "What did Alice do in August 2023?": ["s2:3", "s2:1", "s2:2", "s2:4"],
    # a question asking when prefers the message that says when
    "When did Alice go camping?": ["s2:3", "s2:4", "s2:1", "s2:2"],
    # "painted" meets "paint": Bob's message of the evening of 7 May, then the note
    "What did Bob paint on 7 May 2023?": ["s1:3", "fence.md", "s1:4", "s1:2"],
}


@pytest.mark.parametrize("question", list(GOLDEN))
def test_golden_rankings(life: Memory, question: str) -> None:
    assert turns(life, question) == GOLDEN[question]


def test_without_the_conversation_the_reply_is_not_found_first(life: Memory) -> None:
    flat = Tuning(forward_share=0.0, thread_share=0.0, author_boost=0.0, asking_prior=1.0)
    assert turns(life, "What did Alice say about the concert?", flat)[0] == "s1:1"


def test_rrf_fusion_is_still_available(life: Memory) -> None:
    tuning = Tuning(fusion="rrf")
    assert turns(life, "What genre is Bob's book?", tuning)[:1] == ["s2:2"]


def test_asks() -> None:
    assert asks("What pet do you have?")
    assert asks("I went to Rome. Have you been (to Rome)?  ")
    assert asks("Really?! 🐶")
    assert not asks("What? No way, a guinea pig!")
    assert not asks("Oscar, my guinea pig.")
    assert not asks("")


PETS = [
    *chat(
        "p1",
        datetime(2023, 6, 1, 18, tzinfo=UTC),
        [
            ("Bob", "Do you have a pet at home?"),
            ("Alice Moreau", "Yes, a cat called Mimi."),
        ],
    ),
    *chat(
        "p2",
        datetime(2023, 7, 1, 18, tzinfo=UTC),
        [
            ("Alice Moreau", "How was your week?"),
            ("Bob", "Great! My pet turtle Shelly learnt to eat from my hand."),
        ],
    ),
]


@pytest.fixture
def pets(tmp_path: Path) -> Iterator[Memory]:
    with stored(tmp_path / "pets", PETS) as memory:
        yield memory


def test_a_message_that_asks_no_longer_outranks_the_one_that_tells(pets: Memory) -> None:
    """Bob's short question matches "pet" better than his long message about his turtle;
    the asking prior puts the message that answers first."""
    question = "What pet does Bob have?"
    assert turns(pets, question, Tuning(asking_prior=1.0))[:2] == ["p1:1", "p2:2"]
    assert turns(pets, question)[:2] == ["p2:2", "p1:1"]


MUSIC = [
    *chat("m1", datetime(2023, 6, 3, 18, tzinfo=UTC), [("Bob", "I play tennis every Sunday.")]),
    *chat("m2", datetime(2023, 6, 4, 18, tzinfo=UTC), [("Bob", "I play violin every Sunday.")]),
]


@pytest.fixture
def music(tmp_path: Path) -> Iterator[Memory]:
    with stored(tmp_path / "music", MUSIC) as memory:
        yield memory


@pytest.fixture
def matcher(soft_matcher: SoftMatcher) -> SoftMatcher:
    return soft_matcher


def test_soft_matching_lifts_the_message_whose_words_mean_the_question(
    music: Memory, matcher: SoftMatcher
) -> None:
    """Both messages share only "play" with the question and score the same in BM25 (the
    older comes first); "violin" is close to "instrument" in the static model's table."""
    question = "Which instrument does Bob play?"
    assert turns(music, question, mode="hybrid") == ["m1:1", "m2:1"]
    assert turns(music, question, mode="hybrid", soft_match=matcher.scores) == ["m2:1", "m1:1"]
    plan = analyse(question, now=NOW, store=music.store)
    best = hybrid_search(music.store, plan, mode="hybrid", soft_match=matcher.scores)[0]
    assert best.why == ("words #2", "close words #1", "by Bob")  # told to the user
    # only hybrid retrieval re-ranks, and a weight of 0 turns it off
    assert turns(music, question, mode="lexical", soft_match=matcher.scores) == ["m1:1", "m2:1"]
    off = Tuning(soft_weight=0.0)
    assert turns(music, question, off, mode="hybrid", soft_match=matcher.scores)[0] == "m1:1"


def test_soft_matching_scores_only_the_best_fused_candidates(life: Memory) -> None:
    asked: list[int] = []

    def count(question: str, texts: Sequence[str]) -> list[float]:
        asked.append(len(texts))
        return [0.0] * len(texts)

    plain = turns(life, "What did Alice say about the concert?", mode="hybrid")
    soft = Tuning(soft_depth=2)
    again = turns(
        life, "What did Alice say about the concert?", soft, mode="hybrid", soft_match=count
    )
    assert asked == [2]
    assert again == plain  # all equal: the list adds the same to every scored candidate
