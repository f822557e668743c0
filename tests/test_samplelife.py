"""The bundled sample life: deterministic, well-formed real export formats, findable facts."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import os
import re
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from lifelog.index.sentences import stem
from lifelog.index.text import content_terms, tokens
from lifelog.samplelife import (
    DEMO_QUESTIONS,
    EXPORT_TIME,
    FACTS,
    PLANTED_SECRET,
    SOURCES,
    SampleLife,
    generate,
    read_fact_file,
)
from lifelog.samplelife.__main__ import main
from lifelog.samplelife.clock import ZONES, offset_minutes, rfc2822

ANDROID = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}), (\d{1,2}):(\d{2}) ([AP]M) - ")
IOS = re.compile(r"^\u200e?\[(\d{2})/(\d{2})/(\d{4}), (\d{2}):(\d{2}):(\d{2})\] ([^:]+): ")
START, END = datetime(2019, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> SampleLife:
    """Half the default size: every kind of content, and quick to parse."""
    return generate(tmp_path_factory.mktemp("life"), scale=0.5)


@pytest.fixture(scope="module")
def mails(life: SampleLife) -> dict[str, list[EmailMessage]]:
    return {name: _messages(life.root / "mail" / name) for name in ("archive.mbox", "Sent.mbox")}


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _messages(path: Path) -> list[EmailMessage]:
    box = mailbox.mbox(path, create=False)
    try:
        return [
            email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            for key in box.iterkeys()
        ]
    finally:
        box.close()


@pytest.fixture(scope="module")
def corpus(life: SampleLife) -> dict[str, str]:
    """Every file's text, with JSON strings decoded and the zipped chat read."""
    texts: dict[str, str] = {}
    for rel in life.files:
        path = life.root / rel
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                texts[str(rel)] = archive.read("_chat.txt").decode("utf-8")
        elif path.suffix == ".json":
            parts = []
            for conversation in json.loads(path.read_text(encoding="utf-8")):
                parts.append(conversation["title"])
                for node in conversation["mapping"].values():
                    if node["message"]:
                        parts.extend(node["message"]["content"]["parts"])
            texts[str(rel)] = "\n".join(parts)
        else:
            texts[str(rel)] = path.read_text(encoding="utf-8")
    return texts


# -- the whole life ----------------------------------------------------------------------


def test_same_seed_and_scale_give_identical_bytes_and_mtimes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed=11, scale=0.5)
    second = generate(tmp_path / "b", seed=11, scale=0.5)
    assert first.files == second.files
    assert first.total_bytes == second.total_bytes
    assert _tree(first.root) == _tree(second.root)
    other = generate(tmp_path / "c", seed=12, scale=0.5)
    assert _tree(other.root) != _tree(first.root)
    assert other.facts == first.facts


def test_size_is_small_at_scale_one_and_grows_about_linearly(tmp_path: Path) -> None:
    small = generate(tmp_path / "one", scale=1.0)
    assert 2_000_000 <= small.total_bytes <= 5_000_000
    assert small.total_bytes == sum((small.root / p).stat().st_size for p in small.files)
    assert {p.parts[0] for p in small.files} == {"mail", "whatsapp", "chatgpt", "notes"}
    large = generate(tmp_path / "three", scale=3.0)
    assert 2.5 <= large.total_bytes / small.total_bytes <= 3.5
    for fact in large.facts:
        assert fact.needle in read_fact_file(large.root, fact)


def test_scale_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)


def test_export_files_have_fixed_mtimes(life: SampleLife) -> None:
    for rel in life.files:
        mtime = (life.root / rel).stat().st_mtime
        if rel.parts[0] == "notes":
            assert START.timestamp() <= mtime < END.timestamp()
        else:
            assert mtime == EXPORT_TIME


# -- facts -------------------------------------------------------------------------------


