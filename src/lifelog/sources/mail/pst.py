"""Outlook ``.pst`` and ``.ost`` mailboxes: every folder, each message read as mail.

A PST (Personal Folders File, [MS-PST]) is a database of nodes: folders, messages,
their recipients and attachments, each a table of MAPI properties. It is read with
``pypff`` (libyal's libpff bindings, the ``libpff-python`` package, LGPL-3.0-or-later;
installed with lifelog's ``pst`` extra). Without it a ``.pst`` is still recognised (by its
``!BDN`` signature), and reading it is a ``SourceError`` saying how to install it.

Each message is rebuilt as the internet mail it is, as the ``.msg`` reader does (the
headers it arrived with when the store keeps them, else From, To, Cc, Subject, Date,
Message-ID, In-Reply-To and References from its properties; the plain-text body, else
the HTML body as text) and read by the mail reader: same Message-ID key, thread,
direction and people as the same mail from an mbox (``metadata["format"]`` is ``pst``).
``metadata["folder"]`` is the folder's path below the top of the store
(``Inbox/Projects``); mail in a folder named like Sent is outgoing. Attachment names are
kept; their contents, attached messages, and items that are not mail (contacts, calendar
entries, tasks, journal entries) are left out and counted. A body kept only as
compressed RTF is not read (said in the metadata).

Hostile files: libpff is C and dies on some damaged files (a segmentation fault, found
by mutating a real PST), so it runs in a child process (:mod:`.pst_read`) that reports
each step before taking it. When the child dies, or says nothing for ``STEP_TIMEOUT``
seconds, the step it was on is one ``Skip`` naming its folder and message, and a new
child goes on after it (``MAX_RESTARTS`` times at most). One message that cannot be read
is one ``Skip``; bodies are cut at 32 MB; a file that is not a PST, or whose folders
cannot be opened at all, is a ``SourceError`` naming it; a file shorter than its header
says is read as far as it goes, and said to be cut.
"""

from __future__ import annotations

import json
import os
import selectors
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Generator, Iterator
from datetime import datetime
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any

from ...errors import SourceError
from ...records import Skip
from ..base import Parsed, Source, left_out_skip
from ..htmltext import decode_html, html_to_text
from .item import MailContext, base_uri, build_item, is_sent_folder, own_addresses

__all__ = ["PstSource"]

PST_MAGIC = b"!BDN"
INSTALL = "pip install 'lifelog[pst]' (libpff-python), or make setup"
#: seconds the child may work on one step before it is stopped
STEP_TIMEOUT = 120.0
#: children started again after one died, per file
MAX_RESTARTS = 20
#: longest line the child may write (a message with a 32 MB body, as JSON)
MAX_LINE = 200 * 1024 * 1024
_CHILD = Path(__file__).with_name("pst_read.py")


class _Died(Exception):
    """The child stopped without finishing: crashed, stalled or wrote nonsense."""


