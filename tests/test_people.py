"""The people directory on a real memory: a contact card anchors Alice's address and number,
and her mail, texts, WhatsApp chat and calendar invitations all land on one person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lifelog import Filters, Item, Memory, NotFoundError, UserError
from lifelog.cli import app
from lifelog.people_rules import INPUT_KEYS, Mention, cluster, key_for, mentions, norm_name

VCARD = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Alice Smith\r\n"
    "N:Smith;Alice;;;\r\n"
    "EMAIL;TYPE=INTERNET,HOME:Alice.Smith@Example.org\r\n"
    "TEL;TYPE=CELL:+1 (555) 555-0100\r\n"
    "UID:alice-1\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Bob Stone\r\n"
    "TEL;TYPE=CELL:+44 7700 900123\r\n"
    "END:VCARD\r\n"
)

MBOX = (
    "From alice.smith@example.org Mon Jun  5 09:00:00 2023\n"
    'From: "Alice Smith" <alice.smith@example.org>\n'
    "To: Sam <sam@example.net>\n"
    "Subject: New job\n"
    "Date: Mon, 05 Jun 2023 09:00:00 +0000\n"
    "Message-ID: <job-1@example.org>\n"
    "\n"
    "I got the job at the observatory! I start in September.\n"
    "\n"
    "From sam@example.net Tue Jun  6 10:00:00 2023\n"
    "From: Sam <sam@example.net>\n"
    "To: alice.smith@example.org\n"
    "Subject: Re: New job\n"
    "Date: Tue, 06 Jun 2023 10:00:00 +0000\n"
    "Message-ID: <job-2@example.net>\n"
    "In-Reply-To: <job-1@example.org>\n"
    "\n"
    "Congratulations on the job!\n"
    "\n"
    "From john@work.example Wed Jun  7 10:00:00 2023\n"
    "From: John <john@work.example>\n"
    "To: sam@example.net\n"
    "Subject: Budget\n"
    "Date: Wed, 07 Jun 2023 10:00:00 +0000\n"
    "Message-ID: <b-1@work.example>\n"
    "\n"
    "The budget for the job fair is approved.\n"
    "\n"
    "From john@home.example Thu Jun  8 10:00:00 2023\n"
    "From: John <john@home.example>\n"
    "To: sam@example.net\n"
    "Subject: Climbing\n"
    "Date: Thu, 08 Jun 2023 10:00:00 +0000\n"
    "Message-ID: <c-1@home.example>\n"
    "\n"
    "Climbing on Saturday? Bring the rope.\n"
)

SMS = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    '<smses count="3" backup_set="x" backup_date="1687218025000" type="full">\n'
    '  <sms protocol="0" address="+15555550100" date="1686300000000" type="1" subject="null"'
    ' body="The new job is great, the telescope is huge." toa="null" sc_toa="null"'
    ' service_center="null" read="1" status="-1" locked="0" date_sent="0"'
    ' readable_date="9 Jun 2023" contact_name="Alice Smith" />\n'
    '  <sms protocol="0" address="+15555550100" date="1686300600000" type="2" subject="null"'
    ' body="So happy for you" read="1" status="-1" locked="0" date_sent="0"'
    ' readable_date="9 Jun 2023" contact_name="Alice Smith" />\n'
    '  <sms protocol="0" address="07700 900123" date="1686301000000" type="1" subject="null"'
    ' body="Pub quiz tonight?" read="1" status="-1" locked="0" date_sent="0"'
    ' readable_date="9 Jun 2023" contact_name="(Unknown)" />\n'
    "</smses>\n"
)

WHATSAPP = (
    "6/10/23, 8:14 PM - Messages and calls are end-to-end encrypted. No one outside of this"
    " chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n"
    "6/10/23, 8:15 PM - Alice Smith: First week at the new job done\n"
    "6/10/23, 8:16 PM - Sam: How was it?\n"
    "6/10/23, 8:17 PM - Alice Smith: Exhausting but the job is a dream\n"
)

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:party-1@example.org\r\nDTSTAMP:20230601T000000Z\r\n"
    "DTSTART:20230701T180000Z\r\nDTEND:20230701T220000Z\r\n"
    "SUMMARY:New job party\r\n"
    "ORGANIZER;CN=Alice Smith:mailto:ALICE.SMITH@example.org\r\n"
    "ATTENDEE;CN=Sam;PARTSTAT=ACCEPTED:mailto:sam@example.net\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def write_life(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "contacts.vcf").write_bytes(VCARD.encode())
    (root / "mail.mbox").write_text(MBOX)
    (root / "sms-20230619.xml").write_text(SMS)
    (root / "WhatsApp Chat with Alice Smith.txt").write_text(WHATSAPP)
    (root / "calendar.ics").write_bytes(ICS.encode())
    return root


@pytest.fixture
def life(tmp_path: Path) -> Path:
    return write_life(tmp_path / "life")


@pytest.fixture
def mem(tmp_path: Path, life: Path) -> Iterator[Memory]:
    with Memory.init(tmp_path / "memory", encryption="none") as memory:
        report = memory.ingest(life)
        assert report.skipped_count == 0, report.skipped
        yield memory


def by_name(memory: Memory, name: str) -> list[str]:
    return [p.id for p in memory.people() if p.name == name]


def test_alice_is_one_person_with_every_handle(mem: Memory) -> None:
    [alice] = [p for p in mem.people() if p.name == "Alice Smith"]
    assert alice.values("email") == ("alice.smith@example.org",)
    assert alice.values("phone") == ("+15555550100",)
    assert "Alice Smith" in alice.values("name")
    # the card, two mails, two texts, two WhatsApp messages (+ the chat's system notice
    # names its participants) and the party
    assert set(alice.sources) == {"vcard", "mbox", "sms", "whatsapp", "ical"}
    assert alice.items >= 7
    assert alice.first_seen == datetime(2023, 6, 5, 9, tzinfo=UTC)
    assert alice.last_seen == datetime(2023, 7, 1, 18, tzinfo=UTC)
    for handle in ("alice smith", "ALICE.SMITH@example.org", "+1 555-555-0100", alice.id):
        assert mem.person(handle).id == alice.id
    assert mem.person("alice").id == alice.id  # a part of a name, when only one matches
    assert mem.people("555-0100") == [] or mem.people("5555550100")[0].id == alice.id
    assert [p.id for p in mem.people("example.org")] == [alice.id]


def test_bare_national_number_joins_the_international_one(mem: Memory) -> None:
    bob = mem.person("Bob Stone")
    assert set(bob.values("phone")) == {"+447700900123", "07700900123"}
    assert "sms" in bob.sources  # the text from "07700 900123" with no contact name


def test_search_by_person_finds_mail_texts_and_chats(mem: Memory) -> None:
    hits = mem.search("job", Filters(people=("alice",)), limit=20)
    sources = {h.item.source for h in hits}
    assert sources >= {"mbox", "sms", "whatsapp", "ical"}
    # the SMS items name her "Alice Smith" and the reply mail only by her address:
    reply = [h for h in hits if h.item.title == "Re: New job"]
    assert reply and "alice smith" not in " ".join(reply[0].item.participants).lower()
    # without the directory, a filter on her address misses her texts and chats
    everything = mem.count(Filters(people=("alice",)))
    plain = mem.store.count(*Filters(people=("alice.smith@example.org",)).sql("items"))
    assert plain == 3  # her card, the reply to her address and the party she organised
    assert mem.count(Filters(people=("alice.smith@example.org",))) == everything == 10
    assert mem.count(Filters(people=("+1 555 555 0100",))) == everything
    # a name that matches nobody keeps the plain behaviour
    assert mem.search("job", Filters(people=("nobody-at-all",))) == []


def test_two_johns_with_different_addresses_stay_apart(mem: Memory) -> None:
    johns = [p for p in mem.people("john")]
    assert len(johns) == 2
    assert {p.values("email") for p in johns} == {("john@work.example",), ("john@home.example",)}
    with pytest.raises(UserError, match="several people"):
        mem.person("John")
    # a filter on the ambiguous name keeps the plain substring match (both of them)
    assert mem.count(Filters(people=("john",))) == 2


def test_merge_survives_a_rebuild_and_split_undoes_it(mem: Memory) -> None:
    before = len(mem.people())
    merged = mem.merge_people("john@work.example", "john@home.example")
    assert set(merged.values("email")) == {"john@work.example", "john@home.example"}
    assert merged.items == 2
    assert len(mem.people()) == before - 1
    assert mem.person("John").id == merged.id  # no longer ambiguous
    assert mem.rebuild_people() > 0
    again = mem.person("john@home.example")
    assert again.id == merged.id and again.items == 2
    apart = mem.split_person("john@home.example")
    assert apart.values("email") == ("john@home.example",)
    assert mem.person("john@work.example").id != apart.id
    mem.rebuild_people()
    assert len(mem.people("john")) == 2


def test_split_takes_a_handle_out_of_a_contact(mem: Memory) -> None:
    alice = mem.person("alice smith")
    phone_only = mem.split_person("+15555550100")
    assert phone_only.id != alice.id
    assert phone_only.values("phone") == ("+15555550100",)
    assert "+15555550100" not in mem.person("alice.smith@example.org").values("phone")
    assert mem.merge_people("alice.smith@example.org", "+15555550100").id == alice.id


def test_directory_follows_forget_and_reingest(mem: Memory, life: Path) -> None:
    alice = mem.person("alice smith")
    sms_ids = [i.id for i in mem.timeline(Filters(sources=("sms",)))]
    assert mem.forget(sms_ids) == 3
    after = mem.person("alice smith")
    assert "sms" not in after.sources and after.items == alice.items - 2
    mem.ingest(life / "sms-20230619.xml", include_forgotten=True)
    assert mem.person("alice smith").items == alice.items


def test_forgetting_a_person_forgets_the_corrections_about_them(mem: Memory) -> None:
    mem.merge_people("john@work.example", "john@home.example")
    mem.split_person("+447700900123")
    home_mail = [h.item.id for h in mem.search("climbing")]
    bob_text = [h.item.id for h in mem.search("quiz")]
    assert mem.forget(home_mail + bob_text) == 2
    conn = mem.store.conn
    assert mem.people("john.home") == [] and mem.people("07700") == []
    assert conn.execute("SELECT count(*) FROM people_merges").fetchone()[0] == 0
    # his card still holds the split number: the split stays
    assert conn.execute("SELECT count(*) FROM people_splits").fetchone()[0] == 1
    assert mem.person("bob stone").values("phone") == ("+447700900123",)
    for table in ("people_mentions", "people_handles", "people_merges"):
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        assert "john@home.example" not in repr(rows), table


def test_sample_exports_give_people_with_their_service_ids(samples: Path, tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        memory.ingest(samples / "vcard", samples / "slack", samples / "whatsapp", embed=False)
        found = memory.people()
        assert found and all(p.items >= 1 and p.sources for p in found)
        slack = [p for p in found if "slack" in p.sources]
        assert slack and all(any(h.startswith("slack:") for h in p.values("handle")) for p in slack)
        simon = memory.person("simon.perreault@viagenie.ca")
        assert simon.name == "Simon Perreault"
        assert set(simon.values("phone")) == {"+14182626501", "+14186569254"}


def test_people_tables_are_in_the_encrypted_store(tmp_path: Path, life: Path) -> None:
    with Memory.init(tmp_path / "enc") as memory:
        memory.ingest(life / "contacts.vcf")
        assert memory.person("alice smith").items == 1
    raw = b"".join(p.read_bytes() for p in (tmp_path / "enc").glob("lifelog.db*"))
    assert b"alice" not in raw.lower() and b"people_handles" not in raw


def test_new_memory_has_no_people(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "empty", encryption="none") as memory:
        assert memory.people() == []
        with pytest.raises(NotFoundError):
            memory.person("alice")


def item(**fields: object) -> Item:
    base: dict[str, object] = {"source": "test", "key": "k", "kind": "message", "text": "x"}
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


def test_mention_rules() -> None:
    assert norm_name("  Smith,  Alice ") == "alice smith"
    assert norm_name("Me") is None
    assert key_for("\u202a+1 555 555 0100\u202c") == ("phone", "+15555550100")
    assert key_for("Mailto:Bob@X.org") == ("email", "bob@x.org")
    assert key_for("Room 101") == ("name", "room 101")
    # a mail to several people pairs no recipient name with an address
    mail = item(
        source="mbox",
        kind="email",
        author="Ann",
        participants=("Ann", "Bob", "Cy"),
        metadata={"from_address": "ann@x.org", "to": ["bob@x.org", "cy@x.org"]},
    )
    found = mentions(mail)
    assert Mention((("email", "ann@x.org"), ("name", "ann")), "Ann", ("ann",)) in found
    assert all(len(m.keys) == 1 for m in found[1:])
    # assistants and documents name nobody; "Me" is the user
    assert mentions(item(source="chatgpt", author="ChatGPT", participants=("Me",))) == []
    assert mentions(item(kind="document", author="Jane Austen")) == []
    telegram = item(source="telegram", author="Bob", metadata={"from_id": "user42"})
    assert mentions(telegram)[0].keys == (("handle", "telegram:user42"), ("name", "bob"))


def test_cluster_rules() -> None:
    card = Mention((("email", "a@x"), ("phone", "+15550001111"), ("name", "alice")), anchor=True)
    other = Mention((("email", "alice@corp"), ("name", "alice")))
    alone = Mention((("name", "alice"),))
    people, _ = cluster([card, other, alone])
    assert people[0] != people[1]  # a shared name never joins two people with addresses
    assert people[2] == people[0]  # the contact card wins the lone name
    people, _ = cluster([other, Mention((("email", "al@home"), ("name", "alice"))), alone])
    assert len(set(people)) == 3  # two carriers and no card: the lone name stays apart
    people, _ = cluster([card, other, alone], merges=[(("email", "a@x"), ("email", "alice@corp"))])
    assert len(set(people)) == 1
    people, _ = cluster([card, alone], split=[("phone", "+15550001111")])
    assert people[0] == ("email", "a@x") and people[1] == ("email", "a@x")
    bare = Mention((("phone", "5550001111"),))
    people, _ = cluster([card, bare])
    assert people[0] == people[1]


texts = st.text(max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    author=st.none() | texts,
    participants=st.lists(texts, max_size=6),
    meta=st.dictionaries(
        st.sampled_from(INPUT_KEYS),
        texts
        | st.lists(texts, max_size=4)
        | st.integers()
        | st.none()
        | st.dictionaries(st.sampled_from(["name", "email"]), texts, max_size=2),
        max_size=6,
    ),
    source=st.sampled_from(["mbox", "sms", "vcard", "ical", "telegram", "whatsapp", "x"]),
    kind=st.sampled_from(["email", "message", "event", "contact"]),
)
def test_mentions_never_crash(
    author: str | None,
    participants: list[str],
    meta: dict[str, object],
    source: str,
    kind: str,
) -> None:
    found = mentions(
        item(
            source=source, kind=kind, author=author, participants=tuple(participants), metadata=meta
        )
    )
    for mention in found:
        assert mention.keys and Mention.from_signature(mention.signature()) == mention
    people, roots = cluster(found)
    assert len(people) == len(found)
    assert all(p in roots.values() for p in people)


def test_hostile_items_stay_bounded() -> None:
    import time

    crowd = tuple(f"Person {i}" for i in range(100_000))
    start = time.perf_counter()
    found = mentions(item(author="x" * 1_000_000, participants=crowd))
    assert len(found) <= 300 and time.perf_counter() - start < 2
    mail = item(kind="email", participants=crowd, metadata={"to": list(crowd), "cc": 7})
    assert len(mentions(mail)) <= 300
    assert key_for("a" * 5000 + "@x.org") is None


def test_cli_lists_shows_merges_and_splits(mem: Memory) -> None:
    home = str(mem.home)
    mem.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["--memory", home, "people"])
    assert listed.exit_code == 0, listed.output
    assert "Alice Smith" in listed.output and "Bob Stone" in listed.output
    found = runner.invoke(app, ["--memory", home, "people", "example.org"])
    assert "Alice Smith" in found.output and "Bob Stone" not in found.output
    shown = runner.invoke(app, ["--memory", home, "people", "show", "alice"])
    assert shown.exit_code == 0, shown.output
    assert "+15555550100" in shown.output and "alice.smith@example.org" in shown.output
    refused = runner.invoke(
        app,
        ["--memory", home, "people", "merge", "john@work.example", "john@home.example"],
        input="n\n",
    )
    assert refused.exit_code != 0
    merged = runner.invoke(
        app,
        ["--memory", home, "people", "merge", "john@work.example", "john@home.example", "--yes"],
    )
    assert merged.exit_code == 0, merged.output
    with Memory.open(home) as memory:
        assert len(memory.people("john")) == 1
    split = runner.invoke(app, ["--memory", home, "people", "split", "john@home.example", "--yes"])
    assert split.exit_code == 0, split.output
    missing = runner.invoke(app, ["--memory", home, "people", "show", "nobody-here"])
    assert isinstance(missing.exception, NotFoundError)
    with Memory.open(home) as memory:
        assert len(memory.people("john")) == 2
    rebuilt = runner.invoke(app, ["--memory", home, "people", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output


def _message(key: str, author: str) -> Item:
    return Item(
        source="whatsapp",
        key=key,
        kind="message",
        text=f"hello from {author}",
        timestamp=datetime(2024, 1, 2, tzinfo=UTC),
        author=author,
        participants=(author, "Sam"),
    )


def test_items_read_during_an_import_and_a_reused_row_are_all_in_the_people(
    tmp_path: Path,
) -> None:
    with Memory.init(tmp_path / "m") as memory:
        store, directory = memory.store, memory.directory
        store.upsert([_message("a", "Alice"), _message("b", "Bob")], origin=None, run_id=None)
        assert directory.read_new() == 2
        assert directory.read_new() == 0, "a batch is read once"
        # the last item goes and a new one takes its row number: read_new cannot see it
        store.delete([_message("b", "Bob").id])
        store.upsert([_message("c", "Carol")], origin=None, run_id=None)
        assert store.conn.execute("SELECT max(rowid) FROM items").fetchone()[0] == 2
        assert directory.read_new() == 0
        # the refresh that ends an import reads it, and derives the people once
        assert directory.refresh() == 1
        names = {person.name for person in memory.people()}
        assert {"Alice", "Carol"} <= names and "Bob" not in names
        assert memory.search("hello", Filters(people=("carol",)))
