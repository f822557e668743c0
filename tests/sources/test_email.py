"""Mail sources (mbox, eml, Maildir) on fixtures written here and on the shared samples."""

from __future__ import annotations

import email.policy
import os
import time
from datetime import UTC, datetime
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.base import Parsed, file_uri, read_head
from lifelog.sources.mail import mbox as mbox_module
from lifelog.sources.mail.email import EmlSource, MaildirSource, MboxSource

MBOX, EML, MAILDIR = MboxSource(), EmlSource(), MaildirSource()


def mail(
    subject: str = "Hello",
    body: str = "Hi there.",
    *,
    sender: str = "Melanie Smith <mel@x.org>",
    to: str = "Sam Rivera <sam@y.org>",
    date: str | None = "Thu, 25 May 2023 10:00:00 +0200",
    message_id: str | None = "<m1@x.org>",
    extra: str = "",
    content_type: str = 'text/plain; charset="utf-8"',
    encoding: str = "8bit",
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    if date:
        lines.append(f"Date: {date}")
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if extra:
        lines.append(extra.rstrip("\n"))
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}"]
    lines.append(f"Content-Transfer-Encoding: {encoding}")
    return ("\n".join(lines) + "\n\n" + body + "\n").encode()


def mbox(*messages: bytes, envelope: str = "From mel@x.org Thu May 25 08:00:00 2023") -> bytes:
    return b"".join(envelope.encode() + b"\n" + m + b"\n" for m in messages)


def parse(source: MboxSource | EmlSource | MaildirSource, path: Path) -> list[Parsed]:
    return list(source.parse(path))


def items(records: list[Parsed]) -> list[Item]:
    return [r for r in records if isinstance(r, Item)]


def skips(records: list[Parsed]) -> list[Skip]:
    return [r for r in records if isinstance(r, Skip)]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- one mailbox, field by field -------------------------------------------------------


THREAD = mbox(
    mail(
        "=?utf-8?Q?Camping_at_the_beach_=E2=9B=BA?=",
        "We are going camping at the beach in June.",
        to="Sam Rivera <sam@y.org>, Priya <priya@z.org>",
        extra="Cc: Leo <leo@z.org>",
    ),
    mail(
        "Re: Camping at the beach",
        "Count us in!\n\n> We are going camping",
        sender="Sam Rivera <sam@y.org>",
        to="Melanie Smith <mel@x.org>",
        date="Fri, 26 May 2023 09:30:00 -0400",
        message_id="<m2@y.org>",
        extra="In-Reply-To: <m1@x.org>\nReferences: <m1@x.org>",
    ),
    mail(
        "Re: Re: Camping at the beach",
        "Great, see you there.",
        date="Sat, 27 May 2023 08:00:00 +0000",
        message_id="<m3@x.org>",
        extra="In-Reply-To: <m2@y.org>\nReferences: <m1@x.org>\n <m2@y.org>",
    ),
)


def test_a_thread_of_three_messages(tmp_path: Path) -> None:
    path = write(tmp_path / "archive.mbox", THREAD)
    first, second, third = items(parse(MBOX, path))
    assert first.source == "mbox" and first.kind == "email"
    assert first.key == "m1@x.org" and first.title == "Camping at the beach \u26fa"
    assert first.author == "Melanie Smith"
    assert first.participants == ("Melanie Smith", "Sam Rivera", "Priya", "Leo")
    assert first.timestamp == datetime(2023, 5, 25, 8, 0, tzinfo=UTC)
    assert first.text == "We are going camping at the beach in June."
    assert first.metadata["from_address"] == "mel@x.org"
    assert first.metadata["to"] == ["sam@y.org", "priya@z.org"]
    assert first.metadata["cc"] == ["leo@z.org"]
    assert first.metadata["direction"] == "received"
    assert first.locator == "Message-ID <m1@x.org>"
    assert first.uri == file_uri(path, first.locator)
    assert {first.thread, second.thread, third.thread} == {"m1@x.org"}
    assert second.metadata["in_reply_to"] == "m1@x.org"
    assert third.metadata["references"] == ["m1@x.org", "m2@y.org"]
    assert second.timestamp == datetime(2023, 5, 26, 13, 30, tzinfo=UTC)
    assert second.author == "Sam Rivera"


