"""``RayMemory``: a :class:`~lifelog.Memory` whose items lie in shards on a Ray cluster.

Chosen with ``lifelog backend ray`` or in ``memory.json`` (see
:mod:`lifelog.distributed.choice`)::

    "settings": {"backend": {"kind": "ray", "address": "10.0.0.5:6379", "shards": 8,
                             "id": "…", "root": "/srv/lifelog-shards"}}

The memory folder on the owner's machine keeps its own encrypted store (its key file or
passphrase, as ever) and the settings; the items live in the shards. Everything the
CLI, the HTTP API, MCP and the web UI call — ingest, search, retrieve, ask, get,
timeline, count, stats, forget — works as on one machine: reads go to every shard at
once and are merged (:mod:`lifelog.distributed.plan`); writes go to the shards that
hold what they change; ``forget`` goes to every shard. ``ask`` runs the answer layer
here, on the merged hits, so an answer is built exactly as on one machine from the
same evidence.

A read that some shard could not answer is returned with what the others found and a
notice: :attr:`RayMemory.last_partial`, a ``PartialResultWarning``, and for ``ask`` a
note on the answer (``Answer.notes``) — never a silent gap.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LifelogError, NotFoundError, UserError
from ..ingest import IngestReport, Progress, file_origin, plan
from ..memory import Memory, Stats
from ..people_rules import key_for
from ..records import Answer, Hit, Item, mend_text
from ..retrieval.facets import FacetCounts
from ..retrieval.filters import Filters
from ..store import keys
from .choice import mark_ingested, use_ray
from .journal import run_job
from .keys import owner_secret
from .plan import Partial, ShardFile, merge_hits, merge_items, merge_reports, place_files
from .uploads import ingest_shipped

if TYPE_CHECKING:
    from ..answer.generate import AskEvent
    from ..index.vectors import EmbedProgress, VectorStatus
    from ..people import Directory, Person
    from ..store import Store
    from ..store.copies import BackupInfo
    from ..store.db import Keying
    from ..store.integrity import CheckReport
    from ..store.threads import ThreadWindow
    from .cluster import Cluster
    from .people import PeopleParts, ShardedPeople

__all__ = ["PartialResultWarning", "RayMemory", "use_ray"]


class PartialResultWarning(UserWarning):
    """Some shards did not answer: the results lack what they hold."""


class RayMemory(Memory):
    """A memory whose items are sharded over a Ray cluster (see the module docstring)."""

    def __init__(self, home: Path, store: Store, config: Any) -> None:
        super().__init__(home, store, config)
        backend = dict(config.settings.get("backend") or {})
        if backend.get("kind") != "ray" or not backend.get("address") or not backend.get("id"):
            raise UserError(
                "memory.json's settings.backend must name kind 'ray', an address and an id"
                " (see `lifelog backend ray`)"
            )
        self.backend = backend
        self._cluster: Cluster | None = None
        #: the shards that did not answer the last read (``Partial.complete`` when all did)
        self.last_partial = Partial(int(backend.get("shards", 2)))
        #: while an answer is made: every shard that missed one of its searches
        self._missed: dict[int, str] | None = None
        #: while a retrieval runs: every shard that missed one of its phases
        self._query_missing: dict[int, str] | None = None
        #: each shard's people parts as last read whole, and the directory derived
        self._people_known: dict[int, PeopleParts] = {}
        self._people_cache: tuple[Any, ShardedPeople] | None = None

    @property
    def cluster(self) -> Cluster:
        """The connection to the shards, made on first use."""
        return self._connect()

    def _connect(self, pending: Keying | None = None) -> Cluster:
        """The connection to the shards; each is also sent the key ``pending`` (a new
        key: else the key file a stopped ``lifelog rekey`` left) gives it."""
        if self._cluster is None:
            from .cluster import Cluster, ClusterSettings

            keying = self.store.keying
            settings = ClusterSettings(
                address=str(self.backend["address"]),
                memory_id=str(self.backend["id"]),
                shards=int(self.backend.get("shards", 2)),
                root=str(self.backend.get("root") or self.home / "shards"),
                actor_cpus=float(self.backend.get("actor_cpus", 1.0)),
                query_timeout=float(self.backend.get("query_timeout", 30.0)),
                ingest_timeout=float(self.backend.get("ingest_timeout", 600.0)),
                rekey_wait=float(self.backend.get("rekey_wait", 30.0)),
            )
            secret = owner_secret(
                raw_key=keying.raw_key, passphrase=keying.passphrase, memory_id=settings.memory_id
            )
            pending = pending or keys.pending_key(self.home, self.config, keying)
            new = None
            if pending is not None:
                new = owner_secret(
                    raw_key=pending.raw_key,
                    passphrase=pending.passphrase,
                    memory_id=settings.memory_id,
                )
            self._cluster = Cluster(settings, secret, dict(self.config.settings), new)
        return self._cluster

    def close(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        super().close()

    def _read(self, method: str, *args: Any) -> dict[int, Any]:
        results, partial = self.cluster.ask(method, *args)
        self.last_partial = partial
        if self._missed is not None:
            for n, reason in zip(partial.missing, partial.reasons, strict=False):
                self._missed.setdefault(n, reason)
        elif not partial.complete:
            warnings.warn(partial.notice(), PartialResultWarning, stacklevel=3)
        return results

    # -- keeping it whole: every shard, then the owner (:mod:`.upkeep`) -------------

    def rekey(self, passphrase: str | None = None) -> None:
        """Every shard re-encrypted under the key the new owner key gives it, then the
        owner's store; a rekey stopped midway is finished by running it again (a key
        file memory takes up the new key file it left)."""
        from .upkeep import rekey_memory

        left = keys.pending_key(self.home, self.config, self.store.keying)
        new = left if left is not None else self._new_keying(passphrase)
        rekey_memory(self, self._connect(pending=new), new)

    def backup(self, path: str | Path) -> BackupInfo:
        """Each shard copies itself, encrypted with its own key, into ``path``/shards
        (which the nodes must reach at the same path), the owner its own store into
        ``path``/owner, with the manifest ``shards.json`` (see :mod:`.upkeep`)."""
        from .upkeep import backup_memory

        return backup_memory(self, self.cluster, Path(path))

    @classmethod
    def restore(
        cls,
        backup: str | Path,
        path: str | Path | None = None,
        *,
        force: bool = False,
        passphrase: str | None = None,
    ) -> int:
        """A distributed backup (:meth:`backup`) put back: each shard's copy where the
        shard lies (the backup's folder reachable by the nodes), then the owner's
        store; the items the shards hold. Shards holding a database are replaced only
        with ``force``. The key is the backup's, as on one machine."""
        from ..config import default_home
        from .upkeep import restore_backup

        home = Path(path).expanduser() if path else default_home()
        return restore_backup(Path(backup), home, passphrase, force)

    def repair(self) -> list[str]:
        """Each shard rebuilds what is derived from its items (the people: here, from
        every shard's mentions again)."""
        done = self.cluster.tell("repair")
        self._people_known, self._people_cache = {}, None
        return [f"shard {n}: {line}" for n in sorted(done) for line in done[n]]

    def check(self) -> CheckReport:
        """The owner's store's checks, then every shard's (each where it lies)."""
        from ..store.integrity import check
        from .upkeep import join_checks

        return join_checks(check(self.store.path, self.store.keying), self.cluster.tell("check"))

    def run_errors(self, run_id: int) -> list[tuple[str, str, str]]:
        """The records run ``run_id`` skipped, read from the shards' journals
        (:mod:`.journal`; ``runs`` is the owner's own journal, as on one machine)."""
        from .journal import run_errors

        def ask(shard: int, run: int) -> list[tuple[str, str, str]]:
            found, partial = self.cluster.ask("run_errors", run, shards=[shard])
            if not partial.complete:
                warnings.warn(partial.notice(), PartialResultWarning, stacklevel=4)
            return list(found.get(shard, []))

        return run_errors(self.store, run_id, ask)

    # -- the people directory: derived here from every shard's mentions -------------

    @property
    def directory(self) -> Directory:
        # the owner's own store holds no items: its directory would be empty, and its
        # refresh would drop the corrections kept there as about nobody
        raise UserError("a distributed memory's people are RayMemory.people() and person()")

    def _people(self) -> ShardedPeople:
        """The people of every shard, derived together (:mod:`.people`); kept while no
        shard's items and no correction changed."""
        from .people import ShardedPeople, parts_of

        known = self._people_known
        fresh = self._read("people_parts", {n: p.version for n, p in known.items()})
        complete = self.last_partial.complete
        parts = parts_of(known, fresh)
        with self.store.lock:
            conn = self.store.conn
            merges = tuple(
                tuple(r)
                for r in conn.execute(
                    "SELECT a_kind, a_value, b_kind, b_value, at FROM people_merges ORDER BY at"
                )
            )
            splits = tuple(
                tuple(r) for r in conn.execute("SELECT kind, value, at FROM people_splits")
            )
        versions = tuple(sorted((n, p.version) for n, p in parts.items()))
        key = (versions, merges, splits)
        if self._people_cache is not None and self._people_cache[0] == key:
            return self._people_cache[1]
        people = ShardedPeople(parts.values(), [m[:4] for m in merges], [s[:2] for s in splits])
        if complete:  # a partial directory is shown with its notice, never kept
            self._people_known = parts
            self._people_cache = (key, people)
            gone_merges, gone_splits = people.stale
            if gone_merges or gone_splits:  # as one machine forgets them: no trace left
                with self.store.writing():
                    conn.executemany(
                        "DELETE FROM people_merges WHERE a_kind = ? AND a_value = ?"
                        " AND b_kind = ? AND b_value = ?",
                        gone_merges,
                    )
                    conn.executemany(
                        "DELETE FROM people_splits WHERE kind = ? AND value = ?", gone_splits
                    )
        return people

    def people(self, query: str = "", limit: int | None = None) -> list[Person]:
        return self._people().people(query, limit)

    def person(self, name_or_handle: str) -> Person:
        return self._people().person(name_or_handle)

    def merge_people(self, a: str, b: str) -> Person:
        """Joined for good: the merge is kept in the owner's store, for every shard."""
        people = self._people()
        first, second = people.person(a), people.person(b)
        if first.id == second.id:
            return first
        ka, kb = people.root(first), people.root(second)
        with self.store.writing():
            self.store.conn.execute(
                "INSERT OR IGNORE INTO people_merges (a_kind, a_value, b_kind, b_value, at)"
                " VALUES (?,?,?,?,?)",
                (*ka, *kb, time.time()),
            )
            for key in (ka, kb):
                self.store.conn.execute(
                    "DELETE FROM people_splits WHERE kind = ? AND value = ?", key
                )
        return self._people().person_of(ka)

    def split_person(self, handle: str) -> Person:
        key = key_for(handle.strip())
        if key is None:
            raise UserError(f"{handle!r} is not an address, a number or a name")
        if not self._people().knows(key):
            raise NotFoundError(f"no person has the handle {handle!r}")
        with self.store.writing():
            self.store.conn.execute(
                "INSERT OR IGNORE INTO people_splits (kind, value, at) VALUES (?,?,?)",
                (*key, time.time()),
            )
            self.store.conn.execute(
                "DELETE FROM people_merges WHERE (a_kind = ? AND a_value = ?)"
                " OR (b_kind = ? AND b_value = ?)",
                (*key, *key),
            )
        return self._people().person_of(key)

    def rebuild_people(self) -> int:
        """Every shard reads its items' people again (the corrections, here, are kept)."""
        self._people_known, self._people_cache = {}, None
        return sum(self.cluster.tell("rebuild_people").values())

    def resolve_filters(self, filters: Filters) -> Filters:
        """As on one machine, from the whole memory's people: each shard is then sent
        every spelling of the person, and widens nothing itself."""
        if not filters.people:
            return filters
        people = self._people()
        groups = tuple(people.aliases(name) for name in filters.people)
        return filters.with_changes(people=(), people_any=filters.people_any + groups)

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
        """Each file (or folder a source reads whole) goes whole to one shard
        (:func:`~lifelog.distributed.plan.place_files`), and the shards ingest at once,
        each where its store lies. ``paths`` must be readable on the nodes (shared
        storage), except those ``labels`` names (path -> label: an upload the owner's
        node received, read nowhere else): their files are sent to the least loaded
        shard, which reads them under their labels (:mod:`.uploads`)."""
        if not paths:
            raise UserError("nothing to ingest: give one or more files or folders")
        shipped = [p for p in paths if labels and str(Path(p)) in labels]
        if shipped and labels is not None:
            rest = [p for p in paths if p not in shipped]
            report = ingest_shipped(
                self, shipped, labels, progress, force, embed, include_forgotten
            )
            if not rest:
                return report
            others = self.ingest(
                *rest, force=force, embed=embed, include_forgotten=include_forgotten
            )
            both = merge_reports([report, others], [str(Path(p)) for p in paths])
            both.run_id = report.run_id
            both.unrecognised.extend(others.unrecognised)
            return both
        units, unknown = plan(Path(p) for p in paths)
        mark_ingested(self.home)  # from now on, switching away asks the shards first
        files = [ShardFile(str(u.path), u.size) for u in units]
        cluster = self.cluster
        everything = [f.path for f in files]
        held_by = cluster.tell("held", everything)
        held = {path: n for n, found in held_by.items() for path in found}
        loads = cluster.tell("bytes_held")
        placed = place_files(
            files, cluster.settings.shards, held, [loads[n] for n in sorted(loads)]
        )
        return run_job(
            self.store,
            cluster,
            progress,
            [str(Path(p).expanduser()) for p in paths],
            {str(u.path): u.size for u in units},
            placed,
            lambda token: cluster.fan(
                lambda n: cluster.call(
                    n,
                    "ingest",
                    placed[n],
                    force,
                    embed,
                    include_forgotten,
                    token,
                    retry=True,
                    timeout=cluster.settings.ingest_timeout,
                ),
                retry=True,
                shards=sorted(placed),
            )[0],
            named=[str(Path(p)) for p in paths],
            unrecognised=unknown,
        )

    def embed_pending(self, progress: EmbedProgress | None = None, batch: int = 256) -> int:
        return sum(self.cluster.tell("embed_pending").values())

    def index_status(self) -> VectorStatus:
        """Every shard's chunks and vectors, added up."""
        from ..index.vectors import VectorStatus

        found = self._read("index_status")
        parts = [found[n] for n in sorted(found)]
        return VectorStatus(
            chunks=sum(p.chunks for p in parts),
            embedded=sum(p.embedded for p in parts),
            model=next((p.model for p in parts if p.model), None),
            stale=sum(p.stale for p in parts),
        )

    def rebuild_index(self, *, lexical: bool = True, progress: EmbedProgress | None = None) -> int:
        """Each shard rebuilds its own indexes from its items (resumable there)."""
        return sum(self.cluster.tell("rebuild_index", lexical).values())

    def forget(self, item_ids: Sequence[str]) -> int:
        """Forget on every shard (an item may lie on more than one)."""
        ids = list(item_ids)
        return sum(self.cluster.tell("forget", ids).values()) if ids else 0

    def ids_from_file(self, path: str | Path) -> list[str]:
        resolved = str(Path(path).expanduser().resolve())
        found = self._read("ids_from_file", resolved)
        return list(dict.fromkeys(i for n in sorted(found) for i in found[n]))

    def forget_file(self, path: str | Path) -> int:
        resolved = str(Path(path).expanduser().resolve())
        removed = int(sum(self.cluster.tell("forget_file", resolved).values()))
        # the owner's journal names it no more either (no item is here to remove)
        self.store.forget([], files=[file_origin(Path(resolved))])
        return removed

    # -- reading -------------------------------------------------------------------

    def get(self, item_id: str) -> Item:
        found: Item | None
        for found in self._read("get", item_id).values():
            if found is not None:
                return found
        matches = sorted(
            {i for ids in self._read("ids_by_prefix", item_id, 2).values() for i in ids}
        )
        if len(item_id) >= 4 and len(matches) == 1:
            for found in self._read("get", matches[0]).values():
                if found is not None:
                    return found
        if len(item_id) >= 4 and len(matches) > 1:
            raise UserError(f"item id prefix {item_id!r} is ambiguous")
        raise NotFoundError(f"no item {item_id!r} in this memory")

    def search(self, query: str, filters: Filters | None = None, *, limit: int = 10) -> list[Hit]:
        filters = self.resolve_filters(filters or Filters())
        found = self._read("search", mend_text(query), filters, limit)
        return merge_hits(found, limit)

    def retrieve(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        now: datetime | None = None,
        limit: int = 10,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """Two-phase retrieval over the shards (:mod:`lifelog.distributed.corpus`): the
        same ranking as one machine's, with the whole memory's statistics."""
        from .corpus import retrieve_sharded

        try:
            embedder = self.embedder() if mode != "lexical" else None
        except LifelogError:
            embedder = None  # as on one machine: words only, rather than failing
        missing: dict[int, str] = {}
        self._query_missing = missing
        try:
            hits = retrieve_sharded(
                self._ask,
                embedder,
                question,
                filters=self.resolve_filters(filters or Filters()),
                now=now,
                limit=limit,
                mode=mode,
            )
        except ValueError as error:
            raise UserError(str(error)) from None
        finally:
            self._query_missing = None
        # a shard that missed any phase is told once, as for every read
        shards = int(self.backend.get("shards", 2))
        self.last_partial = Partial(shards, tuple(sorted(missing)), tuple(missing.values()))
        if self._missed is not None:
            for n, reason in missing.items():
                self._missed.setdefault(n, reason)
        elif missing:
            warnings.warn(self.last_partial.notice(), PartialResultWarning, stacklevel=2)
        return hits

    def _ask(self, method: str, *args: Any, shards: Sequence[int] | None = None) -> dict[int, Any]:
        """A read for two-phase retrieval, of every shard or of the ones that hold the
        chunks; a shard that does not answer is recorded for the query's notice."""
        results, partial = self.cluster.ask(method, *args, shards=shards)
        if self._query_missing is not None:
            for n, reason in zip(partial.missing, partial.reasons, strict=False):
                self._query_missing.setdefault(n, reason)
        return results

    def timeline(
        self, filters: Filters | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[Item]:
        found = self._read("timeline", self.resolve_filters(filters or Filters()), limit + offset)
        return merge_items(found.values(), limit, offset)

    def newest(
        self, filters: Filters | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[Item]:
        found = self._read("newest", self.resolve_filters(filters or Filters()), limit + offset)
        return merge_items(found.values(), limit, offset, newest=True)

    def thread_window(self, item_id: str, *, before: int = 25, after: int = 25) -> ThreadWindow:
        """Every shard's items of the thread around the item, joined as one machine joins
        its own (:func:`~lifelog.store.threads.join_parts`): a thread usually lies whole on
        one shard (a file goes whole to one), but two exports of one chat may not."""
        from ..store.threads import ThreadWindow, join_parts

        item = self.get(item_id)
        if item.thread is None:
            return ThreadWindow("", [item], False, False, 1)
        at = item.timestamp.timestamp() if item.timestamp is not None else None
        parts = self._read("thread_part", item.thread, item.id, at, before, after)
        ordered = [parts[n] for n in sorted(parts)]
        return join_parts(item, ordered, before=before, after=after)

    def thread_sizes(self, threads: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(threads))
        total: dict[str, int] = {}
        if not wanted:
            return total
        for part in self._read("thread_sizes", wanted).values():
            for thread, n in part.items():
                total[thread] = total.get(thread, 0) + n
        return total

    def period_counts(self, filters: Filters | None = None, *, fmt: str = "%Y") -> dict[str, int]:
        total: dict[str, int] = {}
        for part in self._read(
            "period_counts", self.resolve_filters(filters or Filters()), fmt
        ).values():
            for period, n in part.items():
                total[period] = total.get(period, 0) + n
        return total

    def count(self, filters: Filters | None = None, query: str | None = None) -> int:
        return sum(self._read("count", self.resolve_filters(filters or Filters()), query).values())

    def facet_counts(self, filters: Filters | None = None, people: int | None = 12) -> FacetCounts:
        merged = FacetCounts()
        for part in self._read("facet_counts", self.resolve_filters(filters or Filters())).values():
            merged.add(part)
        if people is not None:
            merged.keep_people(people)
        return merged

    def query_ids(
        self, query: str, filters: Filters | None = None, limit: int = 1000
    ) -> Iterable[str]:
        return [hit.item.id for hit in self.search(query, filters, limit=limit)]

    def stats(self) -> Stats:
        parts = list(self._read("stats").values())
        merged = Stats(path=str(self.home), encryption=self.config.encryption, items=0, chunks=0)
        with self.store.lock:  # the jobs, each of which made a run on several shards
            merged.runs = int(self.store.conn.execute("SELECT count(*) FROM runs").fetchone()[0])
        for part in parts:
            merged.items += part.items
            merged.chunks += part.chunks
            merged.db_bytes += part.db_bytes
            for source, n in part.by_source.items():
                merged.by_source[source] = merged.by_source.get(source, 0) + n
            for kind, n in part.by_kind.items():
                merged.by_kind[kind] = merged.by_kind.get(kind, 0) + n
            if part.first is not None and (merged.first is None or part.first < merged.first):
                merged.first = part.first
            if part.last is not None and (merged.last is None or part.last > merged.last):
                merged.last = part.last
        return merged

    def text_chars(self) -> int:
        """Characters of text indexed on all shards (every shard must answer)."""
        return sum(self.cluster.tell("text_chars").values())

    def item_ids(self) -> dict[int, list[str]]:
        """Shard -> the item ids it holds (every shard must answer)."""
        return self.cluster.tell("item_ids")

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
        """As on one machine, on the merged hits; a shard that did not answer any of the
        searches the answer made is named in the answer's notes."""
        shards = int(self.backend.get("shards", 2))
        missed: dict[int, str] = {}
        self._missed = missed
        try:
            for event in super().ask_stream(
                question,
                filters=filters,
                reasoning=reasoning,
                now=now,
                model=model,
                history=history,
                max_tokens=max_tokens,
            ):
                if event.answer is not None and missed:
                    partial = Partial(shards, tuple(sorted(missed)), tuple(missed.values()))
                    note = partial.notice()
                    warnings.warn(note, PartialResultWarning, stacklevel=2)
                    event = replace(
                        event, answer=replace(event.answer, notes=(*event.answer.notes, note))
                    )
                yield event
        finally:
            self._missed = None
            if missed:
                self.last_partial = Partial(shards, tuple(sorted(missed)), tuple(missed.values()))
