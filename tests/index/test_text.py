"""One spelling of words for the index and for questions: what folds, what does not, and
that FTS5 cuts the index text into exactly the terms a question is searched with."""

from __future__ import annotations

import unicodedata

import pytest
import sqlcipher3

from lifelog.index.text import (
    INVISIBLE,
    content_terms,
    fold,
    index_text,
    make_snippet,
    normalise,
    segment,
    tokens,
)

SAMPLES = [
    "Hello World, I'm at the café in Zürich — naïve Æsir, STRASSE and Straße.",
    "Завтра я ещё раз поеду на дачу за урожаем; Ё-моё, йогурт!",
    "سأسافر إلى القاهرة الأسبوع القادم، إن شاء الله. مُؤسَّسة، مسؤول، رئيس، مستشفى",
    "明日の朝は雨が降るので、バスで学校に行きます。ﾊﾞｽ停でｶﾞｲﾄﾞを待つ。",
    "我下个月要去税务局办理增值税发票的手续。iPhone用の東京タワー",
    "지난 주말에 친구들이랑 해운대 해수욕장에 가서 회를 먹었어요. ㅋㅋ",
    "Ελληνικά: άλφα, ΐ, Ὀδυσσεύς; עִבְרִית; नमस्ते दुनिया; ภาษาไทย",
    "Donau\u00addampf\u00adschiff, zero\u200bwidth, join\u2060ed, \ufeffbom, e\u0301te\u0301",
    "ＦＵＬＬ　ＷＩＤＴＨ ①② ﬁne under_score x² İstanbul Łódź",
]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Café", "cafe"),
        ("Zürich", "zurich"),
        ("Łódź", "lodz"),
        ("straße", "STRASSE"),
        ("άλφα", "αλφα"),
        ("ещё", "еще"),  # Russian writes ё as е as often as not
        ("أحمد", "احمد"),  # hamza carriers fold on both sides
        ("مسؤول", "مسوول"),
        ("مُؤسَّسة", "مؤسسة"),  # vowel marks are optional
        ("ﾊﾞｽ", "バス"),  # half-width kana compose (NFKC)
        ("ＡＢＣ", "abc"),
        ("Donau\u00addampf\u00adschiff", "donaudampfschiff"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_what_folds_together(written: str, typed: str) -> None:
    assert fold(written) == fold(typed)
    assert tokens(written) == tokens(typed)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("йогурт", "иогурт"),  # й and и are different letters
        ("が", "か"),  # kana voicing is part of the letter
        ("バス", "ハス"),
        ("ぱん", "はん"),
        ("के", "क"),  # Devanagari vowel signs stay
    ],
)
def test_what_stays_apart(one: str, other: str) -> None:
    assert fold(one) != fold(other)


def test_hangul_stays_composed() -> None:
    assert fold("한국어") == "한국어"
    assert unicodedata.is_normalized("NFC", fold("해수욕장에"))
    assert fold(unicodedata.normalize("NFD", "한국어")) == "한국어"  # jamo recompose


def test_cjk_runs_become_bigrams() -> None:
    assert segment("增值税") == ["增值", "值税"]
    assert segment("税") == ["税"]
    assert tokens("办理增值税发票") == ["办理", "理增", "增值", "值税", "税发", "发票"]
    assert tokens("iPhone用") == ["iphone", "用"]
    assert content_terms("增值税") == ["增值", "值税"]
    assert content_terms("猫") == ["猫"]  # a one-character word is worth searching


def test_normalise_is_fold() -> None:
    assert normalise("Ärger") == "arger"


def test_every_invisible_format_character_is_removed() -> None:
    formats = [cp for cp in range(0x10000) if unicodedata.category(chr(cp)) == "Cf"]
    assert set(formats) <= set(INVISIBLE)
    assert fold("".join(map(chr, INVISIBLE))) == ""


def fts5_terms(text: str) -> set[str]:
    """The terms FTS5 (the tokenizer of ``chunks_fts``) cuts ``text`` into."""
    conn = sqlcipher3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5 (b, tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab (t, 'row')")
    conn.execute("INSERT INTO t (b) VALUES (?)", (text,))
    return {row[0] for row in conn.execute("SELECT term FROM v")}


@pytest.mark.parametrize("text", SAMPLES)
def test_the_index_holds_every_term_a_question_searches(text: str) -> None:
    indexed = fts5_terms(index_text(text))
    assert set(tokens(text)) <= indexed
    # a question's terms, quoted, are cut by FTS5 into themselves
    for term in tokens(text):
        assert fts5_terms(term) == {term}, term


def test_ascii_goes_to_the_index_as_it_is() -> None:
    text = "Meet Alice at 10:30 about the Q3 report_final."
    assert index_text(text) == text
    assert fts5_terms(text) == set(tokens(text))


def test_snippets_mark_cjk_words_inside_a_run() -> None:
    text = "我下个月要去税务局办理增值税发票的手续。"
    snippet, marks, offset = make_snippet(text, content_terms("增值税"))
    assert offset == 0 and [snippet[s:e] for s, e in marks] == ["增值税"]
    snippet, marks, _ = make_snippet("Ещё раз!", content_terms("еще"))
    assert [snippet[s:e] for s, e in marks] == ["Ещё"]


def test_a_words_own_s_is_not_taken_for_a_plural() -> None:
    """ "Those are my main focuses" answers "What is John's main focus?": both are
    "focus"; "class" and "classes", "analysis" and "status" keep their s."""
    from lifelog.index.sentences import stem

    assert stem("focus") == stem("focuses") == "focus"
    assert stem("class") == stem("classes") == "class"
    assert stem("status") == "status" and stem("analysis") == "analysis"
    assert stem("runs") == stem("run") == "run" and stem("moving") == stem("moved")