def test_own_addresses_make_mail_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFELOG_ME", "someone@else.org, SAM@y.org")
    path = write(tmp_path / "archive.mbox", THREAD)
    directions = [i.metadata["direction"] for i in items(parse(MBOX, path))]
    assert directions == ["received", "sent", "received"]
    sent_box = write(tmp_path / "Sent Messages.mbox", THREAD)
    assert {i.metadata["direction"] for i in items(parse(MBOX, sent_box))} == {"sent"}


def test_sent_folders_and_labels(tmp_path: Path) -> None:
    from lifelog.sources.mail.item import is_sent_folder

    for name in (
        "Sent",
        "Sent Items",
        "[Gmail].Sent Mail",
        "INBOX.Sent",
        "sent-mail",
        "Sent_Messages",
        "Gesendete Objekte",
        "\u00c9l\u00e9ments envoy\u00e9s",
        "Elementos enviados",
        "Posta inviata",
        "Verzonden items",
    ):
        assert is_sent_folder(name), name
    for name in ("Inbox", "Envoy Project", "Consent forms", "Presentations", "archive"):
        assert not is_sent_folder(name), name
    labelled = mail(extra="X-Gmail-Labels: Important,Sent,Opened")
    (item,) = items(parse(MBOX, write(tmp_path / "All mail.mbox", mbox(labelled))))
    assert item.metadata["direction"] == "sent"
    assert item.metadata["labels"] == ["Important", "Sent", "Opened"]


def test_keys_do_not_depend_on_where_the_file_lies(tmp_path: Path) -> None:
    one = write(tmp_path / "a" / "archive.mbox", THREAD)
    two = write(tmp_path / "b" / "copy.mbox", THREAD)
    assert [i.id for i in items(parse(MBOX, one))] == [i.id for i in items(parse(MBOX, two))]
    no_id = mbox(mail(message_id=None), mail("Other", message_id=None))
    ids = [i.key for i in items(parse(MBOX, write(tmp_path / "n1.mbox", no_id)))]
    again = [i.key for i in items(parse(MBOX, write(tmp_path / "x" / "n2.mbox", no_id)))]
    assert ids == again and len(set(ids)) == 2 and ids[0].startswith("hash:")


def test_html_only_mail_becomes_text(tmp_path: Path) -> None:
    html = (
        "<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
        "<body><p>Dear Sam,</p><p>The kids loved the <b>dunes</b>.<br>See you soon!</p>"
        "</body></html>"
    )
    path = write(tmp_path / "h.eml", mail(body=html, content_type="text/html; charset=utf-8"))
    (item,) = items(parse(EML, path))
    assert "alert" not in item.text and "color" not in item.text
    assert "Dear Sam," in item.text and "The kids loved the dunes." in item.text
    assert "\n" in item.text.split("Dear Sam,", 1)[1]  # paragraphs stay apart
    assert "See you soon!" in item.text


def test_attachments_are_named_never_stored(tmp_path: Path) -> None:
    payload = "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K" * 20
    body = (
        "--b1\nContent-Type: text/plain; charset=utf-8\n\nSee the report attached.\n"
        "--b1\nContent-Type: application/pdf; name=report.pdf\n"
        "Content-Disposition: attachment; filename=report.pdf\n"
        f"Content-Transfer-Encoding: base64\n\n{payload}\n"
        "--b1\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename*=utf-8''f%C3%A9rias.jpg\n\n/9j/4AAQSkZJRg==\n"
        "--b1--\n"
    )
    path = write(tmp_path / "a.eml", mail(body=body, content_type='multipart/mixed; boundary="b1"'))
    (item,) = items(parse(EML, path))
    assert item.metadata["attachments"] == ["report.pdf", "f\u00e9rias.jpg"]
    assert item.text == "See the report attached.\n\n[attachments: report.pdf, f\u00e9rias.jpg]"
    assert "JVBER" not in item.text


