"""The words benchmark measures what it says: the chosen index finds words the index of
before missed, and the trigram table cannot match a two-character word."""

from __future__ import annotations

from lifelog.bench.words import measure, questions, schemes

TEXTS = [
    "我下个月要去税务局办理增值税发票的手续。",
    "明日の朝は雨が降るので、バスで学校に行きます。",
    "지난 주말에 친구들이랑 해운대 해수욕장에 가서 회를 먹었어요.",
    "Завтра утром я поеду на дачу, чтобы собрать последний урожай яблок.",
    "سأسافر إلى القاهرة الأسبوع القادم لزيارة جدتي في المستشفى.",
]
ASKED = [("增值税", 0), ("发票", 0), ("バス", 1), ("해수욕장", 2), ("урожай", 3), ("الأسبوع", 4)]


def test_the_schemes_differ_as_measured() -> None:
    by_name = {s.name: measure(s, TEXTS, ASKED) for s in schemes()}
    before, bigrams, chosen, trigram = by_name.values()
    assert before["found"] == 0.0
    assert chosen["found"] == bigrams["found"] == 100.0
    assert trigram["found"] < 100.0  # 发票 and バス are two characters
    assert chosen["kib"] > 0 and chosen["p95"] >= 0


def test_questions_come_from_the_sentences() -> None:
    asked = questions("zh_CN", TEXTS[:2], 20)
    assert all(word in TEXTS[n] for word, n in asked)
    asked = questions("ru", TEXTS[3:4], 5)
    assert all(word in TEXTS[3] for word, _ in asked)
