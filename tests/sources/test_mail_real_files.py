"""Mail written by other programs (issue 11): mailboxes that lost messages silently.

The files under ``data/mail`` were written by Netscape, Thunderbird, Gmail's Takeout,
public-inbox's ``lei`` and Python's ``email`` package (see ``data/mail/README.md``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from source_helpers import split_records

from lifelog.sources import detect
from lifelog.sources.mail.email import EmlSource, MboxSource

DATA = Path(__file__).parent / "data" / "mail"
MBOX, EML = MboxSource(), EmlSource()


def test_gmail_takeout_from_lines_without_a_date(tmp_path: Path) -> None:
    path = DATA / "gmail_takeout_no_date.mbox.txt"  # MimeKit issue 1189: 'From <id>@xxx'
    items, skips = split_records(MBOX, path)
    assert [i.title for i in items] == ["Message 1", "Message 2", "Message 3", "Message 4"]
    assert not skips
    assert items[1].metadata["attachments"] == ["Attachment.zip"]
    assert "Body of message 4." in items[3].text


def test_netscape_from_dash_lines_without_a_blank_line_and_wrong_content_length() -> None:
    path = DATA / "netscape_content_length.mbox.txt"  # 'From - ' straight after a body
    items, skips = split_records(MBOX, path)
    assert [i.title for i in items] == [
        "Re: mailusr1@navstar1 3.0b6gold #1",
        "attached image cache test (test 2: inline disposition)",
    ]
    assert not skips
    assert items[0].timestamp is not None and items[0].timestamp.year == 1996
    assert "default echo 5" in items[0].text and "Foo!" in items[1].text


def test_thunderbird_unquoted_from_lines_stay_in_the_body() -> None:
    path = DATA / "thunderbird_unmunged_from.mbox.txt"
    items, skips = split_records(MBOX, path)
    assert len(items) == 2 and not skips
    assert all("From Russia with love" in i.text for i in items)
    assert "Year: 1963" in items[1].text


def test_mboxcl2_content_length_keeps_unquoted_from_lines_in_their_message() -> None:
    path = DATA / "lei_mboxcl2_unescaped_from.mbox"
    items, skips = split_records(MBOX, path)
    assert [i.title for i in items] == [
        "Film night",
        "Re: Film night",
        "Tickets",
        "Fwd: the booking",
    ]
    assert not skips  # the Content-Length explains every 'From ' line in a body
    assert "From Russia with Love (1963)" in items[0].text
    assert "the engine room is booked until 7." in items[1].text
    assert "Subject: Engine room" in items[3].text and "Booked until 7." in items[3].text


def test_without_its_content_length_a_split_message_is_reported(tmp_path: Path) -> None:
    """The mboxcl2 file without its Content-Length lines: the pasted envelope line
    splits a message, and the piece without headers is reported, not lost silently."""
    data = (DATA / "lei_mboxcl2_unescaped_from.mbox").read_bytes()
    path = tmp_path / "no-lengths.mbox"
    lines = data.splitlines(keepends=True)
    path.write_bytes(b"".join(line for line in lines if not line.startswith(b"Content-Length")))
    items, skips = split_records(MBOX, path)
    assert len(items) == 5  # the forwarded booking's headers make a message of their own
    (skip,) = skips
    assert "no mail headers" in skip.reason and skip.position.startswith("message 3 ")


def test_a_separator_kept_as_text_is_reported(tmp_path: Path) -> None:
    """A Netscape-style ``From -`` line typed in a body has no headers after it: it
    stays in the body, and the mailbox reports it (the counts differ)."""
    data = (DATA / "thunderbird_unmunged_from.mbox.txt").read_bytes()
    data = data.replace(b"What does Thunderbird do?", b"From - here on, a new paragraph.")
    path = tmp_path / "typed.mbox"
    path.write_bytes(data)
    items, skips = split_records(MBOX, path)
    assert len(items) == 2 and "From - here on" in items[0].text
    (skip,) = skips
    assert skip.position == "mailbox" and "look like message separators" in skip.reason
    assert str(data.index(b"From - here")) in skip.reason


def test_a_byte_order_mark_before_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "saved on windows.mbox"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "gmail_takeout_no_date.mbox.txt").read_bytes())
    items, skips = split_records(MBOX, path)
    assert len(items) == 4 and not skips
    assert items[0].title == "Message 1"
    assert items[0].metadata["from_address"] == "sender@example.com"
    no_suffix = tmp_path / "Takeout mail"
    shutil.copy(path, no_suffix)
    assert getattr(detect(no_suffix), "name", None) == "mbox"


@pytest.mark.parametrize("name", ["Inbox", "Inbox.txt", "saved.mbox"])
def test_a_mailbox_is_a_mailbox_whatever_its_name(tmp_path: Path, name: str) -> None:
    """Thunderbird's ``Inbox`` has no suffix; it was read as one message (eml)."""
    for fixture in ("netscape_content_length.mbox.txt", "thunderbird_unmunged_from.mbox.txt"):
        path = tmp_path / name
        shutil.copy(DATA / fixture, path)
        source = detect(path)
        assert source is not None and source.name == "mbox", (fixture, source)
        assert len(split_records(source, path)[0]) == 2


@pytest.mark.parametrize("name", ["minutes.eml", "minutes.txt", "minutes"])
def test_a_single_message_is_mail_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(DATA / "named_text_part.eml", path)
    source = detect(path)
    assert source is not None and source.name == "eml", source
    (item,), _ = split_records(source, path)
    assert item.title == "Minutes of the engine meeting"


def test_a_named_text_part_without_disposition_and_a_missing_subtype_are_text() -> None:
    (item,), skips = split_records(EML, DATA / "named_text_part.eml")
    assert not skips
    assert "Here are the minutes" in item.text
    assert "the difference engine demo moves to Thursday" in item.text
    assert not item.metadata.get("attachments")
