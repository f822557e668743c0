"""Keeping a distributed memory whole, shard by shard: opening a shard with the key it
has, a new key, backups and checks. The shard's half runs in its actor, where its
database lies (:class:`~lifelog.distributed.shard.Shard` calls it); the owner's half
(:func:`backup_memory`) writes the manifest.

**A new key** (``lifelog rekey``): every shard key derives from the owner's secret, so
each shard re-encrypts its database under the key derived from the new secret
(:func:`rekey_shard`: ``PRAGMA rekey``, one rollback-journal transaction, so a shard
stopped at any point opens with its old key or its new one, never half of each; its
``memory.json`` holds both keys' checks meanwhile). The owner writes the new key file
beside the old one (``key.new``) before any shard changes, and re-encrypts its own store
and puts the new key file in place only once every shard has: a rekey stopped midway
leaves the owner on the old key with the new one beside it, and each shard is sent both
(:func:`open_shard` opens it with whichever it has), so nothing is unreachable, and
``lifelog rekey`` run again finishes with the same new key. A passphrase memory keeps no
new key on disk: until the rekey is run again with the new passphrase, a shard already
changed says so instead of opening.

**Backups** (``lifelog backup``): each shard's actor copies its own database, encrypted
with its own key, checked (:func:`lifelog.store.copies.backup_memory`), into
``<backup>/shards/shard-NNN``; the owner copies its own store (the journal, the people
corrections, the saved chats) into ``<backup>/owner`` and writes ``shards.json``, the
manifest: the memory's id, each shard's items, bytes and SHA-256. The backup's folder
must be reachable by the nodes at the same path (shared storage, as for ``ingest``).
Written to ``<backup>.partial`` and renamed when whole. Each shard's copy is one
snapshot of that shard; the shards are copied at once, not at one instant, so a backup
taken during an ingest may hold a file on one shard that another's copy predates.

**Restoring** (``lifelog restore``, :func:`restore_backup`): the backup's key (the
owner's, as on one machine) gives each shard's; each shard's actor checks its copy
against the manifest's digest and puts it in place of its store, then the owner's store
is put back. Shards that hold a database are replaced only with ``force``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import DB_NAME, MemoryConfig, load_config, save_config
from ..errors import DamagedError, NotFoundError, PassphraseError, UserError
from ..memory import Memory
from ..store import Store, keys
from ..store.copies import BackupInfo, rekey, verify_copy, write_secret
from ..store.copies import backup_memory as backup_folder
from ..store.copies import rekey_memory as rekey_folder
from ..store.copies import restore_memory as restore_folder
from ..store.db import Keying, file_salt, key_check
from ..store.integrity import CheckReport, Finding
from .keys import owner_secret

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = [
    "MANIFEST",
    "backup_memory",
    "backup_shard",
    "join_checks",
    "open_shard",
    "rekey_memory",
    "rekey_shard",
    "restore_backup",
    "restore_shard",
    "shard_folder",
]

#: the manifest of a distributed backup
MANIFEST = "shards.json"


def open_shard(home: Path, config: MemoryConfig, candidates: Sequence[str], shard: int) -> Store:
    """The shard's store at ``home``, opened with the first of ``candidates`` (raw keys:
    the one derived from the owner's key, then the one from a new key a stopped rekey
    left) that opens it; its ``memory.json`` then keeps that key's check alone."""
    failure: Exception | None = None
    for raw_key in candidates:
        keying = keys.keying_from(config, Keying(raw_key=raw_key))
        try:
            store = Store.open_keyed(home / DB_NAME, keying)
        except (PassphraseError, DamagedError) as error:
            failure = error
            continue
        salt = file_salt(store.path)
        if salt is not None and len(keying.checks) != 1:  # a rekey stopped: settle it
            cipher = dict(config.cipher or {})
            cipher.pop("key_check_next", None)
            cipher.update(salt=salt.hex(), key_check=key_check(salt, keying))
            config.cipher = cipher
            save_config(home, config)
            store.keying = keys.keying_from(config, keying)
        return store
    raise PassphraseError(
        f"shard {shard} opens with neither this memory's key nor a new one: a"
        " `lifelog rekey` stopped before it finished? Run it again with the new"
        f" passphrase ({failure})"
    )


