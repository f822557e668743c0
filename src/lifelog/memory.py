"""``Memory``: the one core object. The CLI, the HTTP API, MCP and the web UI only call it."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .answer.extractive import extractive_answer
from .config import (
    CONFIG_NAME,
    DB_NAME,
    MemoryConfig,
    default_home,
    load_config,
    save_config,
)
from .errors import DamagedError, LifelogError, NotFoundError, PassphraseError, UserError
from .index.lexical import search_chunks
from .index.text import content_terms, make_snippet
from .ingest import IngestReport, Progress, file_origin, ingest_paths
from .records import Answer, Hit, Item, mend_text
from .retrieval.facets import FacetCounts, facet_counts
from .retrieval.filters import Filters
from .store import Store, create_key_file, keys, read_key_file
from .store.db import Cipher, Keying

if TYPE_CHECKING:
    from .answer.generate import AskEvent
    from .index.vectors import EmbedProgress, VectorStatus
    from .models.embeddings import Embedder
    from .models.llm import LLM
    from .people import Directory, Person
    from .store.copies import BackupInfo
    from .store.integrity import CheckReport
    from .store.threads import ThreadWindow

__all__ = ["Memory", "Stats"]


@dataclass(slots=True)
class Stats:
    path: str
    encryption: str
    items: int
    chunks: int
    by_source: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    runs: int = 0
    db_bytes: int = 0


#: ``meta`` key set while ``Memory.rebuild_index`` is under way (its vectors dropped)
_REBUILDING = "rebuild_index"


def _key_path(home: Path) -> Path:
    return keys.key_path(home)


def _ask_passphrase(prompt: str, confirm: bool) -> str:
    if not sys.stdin.isatty():
        raise PassphraseError("this memory needs a passphrase: set LIFELOG_PASSPHRASE")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise PassphraseError("the passphrases differ")
    if not first:
        raise PassphraseError("an empty passphrase is not allowed")
    return first


def backup_keying(home: Path, config: MemoryConfig, passphrase: str | None) -> Keying:
    """The key of a backup whose ``memory.json`` is ``config``, restored to ``home``:
    the memory's key file (or ``LIFELOG_KEY_FILE``), or ``passphrase`` (else
    ``LIFELOG_PASSPHRASE``, else asked)."""
    secret = None
    if config.encryption == "passphrase":
        secret = (
            passphrase
            or os.environ.get("LIFELOG_PASSPHRASE")
            or _ask_passphrase("Passphrase of the backup: ", False)
        )
    try:
        return keys.keying_for(home, config, secret)
    except PassphraseError as error:
        raise PassphraseError(
            f"{error}: a backup is encrypted with the memory's key file, which it"
            f" does not hold; put it at {keys.key_path(home)} or set LIFELOG_KEY_FILE"
        ) from None


def _memory_class(cls: type[Memory], config: MemoryConfig) -> type[Memory]:
    """The backend ``memory.json`` chooses (``settings.backend.kind``): ``embedded`` (the
    default) or ``ray`` (items sharded over a Ray cluster, :mod:`lifelog.distributed`)."""
    kind = (config.settings.get("backend") or {}).get("kind", "embedded")
    if kind == "embedded":
        return cls
    if kind == "ray":
        # imported only when chosen: Ray is an optional extra (lifelog[distributed])
        from .distributed.memory import RayMemory

        return RayMemory
    raise UserError(f"memory.json: unknown backend {kind!r} (embedded or ray)")


class Memory:
    """A person's memory: one directory, one encrypted store, its indexes."""

    def __init__(self, home: Path, store: Store, config: MemoryConfig) -> None:
        self.home = home
        self.store = store
        self.config = config

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    def init(
        cls,
        path: str | Path | None = None,
        *,
        encryption: str = "keyfile",
        passphrase: str | None = None,
    ) -> Memory:
        """Create a new memory directory (``keyfile``, ``passphrase`` or ``none``)."""
        home = Path(path).expanduser() if path else default_home()
        if (home / CONFIG_NAME).exists():
            raise UserError(f"a memory already exists at {home}")
        if encryption not in ("keyfile", "passphrase", "none"):
            raise UserError(f"unknown encryption mode {encryption!r}")
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        raw_key = None
        if encryption == "keyfile":
            key_path = _key_path(home)
            raw_key = read_key_file(key_path) if key_path.exists() else create_key_file(key_path)
        elif encryption == "passphrase":
            passphrase = (
                passphrase
                or os.environ.get("LIFELOG_PASSPHRASE")
                or _ask_passphrase("New passphrase: ", True)
            )
        config = MemoryConfig(encryption=encryption, cipher=Cipher().as_json())
        store = Store.open(
            home / DB_NAME,
            passphrase=passphrase if encryption == "passphrase" else None,
            raw_key=raw_key,
            cipher=Cipher(),
        )
        store.checkpoint()  # page 1, with the salt the key check is made with, on disk
        config.cipher = keys.keying_json(store.path, store.keying)
        save_config(home, config)
        return cls(home, store, config)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        passphrase: str | None = None,
        create: bool = False,
    ) -> Memory:
        """Open an existing memory (or create one with a key file when ``create``)."""
        home = Path(path).expanduser() if path else default_home()
        try:
            config = load_config(home)
        except FileNotFoundError:
            if create:
                return cls.init(
                    home,
                    passphrase=passphrase,
                    encryption="passphrase" if passphrase else "keyfile",
                )
            raise NotFoundError(
                f"no memory at {home}: create one with `lifelog init`"
                " (or pick another with --memory / LIFELOG_HOME)"
            ) from None
        if not (home / DB_NAME).exists():
            raise DamagedError(
                f"{DB_NAME} is missing from {home}: restore it from a backup"
                " (`lifelog restore BACKUP`)",
                path=home / DB_NAME,
            )
        if config.encryption == "passphrase":
            passphrase = (
                passphrase
                or os.environ.get("LIFELOG_PASSPHRASE")
                or _ask_passphrase("Passphrase: ", False)
            )
        keying = keys.keying_for(home, config, passphrase)
        try:
            store = Store.open_keyed(home / DB_NAME, keying)
        except (PassphraseError, DamagedError):
            # a `lifelog rekey` that stopped after re-encrypting, before its new key file
            # was put in place: the new key is beside the old one
            pending = keys.pending_key(home, config, keying)
            if pending is None:
                raise
            store = Store.open_keyed(home / DB_NAME, pending)
            keys.settle_pending_key(home)
        if keys.needs_key_check(config, store.keying):  # made before the check, or a rekey
            config.cipher = keys.keying_json(store.path, store.keying)
            save_config(home, config)
            store.keying = keys.keying_from(config, store.keying)
        return _memory_class(cls, config)(home, store, config)

    def close(self) -> None:
        self.store.close()

    # -- integrity, backups, keys --------------------------------------------------

    def check(self) -> CheckReport:
        """Check the store's pages and b-trees and that chunks, the word index, vectors
        and people agree with the items (see :mod:`lifelog.store.integrity`)."""
        from .store.integrity import check

        return check(self.store.path, self.store.keying)

    @classmethod
    def check_at(
        cls, path: str | Path | None = None, *, passphrase: str | None = None
    ) -> CheckReport:
        """:meth:`check` for the memory at ``path`` without opening it: one too damaged
        to open is checked too. A wrong key is a ``PassphraseError``."""
        from .store.db import diagnose
        from .store.integrity import check

        home = Path(path).expanduser() if path else default_home()
        try:
            config = load_config(home)
        except FileNotFoundError:
            raise NotFoundError(f"no memory at {home}") from None
        if _memory_class(cls, config) is not cls:  # the shards check themselves
            with cls.open(home, passphrase=passphrase) as memory:
                return memory.check()
        if not (home / DB_NAME).exists():
            raise DamagedError(f"{DB_NAME} is missing from {home}", path=home / DB_NAME)
        if config.encryption == "passphrase":
            passphrase = (
                passphrase
                or os.environ.get("LIFELOG_PASSPHRASE")
                or _ask_passphrase("Passphrase: ", False)
            )
        keying = keys.keying_for(home, config, passphrase)
        if keying.verdict() is False:
            raise diagnose(home / DB_NAME, keying)
        return check(home / DB_NAME, keying)

    def repair(self) -> list[str]:
        """Rebuild what is derived from the items (chunks, word index, vectors that
        point nowhere, people); return what was done. Lost items need a backup."""
        from .store.integrity import repair

        return repair(self.store, self.directory.rebuild)

    def backup(self, path: str | Path) -> BackupInfo:
        """Write a consistent, encrypted copy of the memory to the new folder ``path``
        while it stays in use (the database, checked, and ``memory.json``; never the
        key file, which must be kept apart)."""
        from .store.copies import backup_memory

        return backup_memory(self.home, self.store, self.config, Path(path))

    @classmethod
    def restore(
        cls,
        backup: str | Path,
        path: str | Path | None = None,
        *,
        force: bool = False,
        passphrase: str | None = None,
    ) -> int:
        """Put a backup folder (:meth:`backup`) in place of the memory at ``path``;
        return the items it holds. A memory holding items is replaced only with
        ``force``. The backup's key: the memory's key file (or ``LIFELOG_KEY_FILE``),
        or ``passphrase`` / ``LIFELOG_PASSPHRASE``."""
        from .store.copies import restore_memory

        home = Path(path).expanduser() if path else default_home()
        owner = Path(backup).expanduser() / "owner"
        if (owner / CONFIG_NAME).exists():  # a distributed memory's: its backend restores it
            chosen = _memory_class(cls, load_config(owner))
            if chosen is not cls:
                return chosen.restore(backup, home, force=force, passphrase=passphrase)

        def keying_of(config: MemoryConfig) -> Keying:
            return backup_keying(home, config, passphrase)

        return restore_memory(Path(backup), home, keying_of, force=force)

    def rekey(self, passphrase: str | None = None) -> None:
        """Change the memory's key: a new random key file (key-file memories) or the new
        ``passphrase`` (else ``LIFELOG_NEW_PASSPHRASE``, else asked twice). The old key
        opens it no more. Needs the memory to be open nowhere else."""
        from .store.copies import rekey_memory

        rekey_memory(self.home, self.store, self.config, self._new_keying(passphrase))

    def _new_keying(self, passphrase: str | None) -> Keying:
        """The key :meth:`rekey` changes to."""
        if self.config.encryption == "keyfile":
            new = Keying(raw_key=secrets.token_hex(32), cipher=self.store.keying.cipher)
        elif self.config.encryption == "passphrase":
            secret = (
                passphrase
                or os.environ.get("LIFELOG_NEW_PASSPHRASE")
                or _ask_passphrase("New passphrase: ", True)
            )
            if secret == self.store.keying.passphrase:
                raise UserError("the new passphrase is the old one")
            new = Keying(passphrase=secret, cipher=self.store.keying.cipher)
        else:
            raise UserError("this memory is not encrypted: it has no key to change")
        return new

    def diagnose(self, error: BaseException) -> LifelogError:
        """What an SQLite error met while reading means: which file is damaged and where
        (see :func:`lifelog.store.db.diagnose`)."""
        from .store.db import damage_error, diagnose, scan_pages

        keying = self.store.keying
        if keying.encrypted:
            scan = scan_pages(self.store.path, keying)
            if scan.key_ok and (scan.bad or scan.tail):
                return damage_error(self.store.path, scan.detail())
        return diagnose(self.store.path, keying, error)

    def __enter__(self) -> Memory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------

    def ingest(
        self,
        *paths: str | Path,
        progress: Progress | None = None,
        force: bool = False,
        embed: bool = True,
        embed_progress: EmbedProgress | None = None,
        include_forgotten: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> IngestReport:
        """Import exports (files, folders); see :mod:`lifelog.ingest`.

        ``labels`` (path -> label) are recorded instead of paths that do not last (an
        upload read through a link, see :mod:`lifelog.server.jobs`).

        Items forgotten earlier are skipped (``IngestReport.forgotten`` counts them)
        unless ``include_forgotten``, which brings them back (and reads again files
        already imported unchanged, which may hold them).

        Items are searchable by their words as soon as they are stored; then, unless
        ``embed`` is false or ``LIFELOG_EMBED_MODEL=none``, the new chunks are embedded
        (:meth:`embed_pending`). An embedding model that cannot load leaves the import
        intact and lexical: a warning says so and ``lifelog index embed`` catches up.
        """
        if not paths:
            raise UserError("nothing to ingest: give one or more files or folders")
        # the people directory reads each stored batch's mentions while the parser works
        # on, then derives the people once at the end
        report = ingest_paths(
            self.store,
            paths,
            progress=progress,
            force=force,
            on_batch=self.directory.read_new,
            include_forgotten=include_forgotten,
            labels=labels,
        )
        if embed:
            self._embed_after_ingest(embed_progress)
        self.directory.refresh()
        return report

    def _embed_after_ingest(self, progress: EmbedProgress | None) -> None:
        from .errors import ModelError

        try:
            self.embed_pending(progress)
        except ModelError as error:
            warnings.warn(
                f"items were stored and are searchable by their words, but not embedded:"
                f" {error} (run `lifelog index embed` once it is fixed)",
                stacklevel=3,
            )

    # -- vectors -------------------------------------------------------------------

    def embedder(self, model: str | None = None) -> Embedder | None:
        """The embedding model of this memory (``None`` when embedding is off).

        ``LIFELOG_EMBED_MODEL``, else ``settings["embed"]`` in ``memory.json``, else
        ``static``; see :mod:`lifelog.models.embeddings`. Loaded once per process.
        """
        from .models.embeddings import get_embedder, resolve_embed_settings

        settings = resolve_embed_settings(self.config.settings.get("embed"), model=model)
        return get_embedder(settings=settings)

    def embed_pending(self, progress: EmbedProgress | None = None, batch: int = 256) -> int:
        """Embed the chunks that have no vector from the current model, ``batch`` at a time;
        return how many were embedded. Resumable: each batch is committed."""
        from .index.vectors import embed_pending

        embedder = self.embedder()
        if embedder is None:
            return 0
        return embed_pending(self.store, embedder, progress=progress, batch=batch)

    def index_status(self) -> VectorStatus:
        """Chunks, how many carry a vector of the current model, and which model that is."""
        from .index.vectors import vector_status

        try:
            embedder = self.embedder()
        except LifelogError:
            embedder = None
        return vector_status(self.store, embedder.name if embedder is not None else None)

    def rebuild_index(self, *, lexical: bool = True, progress: EmbedProgress | None = None) -> int:
        """Drop every vector (and, with ``lexical``, rebuild the word index from the store),
        then embed everything again. Returns how many chunks were embedded. Resumable: a
        rebuild interrupted at any point goes on where it stopped when called again (the
        words from the last item indexed, the vectors already made kept)."""
        from .index.rebuild import rebuild_words, rebuilding_words
        from .index.vectors import drop_vectors

        if self.store.meta_get(_REBUILDING) is None:
            drop_vectors(self.store)
            self.store.meta_set(_REBUILDING, "1")
        if lexical or rebuilding_words(self.store):
            rebuild_words(self.store, progress)
        embedded = self.embed_pending(progress)
        with self.store.lock, self.store.conn:
            self.store.conn.execute("DELETE FROM meta WHERE key = ?", (_REBUILDING,))
        return embedded

    def forget(self, item_ids: Sequence[str]) -> int:
        """Remove items for good: from the store, every index and everything derived from
        them (people, vectors, the import journal of files left empty), with their bytes
        overwritten in the database file and its write-ahead log. A re-import skips them
        (see ``ingest(include_forgotten=...)``). Returns how many were removed."""
        removed = self.store.forget(list(item_ids))
        if removed:
            self._forget_derived()
        return removed

    def forget_file(self, path: str | Path) -> int:
        """Forget every item that came from ``path`` (a file, or anything under a folder),
        and the import journal's record of it."""
        origin = file_origin(Path(path).expanduser().resolve())
        ids = self.store.ids_by_origin(origin)
        removed = self.store.forget(ids, files=[origin])
        self._forget_derived()
        return removed

    def ids_from_file(self, path: str | Path) -> list[str]:
        """The ids of the items that came from ``path`` (what :meth:`forget_file` removes)."""
        with self.store.lock:
            return self.store.ids_by_origin(file_origin(Path(path).expanduser().resolve()))

    def _forget_derived(self) -> None:
        """After :meth:`Store.forget`: derive the people again (the mentions, names and
        corrections of forgotten items go), drop the vectors and caches that pointed at
        them, then empty the write-ahead log, which still holds the pages as they were."""
        from .index.vectors import compact_vectors
        from .retrieval import query

        self.directory.refresh()
        compact_vectors(self.store)
        with query._CACHE_LOCK:  # the names of authors and participants, per store
            query._CACHE.pop(self.store, None)
        self.store.checkpoint()

    # -- reading -------------------------------------------------------------------

    def get(self, item_id: str) -> Item:
        """The whole item; a unique prefix of its id is enough."""
        item = self.store.get(item_id)
        if item is not None:
            return item
        matches = self.store.ids_by_prefix(item_id, 2) if len(item_id) >= 4 else []
        if len(matches) == 1:
            found = self.store.get(matches[0])
            if found is not None:
                return found
        if len(matches) > 1:
            raise UserError(f"item id prefix {item_id!r} is ambiguous")
        raise NotFoundError(f"no item {item_id!r} in this memory")

    def search(self, query: str, filters: Filters | None = None, *, limit: int = 10) -> list[Hit]:
        """Lexical (BM25) search over chunks, with filters; one hit per item."""
        query = mend_text(query)
        filters = self.resolve_filters(filters or Filters())
        matches = search_chunks(self.store, query, filters, limit=limit * 3)
        return self._hits(query, [(m.chunk_rowid, m.score) for m in matches], limit)

    def retrieve(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        now: datetime | None = None,
        limit: int = 10,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """Hybrid retrieval for a question asked at ``now`` (default: the present): time
        words ("last summer") resolved against it, people and sources it names, lexical
        and vector search fused; one hit per item, chat hits with their neighbouring
        messages as ``Hit.context``. ``mode``: ``hybrid``, ``lexical`` or ``vector``.
        See :mod:`lifelog.retrieval.hybrid`."""
        from .retrieval.retrieve import retrieve

        try:
            return retrieve(
                self,
                question,
                filters=self.resolve_filters(filters or Filters()),
                now=now,
                limit=limit,
                mode=mode,
            )
        except ValueError as error:
            raise UserError(str(error)) from None

    def _hits(self, query: str, scored: list[tuple[int, float]], limit: int) -> list[Hit]:
        if not scored:
            return []
        rowids = [rowid for rowid, _ in scored]
        marks = ",".join("?" * len(rowids))
        with self.store.lock:
            rows = self.store.conn.execute(
                f"SELECT c.rowid, i.id, c.ordinal, c.start, c.end FROM chunks c"
                f" JOIN items i ON i.rowid = c.item_rowid WHERE c.rowid IN ({marks})",
                rowids,
            ).fetchall()
        where = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
        items = self.store.get_many(list({r[1] for r in rows}))
        terms = content_terms(query)
        hits: list[Hit] = []
        seen: set[str] = set()
        for rowid, score in scored:
            if rowid not in where:
                continue
            item_id, ordinal, start, end = where[rowid]
            if item_id in seen or item_id not in items:
                continue
            seen.add(item_id)
            item = items[item_id]
            snippet, marks_in, _offset = make_snippet(item.text[start:end], terms)
            hits.append(Hit(item, score, start, end, snippet, ordinal, marks_in))
            if len(hits) >= limit:
                break
        return hits

    def ask(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        reasoning: str = "off",
        now: datetime | None = None,
        stream: Callable[[str], None] | None = None,
        model: str | None = None,
        history: Sequence[Answer | tuple[str, str]] = (),
        max_tokens: int | None = None,
    ) -> Answer:
        """Retrieve evidence and answer with numbered citations, or say it is not found.

        Answers are generated by the configured model (the embedded SmolLM2 unless
        ``settings["llm"]``, ``LIFELOG_LLM_*`` or ``model`` say otherwise: ``"none"``
        turns generation off) and checked against their evidence; an unsupported
        answer is replaced by the extractive one (``Answer.mode``, ``Answer.notes``).
        ``reasoning`` other than ``off`` runs the agent. ``stream`` receives the
        answer text as it is generated (a preview: the returned answer is the
        checked one). ``history`` holds the earlier turns of a conversation.
        """
        answer: Answer | None = None
        for event in self.ask_stream(
            question,
            filters=filters,
            reasoning=reasoning,
            now=now,
            model=model,
            history=history,
            max_tokens=max_tokens,
        ):
            if event.kind == "token" and stream is not None:
                stream(event.text)
            elif event.answer is not None:
                answer = event.answer
        return answer if answer is not None else extractive_answer(question, [])

    def timeline(
        self, filters: Filters | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[Item]:
        """Items in time order within the filters."""
        where, params = self.resolve_filters(filters or Filters()).sql("items")
        return list(
            self.store.iter_items(f"{where} AND ts IS NOT NULL", params, limit=limit, offset=offset)
        )

    def newest(
        self, filters: Filters | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[Item]:
        """Dated items within the filters, the newest first (browsing without a query)."""
        from .store.threads import newest_items

        where, params = self.resolve_filters(filters or Filters()).sql("items")
        return newest_items(self.store, where, params, limit=limit, offset=offset)

    def thread_window(self, item_id: str, *, before: int = 25, after: int = 25) -> ThreadWindow:
        """The item (a unique prefix of its id is enough) among up to ``before`` items of
        its thread before it and ``after`` after it (see :mod:`lifelog.store.threads`)."""
        from .store.threads import thread_window

        return thread_window(self.store, self.get(item_id).id, before=before, after=after)

    def thread_sizes(self, threads: Iterable[str]) -> dict[str, int]:
        """How many items each of ``threads`` holds (a recurring event's occurrences, a
        conversation's messages)."""
        from .store.threads import thread_sizes

        return thread_sizes(self.store, threads)

    def period_counts(self, filters: Filters | None = None, *, fmt: str = "%Y") -> dict[str, int]:
        """How many dated items within the filters fall in each period (``fmt``, an
        SQLite ``strftime`` format such as ``%Y-%m``)."""
        where, params = self.resolve_filters(filters or Filters()).sql("i")
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT strftime(?, i.ts, 'unixepoch') AS p, count(*) FROM items i"
                f" WHERE {where} AND i.ts IS NOT NULL GROUP BY p",
                [fmt, *params],
            ).fetchall()
        return {str(p): int(n) for p, n in rows if p}

    def stats(self) -> Stats:
        conn = self.store.conn
        with self.store.lock:
            items = conn.execute("SELECT count(*), min(ts), max(ts) FROM items").fetchone()
            chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            by_source = dict(conn.execute("SELECT source, count(*) FROM items GROUP BY source"))
            by_kind = dict(conn.execute("SELECT kind, count(*) FROM items GROUP BY kind"))
            runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        size = sum(p.stat().st_size for p in self.home.glob(DB_NAME + "*") if p.is_file())
        return Stats(
            path=str(self.home),
            encryption=self.config.encryption,
            items=int(items[0]),
            chunks=int(chunks),
            by_source=by_source,
            by_kind=by_kind,
            first=datetime.fromtimestamp(items[1], UTC) if items[1] else None,
            last=datetime.fromtimestamp(items[2], UTC) if items[2] else None,
            runs=int(runs),
            db_bytes=size,
        )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.store.lock:
            cursor = self.store.conn.execute(
                "SELECT id, started_at, ended_at, status, added, updated, unchanged, skipped,"
                " bytes, paths FROM runs ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    def run_errors(self, run_id: int) -> list[tuple[str, str, str]]:
        with self.store.lock:
            return [
                (r[0], r[1], r[2])
                for r in self.store.conn.execute(
                    "SELECT file, position, reason FROM run_errors WHERE run_id = ?", (run_id,)
                )
            ]

    def query_ids(
        self, query: str, filters: Filters | None = None, limit: int = 1000
    ) -> Iterable[str]:
        """Ids of items matching a query (what ``forget --query`` would remove)."""
        return [hit.item.id for hit in self.search(query, filters, limit=limit)]

    # -- generative answers --------------------------------------------------------

    def llm(self, model: str | None = None) -> LLM | None:
        """The language model answers are generated with; ``None`` when generation is off.

        Loaded once per memory and model. Raises ``ModelError`` when it cannot be
        loaded and ``UserError`` when the settings are wrong.
        """
        from .models.llm import create_llm, resolve_settings

        settings = resolve_settings(self.config.settings.get("llm"), model=model)
        cache: dict[str, LLM | None] = self.__dict__.setdefault("_llms", {})
        key = settings.key()
        if key not in cache:
            cache[key] = create_llm(settings)
        return cache[key]

    def ask_stream(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        reasoning: str = "off",
        now: datetime | None = None,
        model: str | None = None,
        history: Sequence[Answer | tuple[str, str]] = (),
        max_tokens: int | None = None,
    ) -> Iterator[AskEvent]:
        """``ask`` as a stream of events: ``token`` and ``reasoning`` text as generated,
        agent ``step``s, and last the checked ``answer`` (see ``lifelog.answer.generate``)."""
        from .answer.citations import strip_citations
        from .answer.generate import ask_events
        from .answer.reasoning import check_level
        from .errors import ModelError
        from .models.llm import resolve_settings

        try:
            level = check_level(reasoning)
        except ValueError as error:
            raise UserError(str(error)) from None
        settings = resolve_settings(self.config.settings.get("llm"), model=model)
        note = None
        try:
            llm = self.llm(model)
        except ModelError as error:
            llm, note = None, f"no generative model is available ({error})"
        turns = [
            (h.question, strip_citations(h.text)) if isinstance(h, Answer) else (h[0], h[1])
            for h in history
        ]
        yield from ask_events(
            self,
            question,
            llm=llm,
            llm_note=note,
            filters=filters,
            reasoning=level,
            now=now,
            history=turns,
            max_tokens=max_tokens or settings.max_tokens,
            count_items=self.count,
        )

    def facet_counts(self, filters: Filters | None = None, people: int | None = 12) -> FacetCounts:
        """The items within ``filters`` counted by source, year and the ``people`` most
        frequent participants (all with ``None``): the web's browsing facets."""
        return facet_counts(self.store, self.resolve_filters(filters or Filters()), people)

    def count(self, filters: Filters | None = None, query: str | None = None) -> int:
        """How many items lie within ``filters`` (and contain every word of ``query``)."""
        from .index.lexical import fts_query

        where, params = self.resolve_filters(filters or Filters()).sql("i")
        terms = content_terms(query or "")
        with self.store.lock:
            if not terms:
                row = self.store.conn.execute(
                    f"SELECT count(*) FROM items i WHERE {where}", params
                ).fetchone()
            else:
                match = " AND ".join(fts_query([t]) for t in terms[:16])
                row = self.store.conn.execute(
                    "SELECT count(DISTINCT c.item_rowid) FROM chunks_fts f"
                    " JOIN chunks c ON c.rowid = f.rowid JOIN items i ON i.rowid = c.item_rowid"
                    f" WHERE chunks_fts MATCH ? AND {where}",
                    [match, *params],
                ).fetchone()
        return int(row[0])

    # -- people --------------------------------------------------------------------

    @property
    def directory(self) -> Directory:
        """The people directory of this memory (see :mod:`lifelog.people`)."""
        from .people import Directory

        found: Directory | None = self.__dict__.get("_directory")
        if found is None:
            found = self.__dict__["_directory"] = Directory(self.store)
        return found

    def people(self, query: str = "", limit: int | None = None) -> list[Person]:
        """The people in the memory, most often seen first; ``query`` matches any part of
        a name, an address, a number or a user id."""
        return self.directory.people(query, limit)

    def person(self, name_or_handle: str) -> Person:
        """The one person an id, address, number, user id or name (or part of one) names.

        ``NotFoundError`` when nobody matches, ``UserError`` (listing them) when several do.
        """
        return self.directory.person(name_or_handle)

    def merge_people(self, a: str, b: str) -> Person:
        """Join two people into one, for good: the merge is kept across rebuilds."""
        return self.directory.merge(a, b)

    def split_person(self, handle: str) -> Person:
        """Take one address, number, user id or name out of the person it was joined to
        (undoing a merge that involved it); it stays apart across rebuilds."""
        return self.directory.split(handle)

    def rebuild_people(self) -> int:
        """Read every item's people again (merges and splits are kept). Returns items read."""
        return self.directory.rebuild()

    def resolve_filters(self, filters: Filters) -> Filters:
        """``filters`` with each person named in ``people`` widened to all their spellings
        (names, addresses, numbers) when the directory knows exactly one such person."""
        if not filters.people:
            return filters
        groups = tuple(self.directory.aliases(name) for name in filters.people)
        return filters.with_changes(people=(), people_any=filters.people_any + groups)
