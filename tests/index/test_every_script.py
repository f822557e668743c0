"""Words in every script are found: real export files (mail, notes, chats) in Korean,
Russian, Arabic, Japanese and Chinese, ingested whole and searched for a word from the
middle of a sentence, lexically (``Memory.search``) and through ``Memory.retrieve``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path

import pytest

from lifelog import Memory

#: (language, a natural sentence, a word from its middle as a person would type it)
SENTENCES = {
    "korean": (
        "지난 주말에 친구들이랑 해운대 해수욕장에 가서 회를 먹었어요.",
        "해수욕장",
    ),
    "russian": (
        "Завтра утром я поеду на дачу, чтобы собрать последний урожай яблок.",
        "урожай",
    ),
    "arabic": (
        "سأسافر إلى القاهرة الأسبوع القادم لزيارة جدتي في المستشفى.",
        "الأسبوع",
    ),
    "japanese": (
        "明日の朝は雨が降るので、バスで学校に行きます。",
        "バス",
    ),
    "chinese": (
        "我下个月要去税务局办理增值税发票的手续。",
        "增值税",
    ),
}
#: the mail's charset: what a mail program of the language would have used
CHARSETS = {
    "korean": "euc-kr",
    "russian": "koi8-r",
    "arabic": "windows-1256",
    "japanese": "iso-2022-jp",
    "chinese": "gb2312",
}
WHEN = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)


def write_mail(folder: Path, language: str, sentence: str) -> Path:
    message = MIMEText(f"{sentence}\n\n-- \n{language}\n", "plain", CHARSETS[language])
    message["From"] = "Min-jun <minjun@example.org>"
    message["To"] = "me@example.org"
    message["Subject"] = str(Header(f"{language} news", "utf-8"))
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = f"<{language}@example.org>"
    path = folder / f"{language}.eml"
    path.write_bytes(message.as_bytes())
    return path


def write_note(folder: Path, language: str, sentence: str) -> Path:
    path = folder / f"{language}.md"
    path.write_text(f"# {language}\n\nThe first line.\n\n{sentence}\n\nThe last line.\n", "utf-8")
    return path


def write_whatsapp(folder: Path, language: str, sentence: str) -> Path:
    path = folder / f"WhatsApp Chat with {language}.txt"
    path.write_text(
        f"14.03.2024, 09:30 - Min: Good morning\n14.03.2024, 09:31 - Yu: {sentence}\n"
        "14.03.2024, 09:32 - Min: 👍\n",
        "utf-8",
    )
    return path


def write_telegram(folder: Path, language: str, sentence: str) -> Path:
    path = folder / f"{language}" / "result.json"
    path.parent.mkdir()
    start = int(WHEN.timestamp())
    messages = [
        {"id": 1, "type": "message", "date_unixtime": str(start), "from": "Min", "text": "hi"},
        {
            "id": 2,
            "type": "message",
            "date_unixtime": str(start + 60),
            "from": "Yu",
            "text": [sentence[:4], {"type": "bold", "text": sentence[4:9]}, sentence[9:]],
        },
    ]
    chat_id = 100 + list(SENTENCES).index(language)
    chat = {"name": language, "type": "personal_chat", "id": chat_id, "messages": messages}
    path.write_text(json.dumps(chat, ensure_ascii=False), "utf-8")
    return path


WRITERS = {
    "mail": write_mail,
    "note": write_note,
    "whatsapp": write_whatsapp,
    "telegram": write_telegram,
}


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    """One memory holding every language in every kind of file."""
    root = tmp_path_factory.mktemp("life")
    for kind, write in WRITERS.items():
        folder = root / kind
        folder.mkdir()
        for language, (sentence, _word) in SENTENCES.items():
            write(folder, language, sentence)
    with Memory.init(tmp_path_factory.mktemp("memory")) as opened:
        opened.ingest(root, embed=False)
        yield opened


def found(memory: Memory, word: str, kind: str, sentence: str) -> bool:
    hits = memory.search(word, limit=20)
    return any(sentence in hit.item.text and kind_of(hit.item.source) == kind for hit in hits)


def kind_of(source: str) -> str:
    return {"eml": "mail", "notes": "note"}.get(source, source)


@pytest.mark.parametrize("kind", list(WRITERS))
@pytest.mark.parametrize("language", list(SENTENCES))
def test_a_word_from_the_middle_of_a_sentence_is_found(
    memory: Memory, language: str, kind: str
) -> None:
    sentence, word = SENTENCES[language]
    assert found(memory, word, kind, sentence), (language, kind, word)


@pytest.mark.parametrize("language", list(SENTENCES))
def test_retrieve_finds_it_too(memory: Memory, language: str) -> None:
    sentence, word = SENTENCES[language]
    hits = memory.retrieve(word, now=WHEN, limit=10, mode="lexical")
    held = [hit for hit in hits if sentence in hit.item.text]
    assert len(held) == len(WRITERS)
    assert all(hit.snippet and hit.marks for hit in held), held[0]


def test_korean_mail_written_by_another_program_is_found(samples: Path, tmp_path: Path) -> None:
    """mikel/mail's fixture: a ks_c_5601-1987 body in raw 8 bit."""
    with Memory.init(tmp_path / "memory") as opened:
        opened.ingest(samples / "eml" / "korean_ks_c_5601_8bit.eml", embed=False)
        hits = opened.search("스티해")
        assert [hit.item.text.strip() for hit in hits] == ["스티해"]
