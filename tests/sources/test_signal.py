"""Signal: signal-export's data.json and chat.md (written by signal-export 3.9.3's own
code, see data/signal/README.md) and Signal Desktop's decrypted database; damage."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.chat.signal import SignalSource
from lifelog.sources.chat.signal_desktop import SignalDesktopSource

SOURCE = SignalSource()
DESKTOP = SignalDesktopSource()
CHAT = Path(__file__).parent / "data" / "signal" / "Семья 가족"


def test_signal_export_json_lines_in_five_scripts() -> None:
    path = CHAT / "data.json"
    assert detect(path) is SOURCE or detect(path).name == "signal"  # type: ignore[union-attr]
    items, skips = split_records(SOURCE, path)
    assert skips == []
    assert [i.author for i in items] == ["Ана", "민준", "Me", "ゆき", "ゆき"]
    assert items[0].text == "Привет всем! Завтра едем на дачу."
    assert items[0].timestamp == datetime(2024, 5, 1, 18, 3, 12, tzinfo=UTC)
    assert items[1].metadata["reactions"] == ["Ана: 👍"]
    assert "سأحضر الشاي" in items[2].text and items[2].metadata["quote"].startswith("Завтра")
    assert items[3].text == "[attachment: dacha.jpg]"
    assert "駅で会いましょう" in items[4].text
    assert {i.thread for i in items} == {"signal:Семья 가족"}
    assert items[0].title == "Семья 가족"


def test_chat_md_gives_the_same_messages_the_same_ids() -> None:
    path = CHAT / "chat.md"
    found = detect(path)
    assert found is not None and found.name == "signal"  # not a note
    md, skips = split_records(SOURCE, path)
    assert skips == []
    js, _ = split_records(SOURCE, CHAT / "data.json")
    assert [i.id for i in md] == [i.id for i in js]
    assert "> Завтра едем на дачу." in md[2].text and "и ещё хлеб" in md[2].text
    assert "(- Ана: 👍 -)" in md[1].text


def test_older_chat_md_minutes_and_continuation_lines(tmp_path: Path) -> None:
    folder = tmp_path / "Ben"
    folder.mkdir()
    path = folder / "chat.md"
    path.write_text(
        "[2019-05-29, 15:04] Me: How is everyone?\n"
        "[2019-05-29, 15:10] Ben: We're great!\nsecond line\n"
        "[2019-02-30, 15:20] Ben: impossible date\n"
        "[2019-05-29, 15:20] Ben: I'm not.\n",
        encoding="utf-8",
    )
    items, skips = split_records(SOURCE, path)
    assert [i.text for i in items] == ["How is everyone?", "We're great!\nsecond line", "I'm not."]
    assert len(skips) == 1 and skips[0].position == "line 4" and "impossible" in skips[0].reason


def test_damaged_json_lines_are_skipped_by_line(tmp_path: Path) -> None:
    folder = tmp_path / "Ana"
    folder.mkdir()
    good = (CHAT / "data.json").read_text(encoding="utf-8").splitlines()
    path = folder / "data.json"
    lines = [good[0], '{"date": "2024-05-01T18:09:00", "sender": "Ana", "body": "cut', "[1, 2]"]
    lines += ['{"date": "not a date", "sender": "Ana", "body": "x"}', good[1][:-10]]
    lines += [good[4]]
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe garbage \x00\n")
    items, skips = split_records(SOURCE, path)
    assert [i.author for i in items] == ["Ана", "ゆき"]
    assert [s.position for s in skips] == ["line 2", "line 3", "line 4", "line 5", "line 7"]
    assert all(s.file == str(path) for s in skips)


def test_a_huge_line_is_refused_and_the_rest_read(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("lifelog.sources.chat.signal.MAX_LINE", 1000)
    folder = tmp_path / "Ana"
    folder.mkdir()
    path = folder / "data.json"
    good = (CHAT / "data.json").read_text(encoding="utf-8").splitlines()
    huge = json.dumps({"date": "2024-05-01T18:09:00", "sender": "A", "body": "x" * 50_000})
    path.write_text("\n".join([good[0], huge, good[4]]) + "\n", encoding="utf-8")
    items, skips = split_records(SOURCE, path)
    assert len(items) == 2 and skips[0].position == "line 2" and "longer" in skips[0].reason


# -- Signal Desktop -----------------------------------------------------------------

# the columns signal-export 3.9.3 reads (sigexport/data.py) and some neighbours from
# Signal Desktop's migrations
SCHEMA = """
CREATE TABLE conversations (id STRING PRIMARY KEY ASC, json TEXT, active_at INTEGER,
  type STRING, members TEXT, name TEXT, profileName TEXT, profileFamilyName TEXT,
  profileFullName TEXT, e164 TEXT, serviceId TEXT, groupId TEXT);