def test_forwarded_message_is_part_of_the_text(tmp_path: Path) -> None:
    inner = mail(
        "Passport renewal",
        "Your passport expires on 22 August 2027.",
        sender="Registry <no-reply@gov.example>",
        message_id="<inner@gov.example>",
    ).decode()
    body = (
        "--fw\nContent-Type: text/plain\n\nFYI, see below.\n"
        "--fw\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n"
        f"{inner}\n--fw--\n"
    )
    path = write(
        tmp_path / "f.eml",
        mail("Fwd: Passport renewal", body, content_type="multipart/mixed; boundary=fw"),
    )
    (item,) = items(parse(EML, path))
    assert item.text.startswith("FYI, see below.\n\n---------- Forwarded message ----------")
    assert "From: Registry <no-reply@gov.example>" in item.text
    assert "Subject: Passport renewal" in item.text
    assert item.text.endswith("Your passport expires on 22 August 2027.")
    assert item.metadata["forwarded"] == 1 and item.key == "m1@x.org"


def test_8bit_windows_1252_without_charset(tmp_path: Path) -> None:
    raw = (
        b"From: Jos\xe9 <jose@x.org>\nSubject: Caf\xe9 \x93menu\x94\n"
        b"Date: Tue, 22 Jan 2013 14:50:02 +0100\nMessage-ID: <w@x>\n\n"
        b"Na\xefve caf\xe9 \x96 \x93quoted\x94 \x80 5\n"
    )
    (item,) = items(parse(EML, write(tmp_path / "w.eml", raw)))
    assert item.title == "Caf\u00e9 \u201cmenu\u201d" and item.author == "Jos\u00e9"
    assert item.text == "Na\u00efve caf\u00e9 \u2013 \u201cquoted\u201d \u20ac 5"


def test_charsets_of_asia_and_odd_labels(tmp_path: Path) -> None:
    korean = "\uc548\ub155\ud558\uc138\uc694"
    japanese = "\u3053\u3093\u306b\u3061\u306f"
    chinese = "\u4f60\u597d"
    cases = [
        (korean.encode("cp949"), "ks_c_5601-1987", korean),
        (japanese.encode("iso2022_jp"), "ISO-2022-JP", japanese),
        (japanese.encode("cp932"), "Shift_JIS", japanese),
        (chinese.encode("gbk"), '"gb2312"', chinese),
        ("caf\u00e9 \u20ac".encode("cp1252"), "iso-8859-1", "caf\u00e9 \u20ac"),
    ]
    for number, (body, charset, expected) in enumerate(cases):
        raw = mail(message_id=f"<c{number}@x>", content_type=f"text/plain; charset={charset}")
        raw = raw.replace(b"Hi there.", body)
        (item,) = items(parse(EML, write(tmp_path / f"c{number}.eml", raw)))
        assert item.text == expected, charset
    # raw 8-bit EUC-KR in the Subject: read in the charset the message declares
    raw = mail(content_type="text/plain; charset=euc-kr").replace(
        b"Subject: Hello", b"Subject: " + korean.encode("euc-kr")
    )
    (item,) = items(parse(EML, write(tmp_path / "k.eml", raw)))
    assert item.title == korean
    encoded = "=?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?= =?ks_c_5601-1987?B?vsiz58fPvLy/5A==?="
    (item,) = items(parse(EML, write(tmp_path / "w.eml", mail(encoded))))
    assert item.title == japanese + korean


def test_invalid_bytes_are_replaced_not_fatal(tmp_path: Path) -> None:
    raw = mail(body="ok").replace(b"ok", b"caf\xc3\xa9 \xff\xfe broken \xc3")
    bad = mail("Bad", message_id="<bad@x>", content_type="text/plain; charset=no-such-charset")
    path = write(tmp_path / "bytes.mbox", mbox(raw, bad.replace(b"Hi there.", b"\xe9t\xe9")))
    first, second = items(parse(MBOX, path))
    assert first.text.startswith("caf\u00e9 \ufffd\ufffd broken")
    assert second.text == "\u00e9t\u00e9"  # unknown charset: guessed (windows-1252)


