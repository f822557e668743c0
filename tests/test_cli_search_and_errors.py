"""The CLI a person uses (issue 12, items 4 and 6), each command in a process of its own:
search by words and meaning says why each hit matched; dates are read as people type them;
a filter that finds nothing says why; errors are one line with a non-zero exit (a date
that cannot be read, a file never ingested, a port in use); show prints metadata a field
a line; help shows no ``<bool>`` and every option has a line of help."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click as click
from typer.core import TyperOption

from lifelog.cli import app

MAIL = """From alice@example.org Mon Jun 12 10:00:00 2023
From: Alice Moreau <alice@example.org>
To: sam@example.org
Subject: The lake weekend
Date: Mon, 12 Jun 2023 10:00:00 +0000
Message-ID: <lake-1@example.org>

We pitched the tent by the lake and slept under the stars. The campfire kept us warm.
"""


def lifelog(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lifelog.cli", *(str(a) for a in args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("cli")
    notes = root / "life"
    notes.mkdir()
    (notes / "lake.mbox").write_text(MAIL, encoding="utf-8")
    (notes / "bakery.md").write_text(
        "# Bakery\n\n2023-03-02: the new bakery sells cardamom buns.\n", encoding="utf-8"
    )
    env = {**os.environ, "COLUMNS": "200"}
    memory = root / "memory"
    assert lifelog("init", "--memory", memory, "--no-encryption", env=env).returncode == 0
    done = lifelog("ingest", "--memory", memory, notes, env=env)
    assert done.returncode == 0, done.stderr
    return memory, env


def test_search_by_meaning_says_why_each_hit_matched(home: tuple[Path, dict[str, str]]) -> None:
    memory, env = home
    found = lifelog("search", "--memory", memory, "campfire", env=env)
    assert found.returncode == 0, found.stderr
    assert "searched by words and by meaning" in found.stderr
    assert re.search(r"matched: your words", found.stdout)
    # no word in common, found by its meaning
    meant = lifelog("search", "--memory", memory, "sleeping outdoors in nature", env=env)
    assert meant.returncode == 0, meant.stderr
    assert "The lake weekend" in meant.stdout and "matched: by meaning" in meant.stdout
    words = lifelog("search", "--memory", memory, "--words", "sleeping outdoors", env=env)
    assert words.returncode == 1 and "no matches" in words.stdout


def test_dates_as_people_type_them(home: tuple[Path, dict[str, str]]) -> None:
    memory, env = home
    june = lifelog("search", "--memory", memory, "tent", "--since", "June 2023", env=env)
    assert june.returncode == 0 and "The lake weekend" in june.stdout
    march = lifelog(
        "search",
        "--memory",
        memory,
        "tent",
        "--since",
        "2023-03",
        "--until",
        "March 2023",
        env=env,
    )
    assert march.returncode == 1
    assert "no matches" in march.stdout
    bad = lifelog("search", "--memory", memory, "tent", "--since", "the day after never", env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "cannot read the date 'the day after never'" in bad.stderr
    assert "last summer" in bad.stderr  # what is accepted
    empty = lifelog(
        "search", "--memory", memory, "tent", "--since", "2024", "--until", "2023", env=env
    )
    assert empty.returncode == 2 and "leave no time between them" in empty.stderr


def test_a_filter_that_finds_nothing_says_why(home: tuple[Path, dict[str, str]]) -> None:
    memory, env = home
    nothing = lifelog(
        "search", "--memory", memory, "tent", "--source", "telegraph", "--from", "Zed", env=env
    )
    assert nothing.returncode == 1
    assert "no source is named 'telegraph' (there are mbox, notes)" in nothing.stdout
    assert "nobody named 'Zed'" in nothing.stdout
    later = lifelog("search", "--memory", memory, "tent", "--since", "2030", env=env)
    assert later.returncode == 1 and "no item is dated from 2030-01-01 until now" in later.stdout


def test_forget_a_file_never_ingested_and_show_metadata(
    home: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    memory, env = home
    never = lifelog("forget", "--memory", memory, "--file", tmp_path / "never.mbox", env=env)
    assert never.returncode == 2
    assert "nothing in the memory came from" in never.stderr and "never ingested" in never.stderr
    found = lifelog("search", "--memory", memory, "--words", "campfire", env=env)
    item_id = re.search(r"\b[0-9a-f]{24}\b", found.stdout)
    assert item_id is not None, found.stdout
    shown = lifelog("show", "--memory", memory, item_id.group(), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "metadata" in shown.stdout
    assert re.search(r"^\s+message id\s+lake-1@example\.org$", shown.stdout, re.M), shown.stdout
    assert "{'" not in shown.stdout  # not a Python dict


def test_serve_on_a_port_in_use_says_so(home: tuple[Path, dict[str, str]]) -> None:
    memory, env = home
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = lifelog("serve", "--memory", memory, "--port", str(port), env=env)
    assert served.returncode == 2
    assert f"port {port} is in use (try --port)" in served.stderr
    assert "Traceback" not in served.stderr


def test_usage_errors_are_a_message_not_a_traceback(home: tuple[Path, dict[str, str]]) -> None:
    memory, env = home
    wrong = lifelog("search", "--memory", memory, "--limit", "many", "tent", env=env)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "Invalid value for '--limit'" in wrong.stderr


def _commands() -> list[tuple[str, click.Command]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, click.Command]] = []

    def walk(command: click.Command, path: str) -> None:
        found.append((path, command))
        context = click.Context(command, info_name=path)
        lister = getattr(command, "list_commands", None)
        if lister is not None:
            for name in lister(context):
                walk(command.get_command(context, name), f"{path} {name}")  # type: ignore[attr-defined]

    walk(root, "lifelog")
    return found


def test_every_option_has_help_and_no_help_shows_a_bool() -> None:
    missing = []
    for path, command in _commands():
        context = click.Context(command, info_name=path)
        for param in command.get_params(context):
            if isinstance(param, TyperOption) and not param.hidden and not param.help:
                missing.append(f"{path} {'/'.join(param.opts)}")
    assert missing == []
    env = {**os.environ, "COLUMNS": "120"}
    for args in (["--help"], ["search", "--help"], ["eval", "support", "--help"], ["forget", "-h"]):
        shown = subprocess.run(
            [sys.executable, "-m", "lifelog.cli", *args], env=env, capture_output=True, text=True
        )
        assert shown.returncode == 0, shown.stderr
        assert "<bool>" not in shown.stdout and "list[" not in shown.stdout, shown.stdout
        assert "Show this message and exit." in shown.stdout
