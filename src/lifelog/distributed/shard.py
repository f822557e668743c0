"""One shard: a memory store of its own on the node that holds it, opened with a key
that reached the node sealed (:mod:`lifelog.distributed.keys`).

:class:`Shard` is plain Python; :mod:`lifelog.distributed.cluster` runs it as a Ray
actor. Every method below is what the owner's process may ask of a shard: the shard's
whole embedded pipeline (ingest: parse, dedup, chunk, store, embed; hybrid retrieval;
forgetting) runs where its data lies, and only hits, items and counts travel back.

A shard directory is an ordinary lifelog memory folder (``memory.json`` and the
SQLCipher database ``lifelog.db``) but with no key file: the key lives only in the
actor's memory, for as long as the owner's session keeps it open. An actor that was
restarted (its node died, it moved to another) starts locked and asks for its key again
(:class:`ShardLocked`).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import DB_NAME, MemoryConfig, load_config, save_config
from ..index.lexical import QueryPart, Tie
from ..index.vectors import VectorStatus
from ..ingest import IngestReport, file_origin
from ..memory import Memory, Stats
from ..records import Hit, Item
from ..retrieval.facets import FacetCounts
from ..retrieval.filters import Filters
from ..store import Store, keys
from ..store.db import Cipher
from ..store.integrity import CheckReport
from ..store.threads import ThreadPart, thread_part
from . import scoring, upkeep
from .keys import Unwrapper, WrappedKey
from .people import PeopleParts, people_parts
from .progress import Event, ProgressLog

__all__ = ["Shard", "ShardInfo", "ShardLocked", "shard_home"]


class ShardLocked(RuntimeError):
    """The shard has no key yet (a new or restarted actor): send it one."""


@dataclass(frozen=True, slots=True)
class ShardInfo:
    shard: int
    node: str
    host: str
    pid: int
    path: str


def shard_home(root: Path, memory_id: str, shard: int) -> Path:
    return root / memory_id / f"shard-{shard:03d}"


class Shard:
    """A shard of one person's memory, held by one process."""

    def __init__(self, memory_id: str, shard: int, root: str) -> None:
        self.memory_id = memory_id
        self.shard = shard
        self.home = shard_home(Path(root), memory_id, shard)
        self._unwrapper = Unwrapper()
        self._memory: Memory | None = None
        self._log: ProgressLog | None = None

    def public_key(self) -> bytes:
        """The public half of this process's key pair, for sealing the shard key."""
        return self._unwrapper.public

    def unlock(
        self, wrapped: WrappedKey, settings: dict[str, Any], pending: WrappedKey | None = None
    ) -> ShardInfo:
        """Open (or create) the shard's store with the sealed key ``wrapped``, or with
        ``pending``, the key a new owner key gives it (a ``lifelog rekey`` under way)."""
        for key in (wrapped, pending):
            if key is not None and key.shard != self.shard:
                raise ValueError(f"a key for shard {key.shard} sent to shard {self.shard}")
        if self._memory is not None:
            self._memory.close()
            self._memory = None
        raw_key = self._unwrapper.unwrap(wrapped)
        candidates = [raw_key] + ([self._unwrapper.unwrap(pending)] if pending else [])
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            config = load_config(self.home)
        except FileNotFoundError:
            config = MemoryConfig(encryption="keyfile", cipher=Cipher().as_json())
            store = Store.open(self.home / DB_NAME, raw_key=raw_key, cipher=Cipher())
            store.checkpoint()
            config.cipher = keys.keying_json(store.path, store.keying)
        else:
            store = upkeep.open_shard(self.home, config, candidates, self.shard)
        # the owner's model settings, so that every shard embeds as the owner's memory would
        config.settings = {k: v for k, v in settings.items() if k != "backend"}
        save_config(self.home, config)
        self._memory = Memory(self.home, store, config)
        return self.info()

    def info(self) -> ShardInfo:
        try:
            import ray

            node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else ""
        except ImportError:  # run without Ray (the unit tests)
            node = ""
        return ShardInfo(self.shard, node, socket.gethostname(), os.getpid(), str(self.home))

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    @property
    def memory(self) -> Memory:
        if self._memory is None:
            raise ShardLocked(f"shard {self.shard} is locked: it has not been sent its key")
        return self._memory

    # -- writing -------------------------------------------------------------------

    def held(self, paths: list[str]) -> list[str]:
        """Which of ``paths`` this shard's import journal holds."""
        store = self.memory.store
        origins = {file_origin(Path(p)): p for p in paths}
        found: list[str] = []
        with store.lock:
            for origin, path in origins.items():
                row = store.conn.execute(  # the file, or a part of it (an archive's member)
                    "SELECT 1 FROM files WHERE path = ? OR substr(path, 1, ?) = ? LIMIT 1",
                    (origin, len(origin) + 1, origin + "/"),
                ).fetchone()
                if row is not None:
                    found.append(path)
        return found

    def bytes_held(self) -> int:
        store = self.memory.store
        with store.lock:
            row = store.conn.execute("SELECT coalesce(sum(size), 0) FROM files").fetchone()
        return int(row[0])

    def ingest(
        self, paths: list[str], force: bool, embed: bool, include_forgotten: bool, token: str = ""
    ) -> IngestReport:
        """Ingest ``paths`` here; the progress is kept for the job ``token``."""
        self._log = ProgressLog(token)
        return self.memory.ingest(
            *paths,
            force=force,
            embed=embed,
            include_forgotten=include_forgotten,
            progress=self._log,
        )

    def ingest_upload(
        self,
        top: str,
        files: list[tuple[str, bytes]],
        labels: dict[str, str],
        force: bool,
        embed: bool,
        include_forgotten: bool,
        token: str = "",
    ) -> IngestReport:
        """Ingest an upload the owner's node received, ``top`` (its folder's or file's
        name; ``files``: name relative to ``top``'s parent, bytes; ``labels``: such a name
        -> the label recorded for it): the files are written to a private folder beside
        this shard's store, read from there as ``top`` under their labels (so named as
        on the owner's node), and deleted, whatever happens."""
        self._log = ProgressLog(token)
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self.home))  # 0700
        try:
            root = folder.resolve()
            for name in [top, *(n for n, _d in files)]:
                if root not in (root / name).resolve().parents:
                    raise ValueError(f"an upload's file name leaves its folder: {name!r}")
            if top not in {n for n, _d in files}:  # a folder (perhaps empty)
                (root / top).mkdir(parents=True, exist_ok=True, mode=0o700)
            for name, data in files:
                (root / name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                (root / name).write_bytes(data)
            return self.memory.ingest(
                root / top,
                force=force,
                embed=embed,
                include_forgotten=include_forgotten,
                progress=self._log,
                labels={str(root / name): label for name, label in labels.items()},
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def progress_since(self, token: str, seen: int) -> tuple[str, list[Event]] | None:
        """The progress of the job ``token`` from its ``seen``-th event on (``None``
        before this shard begins it); see :mod:`.progress`."""
        log = self._log
        if log is None or log.token != token:
            return None
        return log.since(seen)

    def embed_pending(self) -> int:
        return self.memory.embed_pending()

    def index_status(self) -> VectorStatus:
        return self.memory.index_status()

    def rebuild_index(self, lexical: bool) -> int:
        return self.memory.rebuild_index(lexical=lexical)

    def forget(self, item_ids: list[str]) -> int:
        return self.memory.forget(item_ids)

    def forget_file(self, path: str) -> int:
        return self.memory.forget_file(path)

    def ids_from_file(self, path: str) -> list[str]:
        return self.memory.ids_from_file(path)

    # -- keeping it whole (lifelog.distributed.upkeep) --------------------------------

    def rekey(self, wrapped: WrappedKey, wait: float | None = None) -> bool:
        """Re-encrypt this shard with the sealed key ``wrapped`` (``False``: it has that
        key already); the store is opened again with it. Another process holding the
        shard's database is waited for ``wait`` seconds (``None``: the busy timeout)."""
        if wrapped.shard != self.shard:
            raise ValueError(f"a key for shard {wrapped.shard} sent to shard {self.shard}")
        memory = self.memory
        changed = upkeep.rekey_shard(memory, self._unwrapper.unwrap(wrapped), wait)
        if changed:  # readers opened from now on must use the new key too
            memory.close()
            self._memory = None
            store = Store.open_keyed(self.home / DB_NAME, memory.store.keying)
            self._memory = Memory(self.home, store, memory.config)
        return changed

    def backup(self, folder: str) -> dict[str, Any]:
        """Copy this shard, encrypted with its own key, into ``folder``'s place for it."""
        return upkeep.backup_shard(self.memory, upkeep.shard_folder(Path(folder), self.shard))

    def holds(self) -> bool:
        """Whether this shard has a database (with or without items: it needs no key)."""
        db = self.home / DB_NAME
        return db.exists() and db.stat().st_size > 0

    def restore(self, wrapped: WrappedKey, folder: str, sha256: str) -> int:
        """Put this shard's copy in the backup ``folder`` in place of its store (the
        owner checked that it may), checked against the manifest's digest and opened
        with the sealed key ``wrapped``; the items it holds."""
        if wrapped.shard != self.shard:
            raise ValueError(f"a key for shard {wrapped.shard} sent to shard {self.shard}")
        raw_key = self._unwrapper.unwrap(wrapped)
        self.close()
        return upkeep.restore_shard(
            upkeep.shard_folder(Path(folder), self.shard), self.home, raw_key, sha256
        )

    def repair(self) -> list[str]:
        return self.memory.repair()

    def check(self) -> CheckReport:
        return self.memory.check()

    # -- reading -------------------------------------------------------------------

    def retrieve(
        self, question: str, filters: Filters, now: datetime | None, limit: int, mode: str
    ) -> list[Hit]:
        return self.memory.retrieve(question, filters=filters, now=now, limit=limit, mode=mode)

    # two-phase retrieval (lifelog.distributed.corpus; the work: lifelog.distributed.scoring)

    def statistics(
        self, parts: list[QueryPart], known: dict[int, int], model: str | None
    ) -> scoring.Statistics:
        return scoring.statistics(self.memory, parts, known.get(self.shard, -1), model)

    def lexical(self, *args: Any) -> list[scoring.Scored]:
        return scoring.lexical(self.memory, *args)

    def vector(self, *args: Any) -> Any:
        return scoring.vector(self.memory, *args)

    def candidates(self, rowids: list[int]) -> Any:
        return scoring.candidates(self.memory, rowids)

    def neighbours(self, wanted: list[Any], count: int) -> Any:
        return scoring.neighbours(self.memory, wanted, count)

    def allowed(self, filters: Filters, rowids: list[int]) -> set[int]:
        return scoring.allowed(self.memory, filters, rowids)

    def dated(self, filters: Filters, limit: int, newest: bool) -> list[tuple[int, Tie]]:
        return scoring.dated(self.memory, filters, limit, newest)

    def hits(self, ranked: list[Any], plan: Any, limit: int) -> list[Hit]:
        return scoring.hits(self.memory, ranked, plan, limit)

    def search(self, query: str, filters: Filters, limit: int) -> list[Hit]:
        return self.memory.search(query, filters, limit=limit)

    def get(self, item_id: str) -> Item | None:
        return self.memory.store.get(item_id)

    def ids_by_prefix(self, prefix: str, limit: int) -> list[str]:
        return self.memory.store.ids_by_prefix(prefix, limit)

    def timeline(self, filters: Filters, limit: int) -> list[Item]:
        return self.memory.timeline(filters, limit=limit)

    def newest(self, filters: Filters, limit: int) -> list[Item]:
        return self.memory.newest(filters, limit=limit)

    def thread_part(
        self, thread: str, item_id: str, ts: float | None, before: int, after: int
    ) -> ThreadPart:
        return thread_part(self.memory.store, thread, item_id, ts, before=before, after=after)

    def thread_sizes(self, threads: list[str]) -> dict[str, int]:
        return self.memory.thread_sizes(threads)

    def period_counts(self, filters: Filters, fmt: str) -> dict[str, int]:
        return self.memory.period_counts(filters, fmt=fmt)

    def count(self, filters: Filters, query: str | None) -> int:
        return self.memory.count(filters, query)

    def stats(self) -> Stats:
        return self.memory.stats()

    def facet_counts(self, filters: Filters) -> FacetCounts:
        # every participant: the owner adds the shards' counts before taking the top ones
        return self.memory.facet_counts(filters, people=None)

    def people_parts(self, known: dict[int, int]) -> PeopleParts:
        """This shard's mentions and items grouped by them (nothing new when its items
        are those of the version ``known`` gives it); see :mod:`.people`."""
        return people_parts(self.memory, known.get(self.shard, -1))

    def rebuild_people(self) -> int:
        return self.memory.rebuild_people()

    def run_errors(self, run_id: int) -> list[tuple[str, str, str]]:
        return self.memory.run_errors(run_id)

    def text_chars(self) -> int:
        """Characters of text this shard has indexed (its chunks' spans)."""
        store = self.memory.store
        with store.lock:
            row = store.conn.execute(
                'SELECT coalesce(sum("end" - start), 0) FROM chunks'
            ).fetchone()
        return int(row[0])

    def item_ids(self) -> list[str]:
        """Every item id this shard holds (for checks: nothing lost, nothing twice)."""
        store = self.memory.store
        with store.lock:
            return [str(r[0]) for r in store.conn.execute("SELECT id FROM items ORDER BY id")]