def test_truncated_mbox_keeps_what_parses(tmp_path: Path) -> None:
    data = THREAD + b"From x@y Sun May 28 08:00:00 2023\nFrom: Cut <cut@x.org>\nSubject: Half a mes"
    path = write(tmp_path / "cut.mbox", data)
    records = parse(MBOX, path)
    assert len(items(records)) == 4 and not skips(records)
    assert items(records)[-1].title == "Half a mes" and items(records)[-1].text == ""
    garbage = THREAD + b"From x@y Sun May 28 08:00:00 2023\n\x00\x01 no headers at all \xff\n"
    records = parse(MBOX, write(tmp_path / "garbage.mbox", garbage))
    (skip,) = skips(records)
    offset = len(THREAD)
    assert skip.file == str(tmp_path / "garbage.mbox")
    assert skip.position == f"message 4 (byte offset {offset})"
    assert "no mail headers" in skip.reason and len(items(records)) == 3


def test_one_broken_message_is_skipped_and_the_rest_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifelog.sources.mail.mime import Body, Headers, extract_body

    def flaky(headers: Headers, body: bytes) -> Body:
        if b"explode" in body:
            raise ValueError("boom")
        return extract_body(headers, body)

    monkeypatch.setattr("lifelog.sources.mail.item.extract_body", flaky)
    data = mbox(
        mail("one"), mail("two", "explode", message_id="<m2@x>"), mail("three", message_id="<m3@x>")
    )
    records = parse(MBOX, write(tmp_path / "x.mbox", data))
    assert [type(r).__name__ for r in records] == ["Item", "Skip", "Item"]
    assert records[1].position.startswith("message 2 (byte offset ")  # type: ignore[union-attr]
    assert "ValueError: boom" in records[1].reason  # type: ignore[union-attr]


def test_mbox_variants(tmp_path: Path) -> None:
    crlf = THREAD.replace(b"\n", b"\r\n")
    assert [i.text for i in items(parse(MBOX, write(tmp_path / "crlf.mbox", crlf)))] == [
        i.text for i in items(parse(MBOX, write(tmp_path / "lf.mbox", THREAD)))
    ]
    quoted = mbox(mail(body=">From the start\n>>From quoted\nFrom here on, no digit"))
    (item,) = items(parse(MBOX, write(tmp_path / "rd.mbox", quoted)))
    assert item.text == "From the start\n>From quoted\nFrom here on, no digit"
    # an envelope line without a blank line before it still starts a message
    tight = THREAD.replace(b"\n\nFrom mel@x.org Thu", b"\nFrom mel@x.org Thu")
    assert len(items(parse(MBOX, write(tmp_path / "tight.mbox", tight)))) == 3
    mmdf = b"".join(
        b"\x01\x01\x01\x01\n" + m + b"\x01\x01\x01\x01\n"
        for m in (mail(), mail("b", message_id="<b@x>"))
    )
    path = write(tmp_path / "box.mmdf", mmdf)
    assert [i.title for i in items(parse(MBOX, path))] == ["Hello", "b"]


def test_dates_fall_back_to_the_envelope(tmp_path: Path) -> None:
    data = mbox(mail(date=None), mail("b", date="not a date", message_id="<b@x>"))
    data += mbox(mail("c", date="Sat, 9 Sep 94 15:37 EDT", message_id="<c@x>"))
    first, second, third = items(parse(MBOX, write(tmp_path / "d.mbox", data)))
    assert first.timestamp == second.timestamp == datetime(2023, 5, 25, 8, 0, tzinfo=UTC)
    assert third.timestamp == datetime(1994, 9, 9, 19, 37, tzinfo=UTC)
    (bare,) = items(parse(EML, write(tmp_path / "nodate.eml", mail(date=None))))
    assert bare.timestamp is None


