"""``Memory``: the one core object. The CLI, the HTTP API, MCP and the web UI only call it."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from .answer.extractive import extractive_answer
from .config import (
    CONFIG_NAME,
    DB_NAME,
    MemoryConfig,
    default_home,
    load_config,
    save_config,
)
from .errors import DamagedError, NotFoundError, PassphraseError, UserError
from .index.lexical import search_chunks
from .index.text import content_terms, make_snippet
from .ingest import IngestReport, Progress, ingest_paths
from .memory_parts.browsing import BrowsingMixin, Stats
from .memory_parts.forgetting import ForgettingMixin
from .memory_parts.indexing import IndexingMixin
from .memory_parts.people import PeopleMixin
from .memory_parts.upkeep import UpkeepMixin, ask_passphrase
from .memory_parts.upkeep import backup_keying as backup_keying  # re-exported, as before
from .records import Answer, Hit, Item, mend_text
from .retrieval.filters import Filters
from .store import Store, create_key_file, keys, read_key_file
from .store.db import Cipher, Keying

if TYPE_CHECKING:
    from .answer.generate import AskEvent
    from .index.vectors import EmbedProgress
    from .models.llm import LLM
    from .store.integrity import CheckReport

__all__ = ["Memory", "Stats"]


def _key_path(home: Path) -> Path:
    return keys.key_path(home)


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


class Memory(BrowsingMixin, IndexingMixin, ForgettingMixin, UpkeepMixin, PeopleMixin):
    """A person's memory: one directory, one encrypted store, its indexes.

    Its methods by concern: opening, ingesting, searching and asking here; the rest in
    :mod:`lifelog.memory_parts` (browsing, indexing, forgetting, upkeep, people)."""

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
                or ask_passphrase("New passphrase: ", True)
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
                or ask_passphrase("Passphrase: ", False)
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

    # -- without opening it: a check or a restore, which another backend may take --

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
                or ask_passphrase("Passphrase: ", False)
            )
        keying = keys.keying_for(home, config, passphrase)
        if keying.verdict() is False:
            raise diagnose(home / DB_NAME, keying)
        return check(home / DB_NAME, keying)

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
