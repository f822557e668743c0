"""The canary test (issue 10, finding 4 and its must-show).

64 unique strings are planted across a mailbox, a single mail, a WhatsApp chat, a
Markdown note, a calendar and a contact card, some capitalised or in capitals. After
an import into an encrypted memory (the default), none is in any byte under the memory
directory, the temporary directory the processes used, or the caches they write, and
once they are forgotten none is in the database's pages decrypted with its key. In a
memory made with ``--no-encryption`` every canary is on disk in the clear (which shows
the scan sees them); after their items are forgotten through the real server (by id,
then a clean stop) and through ``lifelog forget`` (by id and by ``--file``), none is in
any byte of the database, its write-ahead log or its shared memory, nor in the word
index's vocabulary, search, answers, people or the timeline, and importing the same
folder again brings none back.

FTS5 writes each term of a segment as the part that differs from the term before it,
so a scan for the whole canary could miss what the index kept: the scan looks for the
last 8 of its 14 letters, which no other canary shares.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest

from lifelog import Memory
from lifelog.config import CONFIG_NAME, DB_NAME, KEY_NAME
from lifelog.ingest import file_origin
from lifelog.models.prepare import model_cache_dir
from lifelog.store import connect
from lifelog.store.db import Cipher
from process_helpers import AUTH, base_env, lifelog, serving

N = 64


def make_canaries(seed: int = 10) -> list[str]:
    """``zq`` and 12 random lower-case letters: one word for any tokenizer."""
    rnd = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < N:
        found["zq" + "".join(rnd.choices(string.ascii_lowercase, k=12))] = None
    canaries = list(found)
    assert len({c[-8:] for c in canaries}) == N
    return canaries


def trace(canary: str) -> bytes:
    return canary[-8:].encode()


def spelt(canary: str, n: int) -> str:
    """The canary as written in the file: as is, capitalised or in capitals."""
    return (canary, canary.capitalize(), canary.upper())[n % 3]


class Planter:
    """Hands out canaries and remembers which file holds which."""

    def __init__(self, canaries: list[str]) -> None:
        self.left: Iterator[str] = iter(canaries)
        self.by_file: dict[str, list[str]] = {}
        self.used = 0

    def take(self, file: str) -> str:
        canary = next(self.left)
        self.by_file.setdefault(file, []).append(canary)
        self.used += 1
        return spelt(canary, self.used)

    def words(self, file: str, k: int) -> str:
        return " ".join(self.take(file) for _ in range(k))


def plant(folder: Path, canaries: list[str]) -> dict[str, list[str]]:
    """Write the six canary files into ``folder``; return the canaries of each file name."""
    folder.mkdir(parents=True)
    p = Planter(canaries)

    def mail(file: str, n: int, body_words: int) -> bytes:
        sender = f"{p.take(file)} {p.take(file)} <{p.take(file).lower()}@example.org>"
        lines = [
            f"From: {sender}",
            "To: me@example.org",
            f"Subject: about the {p.take(file)} and the {p.take(file)}",
            f"Date: Thu, {n + 10} May 2023 08:00:00 +0000",
            f"Message-ID: <mail{n}.{file}@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            f"Dear friend, the garden party needs {p.words(file, body_words // 2)}.",
            f"Bring tea, cake and {p.words(file, body_words - body_words // 2)} please.",
            "",
        ]
        return "\n".join(lines).encode()

    mbox = b"".join(
        b"From sender@example.org Thu May 25 08:00:00 2023\n" + mail("mail.mbox", n, 8) + b"\n"
        for n in range(2)
    )
    (folder / "mail.mbox").write_bytes(mbox)
    (folder / "letter.eml").write_bytes(mail("letter.eml", 5, 3))

    chat_name = p.take("chat")
    chat = f"WhatsApp Chat with {chat_name}.txt"
    p.by_file[chat] = p.by_file.pop("chat")
    lines = [
        f"25/05/2023, 10:0{i} - {chat_name if i % 2 == 0 else 'Sam'}: the picnic with"
        f" {p.words(chat, 4)} by the river"
        for i in range(3)
    ]
    (folder / chat).write_text("\n".join(lines) + "\n", encoding="utf-8")

    (folder / "trip.md").write_text(
        f"# Trip to {p.take('trip.md')}\n\nWe walked past {p.words('trip.md', 3)} and"
        f" then {p.words('trip.md', 3)} before lunch.\n",
        encoding="utf-8",
    )

    event = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        "UID:event1@example.org",
        "DTSTART:20230601T100000Z",
        "DTEND:20230601T110000Z",
        f"SUMMARY:Meeting about {p.take('cal.ics')}",
        f"LOCATION:{p.take('cal.ics')} hall",
        f"DESCRIPTION:bring {p.words('cal.ics', 3)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    (folder / "cal.ics").write_bytes(("\r\n".join(event) + "\r\n").encode())

    first, last = p.take("contacts.vcf"), p.take("contacts.vcf")
    card = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{first} {last}",
        f"N:{last};{first};;;",
        f"EMAIL:{p.take('contacts.vcf').lower()}@example.com",
        f"NOTE:met at the {p.words('contacts.vcf', 2)}",
        "END:VCARD",
    ]
    (folder / "contacts.vcf").write_bytes(("\r\n".join(card) + "\r\n").encode())
    assert p.used == N, p.used
    return p.by_file


def filler(folder: Path, tag: str, count: int = 30) -> Path:
    """Notes of ordinary words, so that the word index holds more than the canaries."""
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"{tag}-{i}.md").write_text(
            f"# {tag} note {i}\n\nThe garden party on Sunday had tea, cake and a meeting"
            f" in the hall about the river walk number {i}.\n",
            encoding="utf-8",
        )
    return folder


def files_under(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file())


def leaks(roots: Iterable[Path], canaries: Iterable[str]) -> set[str]:
    """The canaries found in any byte (any case) or name of a file under ``roots``."""
    wanted = {trace(c): c for c in canaries}
    found: set[str] = set()
    for path in files_under(roots):
        data = path.read_bytes().lower() + b"\0" + str(path).lower().encode()
        found.update(c for t, c in wanted.items() if t in data)
    return found


def decrypted_pages(home: Path) -> bytes:
    """Every page of a key-file memory's database decrypted, as anyone holding the key
    could (SQLCipher 4: AES-256-CBC per page, a raw key used as is, the IV in the
    page's reserved tail; the first page begins with the salt)."""
    modes = pytest.importorskip("cryptography.hazmat.primitives.ciphers.modes")
    from cryptography.hazmat.primitives.ciphers import Cipher as Aes
    from cryptography.hazmat.primitives.ciphers import algorithms

    assert not (home / f"{DB_NAME}-wal").exists() or not (home / f"{DB_NAME}-wal").stat().st_size
    key = bytes.fromhex((home / KEY_NAME).read_text().strip())
    settings = Cipher.from_json(json.loads((home / CONFIG_NAME).read_text())["cipher"])
    size = settings.page_size
    mac = {"HMAC_SHA1": 20, "HMAC_SHA256": 32, "HMAC_SHA512": 64}[settings.hmac]
    reserve = -(-(16 + mac) // 16) * 16
    data = (home / DB_NAME).read_bytes()
    pages = []
    for offset in range(0, len(data), size):
        page = data[offset : offset + size]
        iv = page[size - reserve : size - reserve + 16]
        decryptor = Aes(algorithms.AES(key), modes.CBC(iv)).decryptor()
        pages.append(decryptor.update(page[16 if offset == 0 else 0 : size - reserve]))
    return b"".join(pages)


def traces(data: bytes, canaries: Iterable[str]) -> set[str]:
    data = data.lower()
    return {c for c in canaries if trace(c) in data}


def vocabulary(home: Path) -> set[str]:
    """The word index's terms that start with ``zq`` (the memory is not encrypted; read
    only, in a temporary table)."""
    conn = connect(home / DB_NAME, readonly=True)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, chunks_fts, 'row')")
        return {r[0] for r in conn.execute("SELECT term FROM vocab WHERE term LIKE 'zq%'")}
    finally:
        conn.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A temporary directory and caches of the test's own (the models are read where
    they are installed: they hold no memory's data)."""
    for name in ("tmp", "cache"):
        (tmp_path / name).mkdir()
    return base_env(
        TMPDIR=tmp_path / "tmp",
        XDG_CACHE_HOME=tmp_path / "cache",
        HF_HOME=tmp_path / "cache" / "huggingface",
        LIFELOG_MODEL_CACHE=model_cache_dir(),
    )


def test_canaries_never_reach_the_disk_in_the_clear_and_forgetting_leaves_no_byte(
    tmp_path: Path, env: dict[str, str]
) -> None:
    canaries = make_canaries()
    life = tmp_path / "life"
    by_file = plant(life / "canary", canaries)
    watched = [tmp_path / "tmp", tmp_path / "cache"]

    # -- encrypted (the default): nothing in the clear, anywhere lifelog writes -----------
    encrypted = tmp_path / "encrypted"
    lifelog("init", "--memory", encrypted, env=env)
    lifelog("ingest", "--memory", encrypted, life / "canary", env=env)
    found = lifelog("search", "--memory", encrypted, canaries[0].upper(), env=env)
    assert canaries[0][-8:] in found.stdout.lower()  # stored and searchable
    assert leaks([encrypted, *watched], canaries) == set()
    # with the key, forgotten items are no more readable than they are without it
    assert traces(decrypted_pages(encrypted), canaries) == set(canaries)
    lifelog("forget", "--memory", encrypted, "-y", "--file", life / "canary", env=env)
    assert traces(decrypted_pages(encrypted), canaries) == set()

    # -- not encrypted: every canary is on disk until forgotten ---------------------------
    plain = tmp_path / "plain"
    lifelog("init", "--memory", plain, "--no-encryption", env=env)
    for folder in (filler(life / "before", "before"), life / "canary"):
        lifelog("ingest", "--memory", plain, folder, env=env)
    lifelog("ingest", "--memory", plain, filler(life / "after", "after"), env=env)
    assert leaks([plain], canaries) == set(canaries)
    indexed = vocabulary(plain)  # all but the mail addresses, which are no words of a text
    assert indexed <= set(canaries) and len(indexed) >= N - 3

    with Memory.open(plain) as memory:
        ids = {
            name: memory.store.ids_by_origin(file_origin((life / "canary" / name).resolve()))
            for name in by_file
        }
        people_before = len(memory.people())
    assert all(ids.values()) and people_before > 0
    chat = next(name for name in by_file if name.startswith("WhatsApp"))

    # through the server: forget by id, then a clean stop
    through_server = [*ids[chat], *ids["cal.ics"]]
    with serving(plain, env) as base:
        response = httpx.post(
            f"{base}/api/forget", json={"ids": through_server}, headers=AUTH, timeout=60
        )
        assert response.status_code == 200, response.text
        assert response.json()["removed"] == len(through_server)
    gone = set(by_file[chat] + by_file["cal.ics"])
    database = [plain / DB_NAME, plain / f"{DB_NAME}-wal", plain / f"{DB_NAME}-shm"]
    assert leaks(database, canaries) == set(canaries) - gone

    # through the command line: by id and by --file
    by_id = [*ids["trip.md"], *ids["letter.eml"], *ids["contacts.vcf"]]
    done = lifelog(
        "forget", "--memory", plain, "-y", *by_id, "--file", life / "canary" / "mail.mbox", env=env
    )
    assert f"forgot {sum(len(v) for v in ids.values()) - len(through_server)} items" in done.stdout
    assert leaks([plain, *watched], canaries) == set()
    assert vocabulary(plain) == set()

    with Memory.open(plain) as memory:
        for canary in canaries:
            for spelling in (canary, canary.upper(), canary.capitalize()):
                assert memory.search(spelling) == []
            assert memory.people(canary[:8]) == []
        answer = memory.ask(f"What did {canaries[0]} say about the {canaries[-1]}?", model="none")
        shown = answer.text + "".join(c.snippet for c in answer.citations)
        assert not {c for c in canaries if c[-8:] in shown.lower()}
        people = " ".join(
            f"{p.name} {' '.join(h.value for h in p.handles)}" for p in memory.people()
        ).lower()
        assert not {c for c in canaries if c[-8:] in people}
        timeline = " ".join(
            f"{i.title} {i.author} {' '.join(i.participants)} {i.text}"
            for i in memory.timeline(limit=10_000)
        ).lower()
        assert "garden party" in timeline  # the filler stays
        assert not {c for c in canaries if c[-8:] in timeline}
        assert memory.search("garden party")
    assert leaks(database, canaries) == set()

    # importing the same folder again brings none of them back, and says so
    again = lifelog("ingest", "--memory", plain, life / "canary", env=env)
    assert "skipped: forgotten earlier" in again.stdout
    assert "0 added" in again.stdout
    assert leaks([plain, *watched], canaries) == set()


def test_forgetting_a_file_forgets_its_journal_and_include_forgotten_brings_it_back(
    tmp_path: Path,
) -> None:
    notes = filler(tmp_path / "notes", "walk", count=3)
    secret = notes / "walk-1.md"
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        memory.ingest(secret)  # a run that names the file itself
        memory.ingest(notes)
        conn = memory.store.conn
        origin = file_origin(secret.resolve())
        assert memory.forget_file(secret) == 1
        assert (
            conn.execute("SELECT count(*) FROM files WHERE path = ?", (origin,)).fetchone()[0] == 0
        )
        assert all(origin not in paths for (paths,) in conn.execute("SELECT paths FROM runs"))
        (kept,) = conn.execute("SELECT hash FROM forgotten").fetchone()
        assert len(kept) == 32  # the content hash, nothing of the content
        # forgetting by id: a file none of whose items is left leaves the journal too
        other = memory.store.ids_by_origin(file_origin((notes / "walk-2.md").resolve()))
        assert memory.forget(other) == 1
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM forgotten").fetchone()[0] == 2

        again = memory.ingest(notes)
        assert (again.added, again.forgotten, again.files_resumed_past) == (0, 2, 1)
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 1  # not journaled
        back = memory.ingest(notes, include_forgotten=True)
        assert (back.added, back.forgotten, back.unchanged) == (2, 0, 1)
        assert conn.execute("SELECT count(*) FROM forgotten").fetchone()[0] == 0
        assert len(memory.search("river walk")) == 3