def test_facts_and_demo_questions_are_well_formed() -> None:
    assert len(FACTS) >= 6
    assert len(DEMO_QUESTIONS) == 6
    # every demo question but the storage unit's code (planted twice) is a fact
    assert set(DEMO_QUESTIONS[:-1]) <= set(FACTS)
    assert "access code" in DEMO_QUESTIONS[-1].question
    assert {fact.source for fact in DEMO_QUESTIONS} == set(SOURCES)
    assert len({fact.question for fact in FACTS}) == len(FACTS)
    for fact in FACTS:
        assert fact.question.endswith("?")
        assert fact.expected and fact.source in SOURCES


def test_answered_by_needs_every_keyword_ignoring_case_and_accents() -> None:
    camping = next(f for f in FACTS if "camping" in f.question)
    assert camping.answered_by("You went to peneda-geres national park in June 2023.")
    assert not camping.answered_by("You went to Sintra.")


def test_each_needle_is_in_its_named_file_and_nowhere_else(
    life: SampleLife, corpus: dict[str, str]
) -> None:
    for fact in FACTS:
        text = read_fact_file(life.root, fact)
        assert text.count(fact.needle) == 1, fact
        others = [name for name, body in corpus.items() if fact.needle in body]
        assert others == [fact.file], fact


def test_each_fact_sentence_alone_carries_the_question_words(corpus: dict[str, str]) -> None:
    """The fact's line holds every (stemmed) content word of its question, and at
    most one other line in the whole life does, so a question finds its item."""
    lines = [line for body in corpus.values() for line in body.splitlines()]
    lowered = [line.lower() for line in lines]
    for fact in FACTS:
        terms = {stem(t) for t in content_terms(fact.question)}
        # a stem is a prefix of its word: filter by substring first, then compare stems
        candidates = [
            line for line, low in zip(lines, lowered, strict=True) if all(t in low for t in terms)
        ]
        matching = [line for line in candidates if terms <= {stem(t) for t in tokens(line)}]
        assert any(fact.needle in line for line in matching), fact
        assert len(matching) <= 2, (fact.question, matching)


def test_planted_secret_is_in_one_note_and_one_mail(life: SampleLife) -> None:
    holders = sorted(
        str(rel) for rel in life.files if PLANTED_SECRET.encode() in (life.root / rel).read_bytes()
    )
    assert holders == ["mail/archive.mbox", "notes/Storage unit.md"]
    for holder in holders:
        assert (life.root / holder).read_bytes().count(PLANTED_SECRET.encode()) == 1


# -- mail --------------------------------------------------------------------------------


def test_mboxes_parse_into_complete_messages(
    life: SampleLife, mails: dict[str, list[EmailMessage]]
) -> None:
    archive, sent = mails["archive.mbox"], mails["Sent.mbox"]
    for name, messages in (("archive.mbox", archive), ("Sent.mbox", sent)):
        raw = (life.root / "mail" / name).read_bytes()
        assert len(messages) == len(re.findall(rb"^From ", raw, re.MULTILINE)) > 50
        assert raw.startswith(b"From ") and raw.endswith(b"\n\n")
    ids = [m["Message-ID"] for m in archive + sent]
    assert len(set(ids)) == len(ids)
    for message in archive + sent:
        for header in ("Message-ID", "Date", "From", "To", "Subject"):
            assert message[header], (header, message)
        assert START <= message["Date"].datetime < END
        body = message.get_body(("plain",))
        assert body is not None and body.get_content().strip()
    assert all("sam.rivera@example.org" in m["From"] for m in sent)
    assert not any("sam.rivera@example.org" in m["From"] for m in archive)