def test_duplicate_message_ids(tmp_path: Path) -> None:
    same = mail("Dup", "the same")
    other = mail("Dup", "another body, same id")
    records = items(parse(MBOX, write(tmp_path / "dup.mbox", mbox(same, same, other))))
    assert [r.key for r in records[:2]] == ["m1@x.org", "m1@x.org"]
    assert records[0] == records[1]
    assert records[2].key.startswith("m1@x.org#") and records[2].locator == "Message-ID <m1@x.org>"


def test_big_message_is_cut_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mbox_module, "MAX_MESSAGE", 2000)
    big = mail("Big", "start of the text\n" + "x" * 50 + "\n" + "y" * 10_000)
    records = parse(
        MBOX, write(tmp_path / "big.mbox", mbox(big, mail("small", message_id="<s@x>")))
    )
    first, second = items(records)
    assert first.metadata["truncated"] is True and first.text.startswith("start of the text")
    assert len(first.text) < 2000 and second.title == "small"


def test_unreadable_mailboxes_raise_source_error(tmp_path: Path) -> None:
    for source in (MBOX, EML):
        with pytest.raises(SourceError, match="missing.mbox"):
            list(source.parse(tmp_path / "missing.mbox"))
    with pytest.raises(SourceError, match="nodir"):
        list(MAILDIR.parse(tmp_path / "nodir"))


# -- Maildir ----------------------------------------------------------------------------