CREATE TABLE messages (rowid INTEGER PRIMARY KEY ASC, id STRING UNIQUE, json TEXT,
  readStatus INTEGER, expires_at INTEGER, sent_at INTEGER, schemaVersion INTEGER,
  conversationId STRING, received_at INTEGER, source STRING, hasAttachments INTEGER,
  expireTimer INTEGER, type STRING, body TEXT, sourceServiceId TEXT, seenStatus INTEGER,
  timestamp INTEGER, serverTimestamp INTEGER);
CREATE TABLE identityKeys (id STRING PRIMARY KEY ASC, json TEXT);
CREATE TABLE sessions (id TEXT PRIMARY KEY, ourServiceId TEXT, json TEXT);
"""


def make_desktop(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO conversations (id, type, name, profileName, e164, serviceId, json)"
        " VALUES (?, ?, ?, ?, ?, ?, '{}')",
        [
            ("c-ana", "private", "Ана Петрова", "Ana", "+15550001", "svc-ana"),
            ("c-fam", "group", "가족 🏡", None, None, None),
        ],
    )
    rows = [
        ("m1", "c-ana", "incoming", "Ты где? 어디야?", 1714586531000, "svc-ana", "{}"),
        ("m2", "c-ana", "outgoing", "В поезде, буду в 7", 1714586591000, None, "{}"),
        ("m3", "c-fam", "keychange", None, 1714586600000, "svc-ana", "{}"),
        (
            "m4",
            "c-fam",
            "incoming",
            "",
            1714586700000,
            "svc-ana",
            json.dumps({"attachments": [{"fileName": "photo.jpg"}]}),
        ),
        ("m5", "c-fam", "incoming", "今日は雨です", 1714586800000, "svc-unknown", "not json"),
    ]
    db.executemany(
        "INSERT INTO messages (id, conversationId, type, body, sent_at, sourceServiceId, json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    db.close()
    return path


def test_desktop_database_messages_found_by_tables_whatever_the_name(tmp_path: Path) -> None:
    path = make_desktop(tmp_path / "db-decrypted.sqlite")
    renamed = tmp_path / "signal-backup-copy"
    renamed.write_bytes(path.read_bytes())
    for candidate in (path, renamed):
        found = detect(candidate)
        assert found is not None and found.name == "signal_desktop", candidate
    items, skips = split_records(DESKTOP, path)
    assert [i.key for i in items] == ["m1", "m2", "m4", "m5"]
    assert [i.author for i in items] == ["Ана Петрова", "Me", "Ана Петрова", "svc-unknown"]
    assert items[0].timestamp == datetime(2024, 5, 1, 18, 2, 11, tzinfo=UTC)
    assert items[2].text == "[attachment: photo.jpg]" and items[2].title == "가족 🏡"
    assert items[2].metadata["group"] is True
    assert items[3].text == "今日は雨です"
    (left,) = skips
    assert "1 keychange rows left out" in left.reason


def test_a_message_too_long_is_marked_and_the_rest_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = {"body": (12, "'[message too long: not read]'"), "json": (1000, "NULL")}
    monkeypatch.setattr("lifelog.sources.chat.signal_desktop._GUARD", guard)
    items, _ = split_records(DESKTOP, make_desktop(tmp_path / "db.sqlite"))
    assert [i.text for i in items][:2] == ["Ты где? 어디야?", "[message too long: not read]"]
    assert len(items) == 4


def test_damaged_desktop_database(tmp_path: Path) -> None:
    path = make_desktop(tmp_path / "db.sqlite")
    data = bytearray(path.read_bytes())
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(bytes(data[: len(data) // 2]))
    assert_parses_or_names_file(DESKTOP, cut)
    data[-600:] = b"\xff" * 600
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(bytes(data))
    assert_parses_or_names_file(DESKTOP, broken)


def make_encrypted(folder: Path, key: str) -> Path:
    """Signal Desktop's folder: config.json with its key and sql/db.sqlite encrypted by
    SQLCipher with Signal's settings (a raw 256-bit key, 4096-byte pages)."""
    import sqlcipher3

    plain = make_desktop(folder / "plain.sqlite")
    (folder / "sql").mkdir()
    path = folder / "sql" / "db.sqlite"
    connection = sqlcipher3.connect(str(plain))
    connection.execute(f"ATTACH DATABASE '{path}' AS signal KEY \"x'{key}'\"")
    connection.execute("PRAGMA signal.cipher_page_size = 4096")
    connection.execute("SELECT sqlcipher_export('signal')")
    connection.execute("DETACH DATABASE signal")
    connection.close()
    plain.unlink()
    (folder / "config.json").write_text(json.dumps({"key": key}), encoding="utf-8")
    return path