def test_mail_threads_link_replies_across_both_files(
    mails: dict[str, list[EmailMessage]],
) -> None:
    messages = mails["archive.mbox"] + mails["Sent.mbox"]
    by_id = {m["Message-ID"]: m for m in messages}
    replies = [m for m in messages if m["In-Reply-To"]]
    assert len(replies) > 50
    for reply in replies:
        parent = by_id[reply["In-Reply-To"]]
        assert reply["References"].split()[-1] == parent["Message-ID"]
        assert reply["Subject"].startswith("Re: ")
        assert parent["Date"].datetime < reply["Date"].datetime
    assert any(len(m["References"].split()) >= 3 for m in replies)


def test_mail_has_html_alternatives_attachments_and_quoted_from_lines(
    life: SampleLife, mails: dict[str, list[EmailMessage]]
) -> None:
    archive = mails["archive.mbox"]
    html = [m for m in archive if m.get_content_type() == "multipart/alternative"]
    assert html and all("<html" in m.get_body(("html",)).get_content() for m in html)  # type: ignore[union-attr]
    attached = [
        (part.get_content_type(), part.get_content())
        for m in archive
        if m.get_content_type() == "multipart/mixed"
        for part in m.iter_attachments()
    ]
    pdfs = [data for kind, data in attached if kind == "application/pdf"]
    assert pdfs and all(
        data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF") for data in pdfs
    )
    assert any(kind == "text/plain" for kind, _ in attached)
    raw = (life.root / "mail/archive.mbox").read_bytes() + (
        life.root / "mail/Sent.mbox"
    ).read_bytes()
    assert b"\n>From " in raw  # mboxo quoting of body lines that begin with "From "
    assert b"=?utf-8?" in raw  # RFC 2047 encoded names or subjects


# -- chats -------------------------------------------------------------------------------


def _check_chat(text: str, pattern: re.Pattern[str], ios: bool) -> int:
    lines = text.split("\n")
    assert lines[-1] == ""  # ends with a newline
    assert pattern.match(lines[0])
    moments = []
    continuations = 0
    for line in lines[:-1]:
        match = pattern.match(line)
        if match is None:
            continuations += 1
            assert not ANDROID.match(line) and not IOS.match(line)
            continue
        if ios:
            day, month, year, hour, minute, second = map(int, match.groups()[:6])
        else:
            month, day, year, hour, minute = map(int, match.groups()[:5])
            year, second = 2000 + year, 0
            hour = hour % 12 + (12 if match.group(6) == "PM" else 0)
        moments.append(datetime(year, month, day, hour, minute, second))
    assert moments == sorted(moments)
    assert continuations > 0  # multi-line messages
    return len(moments)


def test_whatsapp_android_export(life: SampleLife) -> None:
    text = (life.root / "whatsapp/WhatsApp Chat with Priya Shah.txt").read_text(encoding="utf-8")
    assert _check_chat(text, ANDROID, ios=False) > 500
    assert ": <Media omitted>\n" in text
    assert "end-to-end encrypted" in text.split("\n")[0]


def test_whatsapp_ios_exports_txt_and_zip(life: SampleLife) -> None:
    text = (life.root / "whatsapp/WhatsApp Chat with Elena Rivera.txt").read_text(encoding="utf-8")
    assert _check_chat(text, IOS, ios=True) > 500
    assert "\u200eimage omitted" in text
    with zipfile.ZipFile(life.root / "whatsapp/WhatsApp Chat - Rivera Family.zip") as archive:
        assert archive.namelist() == ["_chat.txt"]
        assert archive.testzip() is None
        chat = archive.read("_chat.txt").decode("utf-8")
    assert _check_chat(chat, IOS, ios=True) > 300
    authors = {m.group(7) for m in map(IOS.match, chat.split("\n")) if m}
    assert {"Sam Rivera", "Elena Rivera", "Leo Rivera"} <= authors


# -- ChatGPT and notes -------------------------------------------------------------------