def test_maildir_with_folders_and_a_sent_folder(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Trips.2023/cur"):
        (root / sub).mkdir(parents=True)
    write(root / "cur" / "1685000000.M1P1.host:2,RS", mail())
    write(root / "new" / "1685000100.M2P1.host", mail("New", message_id="<n@x>", date=None))
    write(
        root / ".Sent" / "cur" / "1685000200.M3P1.host:2,S",
        mail("Re: Hello", "Yes!", sender="Sam <sam@y.org>", message_id="<s@y>"),
    )
    write(
        root / ".Trips.2023" / "cur" / "1685000300.M4P1.host:2,",
        mail("Note to self", sender="sam@y.org", message_id="<t@y>"),
    )
    write(root / "cur" / ".hidden", b"not a message")
    assert detect(root) is not None and detect(root).name == "maildir"  # type: ignore[union-attr]
    assert not MAILDIR.sniff(tmp_path, b"")
    records = parse(MAILDIR, root)
    assert not skips(records)
    by_key = {i.key: i for i in items(records)}
    assert set(by_key) == {"m1@x.org", "n@x", "s@y", "t@y"}
    assert by_key["s@y"].metadata["direction"] == "sent"
    assert by_key["s@y"].metadata["folder"] == "Sent"
    # the Sent folder's sender is the user: their mail in another folder is sent too
    assert by_key["t@y"].metadata["direction"] == "sent"
    assert by_key["t@y"].metadata["folder"] == "Trips.2023"
    assert by_key["m1@x.org"].metadata["direction"] == "received"
    assert by_key["m1@x.org"].metadata["flags"] == "RS"
    assert by_key["n@x"].timestamp == datetime.fromtimestamp(1685000100, UTC)
    message = root / "cur" / "1685000000.M1P1.host:2,RS"
    assert by_key["m1@x.org"].uri == file_uri(message, "Message-ID <m1@x.org>")


# -- detection --------------------------------------------------------------------------


def test_sniffing(tmp_path: Path) -> None:
    thunderbird = write(tmp_path / "Inbox", b"From - Mon Jan 01 10:00:00 2020\n" + mail())
    mh = write(tmp_path / "mh" / "17", mail())
    note = write(tmp_path / "From the desk.md", b"From the desk of Bob\n\nHello")
    md_headers = write(tmp_path / "headers.md", mail())
    prose = write(tmp_path / "story", b"From 2019 on we lived in Lisbon.\nIt was nice.\n")
    assert MBOX.sniff(thunderbird, read_head(thunderbird))
    assert MBOX.sniff(tmp_path / "mbox", b"") and MBOX.sniff(tmp_path / "x.MBX", b"")
    assert not MBOX.sniff(tmp_path / "x.eml", b"From a@b Mon Jan  1 10:00:00 2020\n")
    assert not MBOX.sniff(mh, read_head(mh)) and EML.sniff(mh, read_head(mh))
    for path in (note, md_headers, prose):
        assert not MBOX.sniff(path, read_head(path)) and not EML.sniff(path, read_head(path))
    assert not EML.sniff(tmp_path / "x.ics", b"BEGIN:VCALENDAR\nVERSION:2.0\n")
    assert not EML.sniff(tmp_path / "x", b"Title: a\nAuthor: b\n\ntext")


def test_emlx(tmp_path: Path) -> None:
    message = mail("Apple", "from Mail.app")
    data = f"{len(message)}\n".encode() + message + b'<?xml version="1.0"?>\n<plist></plist>\n'
    (item,) = items(parse(EML, write(tmp_path / "1234.emlx", data)))
    assert item.title == "Apple" and item.text == "from Mail.app"


# -- the shared samples -----------------------------------------------------------------


def _sample_items(samples: Path, folder: str) -> dict[str, list[Item]]:
    found: dict[str, list[Item]] = {}
    for path in sorted((samples / folder).iterdir()):
        source = detect(path)
        assert source is not None and source.name == folder, path
        records = list(source.parse(path))
        assert not skips(records), skips(records)
        found[path.name] = items(records)
        assert found[path.name], path
        for item in found[path.name]:
            assert item.text.strip() and "\ufffd" not in item.text
    return found


def test_mbox_samples(samples: Path) -> None:
    found = _sample_items(samples, "mbox")
    assert len(found["synthetic_21_messages.mbox"]) == 21
    mmdf = found["ietf_1994_announce_mmdf.mmdf"]
    assert len(mmdf) == 5 and all(i.title and i.timestamp for i in mmdf)
    assert mmdf[0].timestamp == datetime(1994, 9, 9, 19, 33, 46, tzinfo=UTC)
    assert mmdf[4].thread == mmdf[3].key  # a reply in the 1994 thread
    (ietf,) = found["ietf_announce_single_mboxo.mbox"]
    assert "directories.\n This draft" in ietf.text  # quoted-printable soft breaks undone
    (cp1252,) = found["windows1252_8bit_multipart.mbox"]
    assert "\u201cquoted term\u201d" in cp1252.text
    assert cp1252.metadata["attachments"] == ["Attached Message Part"]


def test_eml_samples(samples: Path) -> None:
    found = _sample_items(samples, "eml")
    (japanese,) = found["iso2022jp_body_utf8_encoded_words.eml"]
    assert japanese.title == "\u307e\u307f\u3080\u3081\u3082"
    assert japanese.text == "\u3059\u307f\u307e\u305b\u3093\u3002"
    assert "\u307f\u3051\u308b" in japanese.participants
    (korean,) = found["korean_ks_c_5601_8bit.eml"]
    assert korean.text == "\uc2a4\ud2f0\ud574"
    (forwarded,) = found["apple_mail_forwarded_message_rfc822.eml"]
    assert forwarded.text.startswith("This is the first part.")
    assert (
        "Subject: Another PDF" in forwarded.text and "Just attaching another PDF" in forwarded.text
    )
    assert forwarded.metadata["attachments"] == ["ForwardedMessage.eml", "broken.pdf"]
    (nested,) = found["outlook_nested_mixed_related_alternative.eml"]
    assert nested.text.startswith("Dear Sir,") and nested.text.endswith("The footer")
    assert "<p>" not in nested.text


# -- never raise, whatever the bytes ---------------------------------------------------

_TOKENS = st.sampled_from(
    [
        b"From a@b Mon Jan  1 10:00:00 2020\n",
        b"From: x <x@y>\n",
        b"Subject: =?utf-8?B?w6k=?= =?x?Q?=FF?=\n",
        b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: message/rfc822\n",
        b"Content-Transfer-Encoding: base64\n",
        b"Content-Transfer-Encoding: quoted-printable\n",
        b"--b\n",
        b"--b--\n",
        b"\n",
        b"\r\n",
        b"\x01\x01\x01\x01\n",
        b">From x\n",
        b"=C3=\n",
        b"<p>hi<br><script>x</script>",
        b"Date: Mon, 99 Foo 20000 99:99:99 +9999\n",
    ]
)
_JUNK = st.one_of(
    st.binary(max_size=400), st.lists(_TOKENS | st.binary(max_size=8), max_size=40).map(b"".join)
)


@settings(
    max_examples=100,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_JUNK)
def test_arbitrary_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    for name, source in (("x.mbox", MBOX), ("x.eml", EML)):
        path = write(tmp_path / name, data)
        for record in records_of(source, path):
            if isinstance(record, Item):
                assert record.kind == "email" and record.key


# -- speed ------------------------------------------------------------------------------


def _generated_mbox(path: Path, megabytes: int) -> int:
    """Mixed mail: plain, multipart/alternative with HTML, a base64 attachment."""
    plain = "Hi Sam,\n\nThe tomatoes are growing and the kids loved the dunes.\n" * 30
    html = "<html><body>" + "<p>The tomatoes are growing.</p>" * 40 + "</body></html>"
    attachment = ("JVBERi0xLjQK" * 6 + "\n") * 400
    count = 0
    with path.open("wb") as out:
        while out.tell() < megabytes * 1_000_000:
            count += 1
            kind = count % 3
            if kind == 0:
                body, ctype = plain, "text/plain; charset=utf-8"
            elif kind == 1:
                body = (
                    f"--a\nContent-Type: text/plain\n\n{plain}\n"
                    f"--a\nContent-Type: text/html\n\n{html}\n--a--"
                )
                ctype = "multipart/alternative; boundary=a"
            else:
                body = (
                    f"--m\nContent-Type: text/plain\n\n{plain}\n"
                    "--m\nContent-Type: application/pdf\n"
                    f"Content-Disposition: attachment; filename=r{count}.pdf\n"
                    f"Content-Transfer-Encoding: base64\n\n{attachment}--m--"
                )
                ctype = "multipart/mixed; boundary=m"
            message = mail(f"Message {count}", body, message_id=f"<g{count}@x>", content_type=ctype)
            out.write(b"From a@b Mon Jan  1 10:00:00 2020\n" + message + b"\n")
    return count


@pytest.mark.bench
def test_mbox_parse_speed(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    count = _generated_mbox(path, 50)
    size = path.stat().st_size / 1e6
    started = time.perf_counter()
    parsed = sum(isinstance(r, Item) for r in MBOX.parse(path))
    ours = size / (time.perf_counter() - started)
    assert parsed == count

    # baseline in the same run: the standard library's parsers on the same messages
    raw = path.read_bytes().split(b"\nFrom a@b Mon Jan  1 10:00:00 2020\n")[: count // 5]
    sample = sum(map(len, raw)) / 1e6
    rates = {}
    for name, policy in (("compat32", email.policy.compat32), ("default", email.policy.default)):
        parser = BytesParser(policy=policy)
        started = time.perf_counter()
        for message in raw:
            parsed_message = parser.parsebytes(message)
            for part in parsed_message.walk():
                if part.get_content_maintype() == "text":
                    part.get_payload(decode=True)
        rates[name] = sample / (time.perf_counter() - started)
    print(
        f"\nmbox parse: {size:.0f} MB, {count} messages: {ours:.1f} MB/s"
        f" (stdlib compat32 {rates['compat32']:.1f} MB/s, default {rates['default']:.1f} MB/s,"
        f" parse only on {os.cpu_count()} cpus)"
    )
    assert ours >= 10