def rekey_shard(memory: Memory, new_key: str, wait: float | None = None) -> bool:
    """Re-encrypt the shard ``memory`` holds with the raw key ``new_key`` (nothing to do,
    ``False``, when it has that key already). Never writes a key to the node's disk:
    ``memory.json`` keeps both keys' checks while the pages are re-encrypted. Another
    process that has the shard's database open is waited for ``wait`` seconds (``None``:
    the connection's busy timeout), then the rekey stops."""
    store, config = memory.store, memory.config
    if store.keying.raw_key == new_key:
        return False
    salt = file_salt(store.path)
    if salt is None:
        raise UserError(f"shard {memory.home.name} is not encrypted")
    new = Keying(raw_key=new_key, cipher=store.keying.cipher)
    cipher = dict(config.cipher or store.keying.cipher.as_json())
    cipher.update(
        salt=salt.hex(),
        key_check=key_check(salt, store.keying),
        key_check_next=key_check(salt, new),
    )
    config.cipher = cipher
    save_config(memory.home, config)
    with store.lock:
        rekey(store.conn, store.path, new, wait=wait)
    cipher = dict(cipher)
    cipher["key_check"] = cipher.pop("key_check_next")
    config.cipher = cipher
    save_config(memory.home, config)
    store.keying = keys.keying_from(config, new)
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def backup_shard(memory: Memory, target: Path) -> dict[str, Any]:
    """Copy the shard into the new folder ``target`` (encrypted with its own key,
    checked): what the manifest says of it."""
    info = backup_folder(memory.home, memory.store, memory.config, target)
    return {
        "path": str(target),
        "items": info.items,
        "bytes": info.bytes,
        "sha256": _sha256(target / DB_NAME),
    }


def shard_folder(backup: Path, shard: int) -> Path:
    return backup / "shards" / f"shard-{shard:03d}"