def test_encrypted_desktop_database_with_the_key_in_config_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFELOG_SIGNAL_KEY", raising=False)
    key = "5f" * 32
    path = make_encrypted(tmp_path, key)
    assert not path.read_bytes().startswith(b"SQLite format 3")
    found = detect(path)
    assert found is not None and found.name == "signal_desktop"
    items, _ = split_records(DESKTOP, path)
    plain, _ = split_records(DESKTOP, make_desktop(tmp_path / "copy.sqlite"))
    assert [(i.id, i.text) for i in items] == [(i.id, i.text) for i in plain]
    assert "Ты где? 어디야?" in items[0].text


def test_encrypted_database_without_or_with_a_wrong_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFELOG_SIGNAL_KEY", raising=False)
    key = "a1" * 32
    path = make_encrypted(tmp_path, key)
    (tmp_path / "config.json").write_text('{"encryptedKey": "763130..."}', encoding="utf-8")
    with pytest.raises(SourceError, match="LIFELOG_SIGNAL_KEY"):
        list(DESKTOP.parse(path))
    monkeypatch.setenv("LIFELOG_SIGNAL_KEY", "b2" * 32)
    with pytest.raises(SourceError, match="wrong key"):
        list(DESKTOP.parse(path))
    monkeypatch.setenv("LIFELOG_SIGNAL_KEY", key)
    assert len([r for r in DESKTOP.parse(path) if isinstance(r, Item)]) == 4


def _seal(key: str, password: str, rounds: int, prefix: bytes) -> str:
    """``key`` sealed as Electron's safeStorage does (Chromium's OSCrypt on Linux/macOS)."""
    import hashlib

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    derived = hashlib.pbkdf2_hmac("sha1", password.encode(), b"saltysalt", rounds, 16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(key.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(derived), modes.CBC(b" " * 16)).encryptor()
    return (prefix + encryptor.update(data) + encryptor.finalize()).hex()


@pytest.mark.parametrize(
    ("password", "rounds", "prefix", "given"),
    [
        ("peanuts", 1, b"v10", None),  # Linux without a keyring (basic_text)
        ("kR9xWq2", 1, b"v11", "kR9xWq2"),  # Linux, GNOME keyring / KWallet password
        ("Zm9vYmFy==", 1003, b"v10", "Zm9vYmFy=="),  # macOS keychain password
    ],
)
def test_a_sealed_key_is_opened_as_safe_storage_seals_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    rounds: int,
    prefix: bytes,
    given: str | None,
) -> None:
    pytest.importorskip("cryptography")
    monkeypatch.delenv("LIFELOG_SIGNAL_KEY", raising=False)
    monkeypatch.delenv("LIFELOG_SIGNAL_SAFE_STORAGE", raising=False)
    key = "7c" * 32
    path = make_encrypted(tmp_path, key)
    sealed = _seal(key, password, rounds, prefix)
    config = {"encryptedKey": sealed, "safeStorageBackend": "basic_text"}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if given is not None:
        with pytest.raises(SourceError, match="LIFELOG_SIGNAL_SAFE_STORAGE"):
            list(DESKTOP.parse(path))
        monkeypatch.setenv("LIFELOG_SIGNAL_SAFE_STORAGE", given)
    assert len([r for r in DESKTOP.parse(path) if isinstance(r, Item)]) == 4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from(["data.json", "chat.md"]))
def test_arbitrary_bytes_never_crash(data: bytes, name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        good = (CHAT / name).read_bytes()
        path.write_bytes(good[: len(data) % (len(good) + 1)] + data)
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