def test_chatgpt_export_shape(life: SampleLife) -> None:
    conversations = json.loads((life.root / "chatgpt/conversations.json").read_text())
    assert len(conversations) > 10
    creates = [c["create_time"] for c in conversations]
    assert creates == sorted(creates, reverse=True)
    branched = 0
    for conv in conversations:
        for key in ("title", "create_time", "update_time", "id", "current_node", "mapping"):
            assert key in conv
        assert conv["update_time"] >= conv["create_time"] >= datetime(2023, 1, 1).timestamp()
        mapping = conv["mapping"]
        roots = [n for n in mapping.values() if n["parent"] is None]
        assert len(roots) == 1 and roots[0]["message"] is None
        for node_id, node in mapping.items():
            assert node["id"] == node_id
            for child in node["children"]:
                assert mapping[child]["parent"] == node_id
            message = node["message"]
            if message is not None:
                assert message["id"] == node_id
                assert message["author"]["role"] in {"system", "user", "assistant"}
                assert message["content"]["content_type"] == "text"
                assert isinstance(message["content"]["parts"], list)
        branched += any(len(n["children"]) > 1 for n in mapping.values())
        # the current node is a leaf reached from the root
        node = mapping[conv["current_node"]]
        assert node["children"] == [] and node["message"]["author"]["role"] == "assistant"
        while node["parent"] is not None:
            node = mapping[node["parent"]]
        assert node is roots[0]
    assert branched > 0


def test_notes_have_front_matter_wikilinks_and_tags(life: SampleLife) -> None:
    notes = [life.root / p for p in life.files if p.parts[0] == "notes"]
    assert len(notes) > 20 and all(p.suffix == ".md" for p in notes)
    for path in notes:
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n---\n")
        assert head.startswith("---\ntitle: ") and "\ndate: " in head and "\ntags:" in head
        date = re.search(r"^date: (\d{4}-\d{2}-\d{2})$", head, re.MULTILINE)
        assert date and START.date().isoformat() <= date.group(1) < "2025"
        assert re.search(r"(^|\s)#[a-z]+", body)
    assert sum("[[" in p.read_text(encoding="utf-8") for p in notes) > 5


# -- details -----------------------------------------------------------------------------


def test_offsets_match_the_tz_database() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    start = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
    for zone in ZONES:
        try:
            tz = zoneinfo.ZoneInfo(zone)
        except zoneinfo.ZoneInfoNotFoundError:
            pytest.skip("no tz database here")
        for utc in range(start, start + 6 * 365 * 86400, 86400 * 3 + 3607):
            expected = datetime.fromtimestamp(utc, tz).utcoffset()
            assert expected is not None
            assert offset_minutes(zone, utc) * 60 == expected.total_seconds(), (zone, utc)
    # the US switch to daylight time on the day of the move, 02:00 EST = 07:00 UTC
    moment = int(datetime(2021, 3, 14, 7, tzinfo=UTC).timestamp())
    assert rfc2822("America/New_York", moment - 1) == "Sun, 14 Mar 2021 01:59:59 -0500"
    assert rfc2822("America/New_York", moment) == "Sun, 14 Mar 2021 03:00:00 -0400"


def test_command_line_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out"), "--scale", "0.2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "MB" in out
    assert (tmp_path / "out/mail/archive.mbox").is_file()
    assert os.listdir(tmp_path / "out") and FACTS[0].question in out


# -- end to end --------------------------------------------------------------------------


def test_extractive_answers_cite_the_planted_items(tmp_path: Path, memory: Any) -> None:
    """Ingested for real, every question is answered from the one item holding its fact."""
    from lifelog.sources import all_sources

    missing = set(SOURCES) - {source.name for source in all_sources()}
    if missing:
        pytest.skip(f"sources not available yet: {sorted(missing)}")
    life = generate(tmp_path / "life", scale=0.3)
    memory.ingest(life.root)
    for fact in FACTS:
        answer = memory.ask(fact.question, model="none")
        assert answer.citations, fact.question
        assert fact.needle in answer.citations[0].item.text, (fact.question, answer.text)
        assert fact.answered_by(answer.text), (fact.question, answer.text)
