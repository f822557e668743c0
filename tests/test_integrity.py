"""Integrity and clear errors (issue 10, finding 9).

A damaged file is told from a wrong key, and said in one line that names the file,
the damage and what to do, with no traceback and none of SQLCipher's own log lines;
``lifelog check`` finds damage and indexes that disagree with the items;
``lifelog backup`` copies a memory in use, ``lifelog restore`` puts it back (not over
items without ``--force``); ``lifelog rekey`` changes the key, and a rekey stopped
half-way leaves a memory that opens with the new key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lifelog import Memory, PassphraseError
from lifelog.config import CONFIG_NAME, DB_NAME, KEY_NAME
from lifelog.errors import DamagedError
from lifelog.store import copies
from process_helpers import base_env, lifelog

PAGE = 16384


def notes(folder: Path, count: int, tag: str = "zebra") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        words = " ".join(f"w{(n * 7 + k) % 97}" for k in range(40))
        (folder / f"note{n:04d}.md").write_text(f"# Note {n}\n\n{tag} number {n}: {words}\n")
    return folder


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(LIFELOG_EMBED_MODEL="none", TMPDIR=tmp_path)


def make_memory(tmp_path: Path, env: dict[str, str], *flags: str, count: int = 300) -> Path:
    home = tmp_path / "memory"
    lifelog("init", "--memory", home, *flags, env=env)
    lifelog("ingest", "--memory", home, "--quiet", notes(tmp_path / "notes", count), env=env)
    return home


def clean_error(done: subprocess.CompletedProcess[str]) -> str:
    """The command failed with one clear error and nothing else on stderr."""
    assert done.returncode != 0, done.stdout
    said = done.stdout + done.stderr
    assert "Traceback" not in said and "ERROR CORE" not in said, said
    assert "hmac check failed" not in said, said
    assert done.stderr.lstrip().startswith("error:"), said
    return " ".join(done.stderr.split())


def zero_pages(db: Path, pages: range) -> None:
    with db.open("r+b") as handle:
        for number in pages:
            handle.seek((number - 1) * PAGE)
            handle.write(bytes(PAGE))


def pages_of(db: Path) -> int:
    return db.stat().st_size // PAGE


# -- telling damage from a wrong key ---------------------------------------------------


def test_a_truncated_file_is_damage_not_a_wrong_key(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env)
    db = home / DB_NAME
    with db.open("r+b") as handle:
        handle.truncate(db.stat().st_size // 2 + 1000)
    for command in ("stats", "search"):
        said = clean_error(
            lifelog(
                command,
                *(["zebra"] * (command == "search")),
                "--memory",
                home,
                env=env,
                check=False,
            )
        )
        assert "wrong passphrase" not in said
        assert f"{DB_NAME} in {home} is damaged" in said
        assert "truncated" in said and "lifelog restore" in said


@pytest.mark.parametrize("first", [False, True], ids=["middle pages", "page 1 too"])
def test_zeroed_pages_are_damage_named_by_page(
    tmp_path: Path, env: dict[str, str], first: bool
) -> None:
    home = make_memory(tmp_path, env)
    db = home / DB_NAME
    zero_pages(db, range(1 if first else 3, pages_of(db) + 1))
    for args in (["stats"], ["search", "zebra"], ["ask", "zebra?"]):
        done = lifelog(*args, "--memory", home, env=env, check=False)
        said = clean_error(done)
        assert "is damaged" in said and "your key is fine" in said, said
        assert ("pages 1, 2, 3" if first else "pages 3, 4, 5") in said, said
        assert "lifelog restore" in said and "lifelog check" in said
    done = lifelog("check", "--memory", home, env=env, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "pages       FAILED" in done.stdout and "restore it from a backup" in done.stdout


def test_a_zeroed_page_without_encryption(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env, "--no-encryption")
    db = home / DB_NAME
    # the plain file keeps its page size in its header
    size = int.from_bytes(db.read_bytes()[16:18], "big")
    with db.open("r+b") as handle:
        for number in range(3, db.stat().st_size // size + 1):
            handle.seek((number - 1) * size)
            handle.write(bytes(size))
    for args in (["stats"], ["search", "zebra"]):
        said = clean_error(lifelog(*args, "--memory", home, env=env, check=False))
        assert f"{DB_NAME} in {home} is damaged" in said and "lifelog restore" in said
    done = lifelog("check", "--memory", home, env=env, check=False)
    assert done.returncode == 1 and "database    FAILED" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_wrong_key_file_or_passphrase_is_said_so(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env, count=30)
    (home / KEY_NAME).write_text("ab" * 32 + "\n")
    said = clean_error(lifelog("stats", "--memory", home, env=env, check=False))
    assert "wrong passphrase or key file" in said and "damaged" not in said

    env = {**env, "LIFELOG_PASSPHRASE": "right horse battery"}
    other = tmp_path / "pass"
    lifelog("init", "--memory", other, "--passphrase", env=env)
    lifelog("ingest", "--memory", other, "--quiet", tmp_path / "notes", env=env)
    done = lifelog(
        "stats", "--memory", other, env={**env, "LIFELOG_PASSPHRASE": "wrong"}, check=False
    )
    said = clean_error(done)
    assert done.returncode == 2 and "wrong passphrase or key file" in said
    # a wrong passphrase is told from damage even when page 1 (the salt) is gone
    zero_pages(other / DB_NAME, range(1, 2))
    said = clean_error(lifelog("stats", "--memory", other, env=env, check=False))
    assert "is damaged (page 1 failed its check)" in said
    said = clean_error(
        lifelog("stats", "--memory", other, env={**env, "LIFELOG_PASSPHRASE": "wrong"}, check=False)
    )
    assert "wrong passphrase" in said


def test_a_missing_database_is_not_made_anew(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env, count=10)
    (home / DB_NAME).unlink()
    said = clean_error(lifelog("stats", "--memory", home, env=env, check=False))
    assert f"{DB_NAME} is missing" in said and "lifelog restore" in said
    assert not (home / DB_NAME).exists()


# -- lifelog check -----------------------------------------------------------------------


def test_check_finds_indexes_that_disagree_and_repair_mends_them(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m") as memory:
        memory.ingest(notes(tmp_path / "notes", 50), embed=False)
        report = memory.check()
        assert report.ok, list(report.lines())
        conn = memory.store.conn
        with conn:
            rowid = conn.execute("SELECT min(rowid) FROM chunks").fetchone()[0]
            conn.execute("DELETE FROM chunks_fts WHERE rowid = ?", (rowid,))
            conn.execute(
                "INSERT INTO vector_models (id, name, dims, created_at) VALUES (7, 'm', 2, 0)"
            )
            conn.execute("INSERT INTO chunk_vectors VALUES (99999, 7, zeroblob(4))")
            conn.execute("UPDATE chunks SET end = end - 3 WHERE rowid = ?", (rowid + 1,))
        report = memory.check()
        failed = {f.name: f.problems for f in report.findings if not f.ok}
        assert set(failed) == {"chunks", "word index", "vectors"}, failed
        assert failed["word index"] == ["1 chunks are not in the word index"]
        assert failed["vectors"] == ["1 vectors belong to no chunk"]
        assert not report.damaged
        memory.repair()
        assert memory.check().ok
        assert len(memory.search("zebra", limit=100)) == 50


def test_check_command_reports_and_exits_zero_when_whole(
    tmp_path: Path, env: dict[str, str]
) -> None:
    home = make_memory(tmp_path, env, count=20)
    done = lifelog("check", "--memory", home, env=env)
    assert "the memory is whole" in done.stdout
    for name in ("pages", "database", "chunks", "word index", "vectors", "people"):
        assert f"{name:<11} ok" in done.stdout


# -- backup and restore ------------------------------------------------------------------


def items(home: Path, env: dict[str, str]) -> dict[str, str]:
    if "LIFELOG_PASSPHRASE" in env:
        os.environ["LIFELOG_PASSPHRASE"] = env["LIFELOG_PASSPHRASE"]
    with Memory.open(home) as memory:
        rows = memory.store.conn.execute("SELECT id, hash FROM items").fetchall()
    return dict(rows)


def test_backup_while_an_import_writes_then_restore(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env, count=50)
    big = notes(tmp_path / "more", 4000, tag="yak")
    writer = subprocess.Popen(
        [sys.executable, "-m", "lifelog.cli", "ingest", "--memory", str(home), "--quiet", str(big)],
        env={**env, "LIFELOG_INGEST_BATCH": "200"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        backups = []
        while writer.poll() is None and len(backups) < 3:
            target = tmp_path / f"backup{len(backups)}"
            done = lifelog("backup", "--memory", home, target, env=env)
            assert "backed up" in done.stdout
            backups.append(target)
    finally:
        assert writer.wait(timeout=300) == 0, writer.stderr.read() if writer.stderr else ""
    assert backups, "the import ended before a backup could be taken"
    final = items(home, env)
    assert len(final) == 4050
    for target in backups:
        assert sorted(p.name for p in target.iterdir()) == ["backup.json", DB_NAME, CONFIG_NAME]
        restored = tmp_path / f"restored-{target.name}"
        lifelog(
            "restore",
            "--memory",
            restored,
            target,
            env={**env, "LIFELOG_KEY_FILE": str(home / KEY_NAME)},
        )
        shutil.copy(home / KEY_NAME, restored / KEY_NAME)
        snapshot = items(restored, env)
        assert len(snapshot) >= 50
        assert all(final[i] == h for i, h in snapshot.items())  # a state the store was in
        with Memory.open(restored) as memory:
            assert memory.check().ok
        assert json.loads((target / "backup.json").read_text())["items"] == len(snapshot)
    # a backup of the memory at rest is the memory
    last = tmp_path / "at-rest"
    lifelog("backup", "--memory", home, last, env=env)
    again = tmp_path / "again"
    shutil.copytree(home, again)
    done = lifelog("restore", "--memory", again, last, env=env, check=False)
    assert done.returncode == 2 and "add --force" in done.stderr
    lifelog("restore", "--memory", again, last, "--force", env=env)
    assert items(again, env) == final


def test_restore_checks_the_backup_with_the_key(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env, count=20)
    lifelog("backup", "--memory", home, tmp_path / "b", env=env)
    elsewhere = tmp_path / "elsewhere"
    said = clean_error(
        lifelog("restore", "--memory", elsewhere, tmp_path / "b", env=env, check=False)
    )
    assert "does not hold" in said and "LIFELOG_KEY_FILE" in said
    (tmp_path / "other.key").write_text("cd" * 32 + "\n")
    said = clean_error(
        lifelog(
            "restore",
            "--memory",
            elsewhere,
            tmp_path / "b",
            env={**env, "LIFELOG_KEY_FILE": str(tmp_path / "other.key")},
            check=False,
        )
    )
    assert "wrong passphrase or key file" in said
    assert not (elsewhere / DB_NAME).exists()


# -- rekey -------------------------------------------------------------------------------


def test_rekey_a_key_file(tmp_path: Path, env: dict[str, str]) -> None:
    home = make_memory(tmp_path, env, count=20)
    before = items(home, env)
    old_key = tmp_path / "old.key"
    shutil.copy(home / KEY_NAME, old_key)
    lifelog("rekey", "--memory", home, env=env)
    assert (home / KEY_NAME).read_text() != old_key.read_text()
    assert oct((home / KEY_NAME).stat().st_mode & 0o777) == "0o600"
    assert items(home, env) == before
    said = clean_error(
        lifelog(
            "stats", "--memory", home, env={**env, "LIFELOG_KEY_FILE": str(old_key)}, check=False
        )
    )
    assert "wrong passphrase or key file" in said


def test_rekey_a_passphrase(tmp_path: Path, env: dict[str, str]) -> None:
    env = {**env, "LIFELOG_PASSPHRASE": "first words"}
    home = make_memory(tmp_path, env, "--passphrase", count=20)
    before = items(home, env)
    lifelog("rekey", "--memory", home, env={**env, "LIFELOG_NEW_PASSPHRASE": "second words"})
    said = clean_error(lifelog("stats", "--memory", home, env=env, check=False))
    assert "wrong passphrase or key file" in said
    assert items(home, {**env, "LIFELOG_PASSPHRASE": "second words"}) == before


def test_rekey_refuses_a_memory_in_use(tmp_path: Path) -> None:
    with Memory.init(tmp_path / "m") as memory:
        memory.ingest(notes(tmp_path / "notes", 5), embed=False)
        with Memory.open(tmp_path / "m") as other:
            other.stats()
            with pytest.raises(Exception, match="in use"):
                memory.rekey()
        assert memory.stats().items == 5


def test_a_rekey_stopped_before_it_settled_opens_with_the_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "m"
    with Memory.init(home) as memory:
        memory.ingest(notes(tmp_path / "notes", 5), embed=False)
    saves = []

    def stop_at_second(home: Path, config: object) -> None:
        saves.append(config)
        if len(saves) == 2:
            raise KeyboardInterrupt  # killed after re-encrypting, before settling
        real_save(home, config)

    real_save = copies.save_config
    monkeypatch.setattr(copies, "save_config", stop_at_second)
    old = (home / KEY_NAME).read_text()
    with Memory.open(home) as memory, pytest.raises(KeyboardInterrupt):
        memory.rekey()
    monkeypatch.setattr(copies, "save_config", real_save)
    assert (home / KEY_NAME).read_text() == old and (home / "key.new").exists()
    with Memory.open(home) as memory:  # the old key fails; the new one beside it opens it
        assert memory.stats().items == 5
    assert not (home / "key.new").exists() and (home / KEY_NAME).read_text() != old
    config = json.loads((home / CONFIG_NAME).read_text())
    assert "key_check_next" not in config["cipher"]
    with Memory.open(home) as memory:
        assert memory.stats().items == 5


def test_errors_are_values_of_the_tree(tmp_path: Path) -> None:
    home = tmp_path / "m"
    with Memory.init(home) as memory:
        memory.ingest(notes(tmp_path / "notes", 5), embed=False)
    (home / DB_NAME).write_bytes((home / DB_NAME).read_bytes()[:1000])
    with pytest.raises(DamagedError) as caught:
        Memory.open(home)
    assert caught.value.path == home / DB_NAME
    (home / DB_NAME).unlink()
    with pytest.raises(DamagedError):
        Memory.open(home)
    (home / KEY_NAME).write_text("00" * 32)
    assert not issubclass(DamagedError, PassphraseError)