def backup_memory(owner: Memory, cluster: Cluster, target: Path) -> BackupInfo:
    """A backup of a distributed memory in the new folder ``target``: the owner's own
    store in ``owner/``, each shard's copy (made by the shard, :func:`shard_folder`) in
    ``shards/``, and the manifest."""
    memory_id, shards = cluster.settings.memory_id, cluster.settings.shards
    target = target.expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"{target} exists and is not an empty folder")
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    (partial / "shards").mkdir(parents=True, mode=0o700)
    copied: dict[int, dict[str, Any]] = cluster.tell("backup", str(partial))
    if sorted(copied) != list(range(shards)):
        missing = sorted(set(range(shards)) - set(copied))
        raise UserError(f"shards {missing} made no copy: the backup is not whole")
    own = backup_folder(owner.home, owner.store, owner.config, partial / "owner")
    items = sum(int(part["items"]) for part in copied.values())
    size = own.bytes + sum(int(part["bytes"]) for part in copied.values())
    created = datetime.now(UTC).isoformat(timespec="seconds")
    source = str(owner.home.absolute())
    manifest = {
        "created": created,
        "from": source,
        "memory_id": memory_id,
        "encryption": owner.config.encryption,
        "items": items,
        "bytes": size,
        "shards": [
            {
                "shard": n,
                "folder": str(shard_folder(Path("."), n)),
                "items": copied[n]["items"],
                "bytes": copied[n]["bytes"],
                "sha256": copied[n]["sha256"],
            }
            for n in range(shards)
        ],
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    if target.exists():
        target.rmdir()
    partial.rename(target)
    return BackupInfo(target, created, source, items, owner.config.encryption, size)


def restore_shard(folder: Path, home: Path, raw_key: str, sha256: str) -> int:
    """Put the shard's copy in ``folder`` in place of the shard at ``home`` (the owner
    decided that it may be replaced); the items it holds."""
    if not (folder / DB_NAME).is_file():
        raise NotFoundError(f"{folder} holds no copy of this shard")
    if _sha256(folder / DB_NAME) != sha256:
        raise DamagedError(f"{folder / DB_NAME} is not the copy the backup's manifest names")

    def keying_of(config: MemoryConfig) -> Keying:
        return keys.keying_from(config, Keying(raw_key=raw_key))

    return restore_folder(folder, home, keying_of, force=True)


def restore_backup(backup: Path, home: Path, passphrase: str | None, force: bool) -> int:
    """Put the distributed backup ``backup`` (:func:`backup_memory`) in place of the
    memory at ``home``: each shard's copy where the shard lies, then the owner's store;
    the items the shards hold. Shards that hold a database are replaced only with
    ``force``, as a memory holding items is on one machine."""
    from ..memory import backup_keying
    from .cluster import Cluster, ClusterSettings

    backup = backup.expanduser()
    manifest = json.loads((backup / MANIFEST).read_text())
    config = load_config(backup / "owner")
    if config.encryption == "passphrase":  # asked once, for the owner and every shard
        passphrase = backup_keying(home, config, passphrase).passphrase
    keying = backup_keying(home, config, passphrase)
    verify_copy(backup / "owner" / DB_NAME, keying)
    backend = dict(config.settings.get("backend") or {})
    memory_id = str(manifest["memory_id"])
    settings = ClusterSettings(
        address=str(backend["address"]),
        memory_id=memory_id,
        shards=len(manifest["shards"]),
        root=str(backend.get("root") or home / "shards"),
        actor_cpus=float(backend.get("actor_cpus", 1.0)),
        ingest_timeout=float(backend.get("ingest_timeout", 600.0)),
    )
    secret = owner_secret(raw_key=keying.raw_key, passphrase=keying.passphrase, memory_id=memory_id)
    cluster = Cluster(settings, secret, {}, unlock=False)
    try:
        if not force and any(cluster.tell("holds").values()):
            raise UserError(f"the shards of {home} hold a memory: add --force to replace it")
        digests = {int(part["shard"]): str(part["sha256"]) for part in manifest["shards"]}
        items = cluster.fan(
            lambda n: int(cluster.sealed(n, "restore", secret, str(backup), digests[n])),
            retry=True,
        )[0]
    finally:
        cluster.close()
    restore_folder(
        backup / "owner", home, lambda c: backup_keying(home, c, passphrase), force=force
    )
    return sum(items.values())


def rekey_memory(owner: Memory, cluster: Cluster, new: Keying) -> None:
    """Change the key of a distributed memory whose owner's side is ``owner`` to ``new``:
    the new key file beside the old one first, then every shard (at once), then the
    owner's store. A shard that fails stops it before the owner changes (see the
    module docstring: everything still opens, and running it again finishes)."""
    memory_id = cluster.settings.memory_id
    secret = owner_secret(raw_key=new.raw_key, passphrase=new.passphrase, memory_id=memory_id)
    if new.raw_key is not None:
        write_secret(keys.pending_key_path(owner.home), new.raw_key + "\n")
    cluster.pending = secret

    def change(n: int) -> bool | Exception:
        try:
            return cluster.rekey(n, secret)
        except Exception as error:  # noqa: BLE001 - every shard is tried, failures named
            return error

    done, _ = cluster.fan(change, retry=True)
    failed = {n: r for n, r in sorted(done.items()) if isinstance(r, Exception)}
    if failed:
        named = "; ".join(f"shard {n}: {error}" for n, error in failed.items())
        kept = (
            f"the new key is kept beside the old one ({keys.pending_key_path(owner.home).name})"
            if new.raw_key is not None
            else "give the same new passphrase"
        )
        raise UserError(
            f"the key was not changed everywhere ({named}); the other shards have the new"
            f" key and the memory still opens with the old one. Nothing is lost: {kept},"
            " and `lifelog rekey` run again finishes the change"
        )
    rekey_folder(owner.home, owner.store, owner.config, new)
    cluster.rekeyed(secret)


def join_checks(owner: CheckReport, shards: dict[int, CheckReport]) -> CheckReport:
    """The owner's store's checks, then each shard's, named by shard."""
    joined = CheckReport(
        [Finding(f.name, f"owner: {f.summary}", f.problems, f.repairable) for f in owner.findings]
    )
    for n in sorted(shards):
        joined.findings.extend(
            Finding(f.name, f"shard {n}: {f.summary}", f.problems, f.repairable)
            for f in shards[n].findings
        )
    return joined