def _declared_size(path: Path) -> int | None:
    """The file size the PST header records (``ibFileEof`` of its ROOT), or None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(0xC0)
    except OSError:
        return None
    if len(head) < 0xC0:
        return None
    version = struct.unpack_from("<H", head, 10)[0]
    if version >= 23:  # Unicode (and the 4 KB pages of newer .ost files)
        size: int = struct.unpack_from("<Q", head, 0xB8)[0]
    elif version in (14, 15):  # ANSI
        size = struct.unpack_from("<I", head, 0xA8)[0]
    else:
        return None
    return size


def _lines(stream: IO[bytes], timeout: float) -> Iterator[bytes]:
    """The lines of ``stream`` as they come; ``_Died`` when none comes in ``timeout``."""
    fd = stream.fileno()
    buffer = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            end = buffer.find(b"\n")
            if end >= 0:
                line = bytes(buffer[:end])
                del buffer[: end + 1]
                yield line
                continue
            if len(buffer) > MAX_LINE:
                raise _Died("wrote an over-long line")
            if not selector.select(timeout):
                raise _Died(f"no answer for {timeout:.0f} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return
            buffer += chunk


class PstSource(Source):
    name = "pst"
    description = "Outlook .pst/.ost mailboxes (every folder), read as mail"
    extensions = (".pst", ".ost")

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(PST_MAGIC)

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
            actual = path.stat().st_size
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        if magic != PST_MAGIC:
            raise SourceError(f"{path}: not an Outlook .pst/.ost file (no !BDN signature)")
        if find_spec("pypff") is None:
            raise SourceError(f"{path}: reading Outlook .pst/.ost files needs pypff: {INSTALL}")
        declared = _declared_size(path)
        cut = (
            f"the file is cut short ({actual:,} of the {declared:,} bytes its header records)"
            if declared is not None and actual < declared
            else None
        )
        state = _State(self.name, path)
        resume, bad = 0, list[int]()
        for _ in range(MAX_RESTARTS + 1):
            try:
                failure = yield from self._run(path, resume, bad, state)
            except _Died as died:
                step, where = state.last
                if step is None or step in bad:
                    if not state.read:
                        raise SourceError(f"{path}: libpff cannot read it ({died})") from None
                    yield Skip(file, where or "file", f"libpff stopped ({died}): rest not read")
                    break
                yield Skip(file, where, f"libpff failed reading it ({died}): skipped")
                bad.append(step)
                resume = step + 1
                continue
            if failure is not None:
                if not state.read:
                    reason = f"{cut}; {failure}" if cut else failure
                    raise SourceError(f"{path}: not a readable Outlook .pst/.ost file ({reason})")
                yield Skip(file, "file", failure)
            break
        else:
            yield Skip(file, "file", f"libpff failed {MAX_RESTARTS} times: the rest is not read")
        if cut:
            yield Skip(file, "file", f"{cut}: messages past the cut are missing")
        if any(state.left.values()):
            yield left_out_skip(file, "items", [(n, what) for what, n in state.left.items()])

    def _run(
        self, path: Path, resume: int, bad: list[int], state: _State
    ) -> Generator[Parsed, None, str | None]:
        """The records of one child; returns the error it gave, if any."""
        steps = ",".join(map(str, bad))
        command = [sys.executable, "-I", str(_CHILD), str(path), str(resume), steps]
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
            assert child.stdout is not None
            try:
                for line in _lines(child.stdout, STEP_TIMEOUT):
                    try:
                        record = json.loads(line)
                    except ValueError as error:
                        raise _Died(f"unreadable answer: {error}") from error
                    if "error" in record:
                        return str(record["error"])[:500]
                    if record.get("done"):
                        return None
                    yield from state.take(record)
            finally:
                child.kill()
                child.wait()
            errors.seek(0)
            said = errors.read()[-300:].decode("utf-8", "replace").strip().splitlines()
        code = child.returncode
        why = f"signal {-code}" if code < 0 else f"exit status {code}"
        raise _Died(f"{why}: {said[-1]}" if said else why)


class _State:
    """What the children of one file share: contexts, counts, where the last one was."""

    def __init__(self, source: str, path: Path) -> None:
        self.source = source
        self.file = str(path)
        self.uri = base_uri(path)
        self.me = own_addresses()
        self.seen: dict[str, str] = {}
        self.contexts: dict[str, MailContext] = {}
        self.left: Counter[str] = Counter()
        self.skipped: set[tuple[str, str]] = set()
        self.last: tuple[int | None, str] = (None, "")
        self.read = False

    def context(self, folder: str) -> MailContext:
        found = self.contexts.get(folder)
        if found is None:
            sent = is_sent_folder(folder.rsplit("/", 1)[-1])
            found = MailContext(
                self.source, self.uri, me=self.me, sent=sent, folder=folder or None, seen=self.seen
            )
            self.contexts[folder] = found
        return found

    def take(self, record: dict[str, Any]) -> Iterator[Parsed]:
        if "at" in record:
            self.last = (int(record["at"]), str(record["where"]))
            return
        self.read = True
        if "skip" in record:
            key = (str(record["skip"]), str(record["reason"]))
            if key not in self.skipped:  # a new child walks the folders again
                self.skipped.add(key)
                yield Skip(self.file, *key)
        elif "left" in record:
            self.left[str(record["left"])] += int(record["count"])
        elif "mail" in record:
            yield self._item(record)

    def _item(self, record: dict[str, Any]) -> Parsed:
        where = str(record["where"])
        try:
            extra: dict[str, Any] = dict(record["extra"])
            self.left.update(record["counts"])
            raw = str(record["mail"])
            html = record.get("html")
            if isinstance(html, str):
                if extra.pop("html_bytes", False):
                    html = decode_html(html.encode("latin-1"))[0]
                raw += html_to_text(html)[1]
            date = datetime.fromisoformat(record["date"]) if record.get("date") else None
            context = self.context(str(record["folder"]))
            return build_item(
                raw.encode("utf-8", "replace"),
                context,
                file=self.file,
                position=where,
                fallback_date=date,
                extra=extra,
            )
        except Exception as error:  # noqa: BLE001 - one bad message is one Skip
            return Skip(self.file, where, f"unreadable message: {type(error).__name__}: {error}")
