"""The owner's side of a Ray cluster: one actor per shard, keys sent sealed, calls fanned
out with deadlines.

Each shard is a named Ray actor (``<memory id>-shard-<n>`` in the ``lifelog``
namespace) placed with the ``SPREAD`` strategy, so shards land on different nodes, and
restarted by Ray without limit when its process or node dies (``max_restarts=-1``).
Calls are never retried by Ray itself (``max_task_retries=0``): this module decides.

- **Ingest** waits for a shard that died: once Ray has restarted its actor (on a node
  with room: another one when its own is gone, see docs/scale.md), the shard is sent its
  key again and the same files are given to it again. The shard's import journal passes
  over the files it finished; the file it was reading is read again and the items it
  had stored already are recognised by their stable ids, so nothing is lost or doubled.
- **Reading** (search, retrieve, timeline, counts) does not wait: a shard that fails or
  does not answer within the deadline is left out and named in a :class:`Partial`
  notice, which the caller shows. A shard sent its key again answers the next query.

Ray's object store and gRPC channels carry hits and items unencrypted unless the
cluster runs with TLS (``RAY_USE_TLS``): a cluster must be private to its owner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import ray
from cryptography.exceptions import InvalidTag
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from ..errors import LifelogError
from .keys import shard_key, wrap_key
from .plan import Partial
from .shard import Shard, ShardInfo, ShardLocked

__all__ = ["Cluster", "ClusterSettings", "ShardFailed"]

T = TypeVar("T")
NAMESPACE = "lifelog"


class ShardFailed(RuntimeError):
    """A shard could not do what it was asked before the deadline."""


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    address: str
    memory_id: str
    shards: int
    root: str
    #: CPUs Ray sets aside for each shard's actor
    actor_cpus: float = 1.0
    #: seconds a query waits for the shards
    query_timeout: float = 30.0
    #: seconds an ingest waits for a shard that died to come back
    ingest_timeout: float = 600.0
    #: seconds a shard's rekey waits for another process that has its database open
    #: (SQLite's busy timeout, as every connection has) before it stops
    rekey_wait: float = 30.0


def _cause(error: BaseException) -> BaseException:
    if isinstance(error, RayTaskError):
        cause = error.cause
        if isinstance(cause, BaseException):
            return cause
    return error


class Cluster:
    """A connection to the shards of one memory."""

    def __init__(
        self,
        settings: ClusterSettings,
        secret: bytes,
        owner_settings: dict[str, Any],
        pending: bytes | None = None,
        *,
        unlock: bool = True,
    ):
        self.settings = settings
        self._secret = secret
        #: the secret of a new owner key, while ``lifelog rekey`` changes the shards' keys
        self.pending = pending
        self._owner_settings = owner_settings
        self._started_ray = False
        if not ray.is_initialized():
            ray.init(
                address=settings.address,
                namespace=NAMESPACE,
                logging_level=logging.WARNING,
                log_to_driver=False,
            )
            self._started_ray = True
        self._remote = ray.remote(Shard)
        self._lock = threading.Lock()
        self.actors = [self._actor(n) for n in range(settings.shards)]
        self.infos: dict[int, ShardInfo] = {}
        if unlock:  # not for a restore, which replaces the shards' stores
            try:
                self.fan(lambda n: self.unlock(n), retry=True)
            except BaseException:  # ended here, not whenever their handles are collected
                self.close()
                raise

    def _actor(self, n: int) -> Any:
        s = self.settings
        return self._remote.options(
            name=f"{s.memory_id}-shard-{n}",
            namespace=NAMESPACE,
            get_if_exists=True,
            max_restarts=-1,
            max_task_retries=0,
            max_concurrency=4,  # queries may run beside an ingest (SQLite WAL readers)
            num_cpus=s.actor_cpus,
            scheduling_strategy="SPREAD",
        ).remote(s.memory_id, n, s.root)

    def unlock(self, n: int) -> ShardInfo:
        """Send shard ``n`` its key, sealed for the process that holds it now."""
        actor = self.actors[n]
        public = ray.get(actor.public_key.remote(), timeout=self.settings.ingest_timeout)
        key = shard_key(self._secret, self.settings.memory_id, n)
        wrapped = wrap_key(key, public, n)
        pending = None
        if self.pending is not None:
            pending = wrap_key(shard_key(self.pending, self.settings.memory_id, n), public, n)
        try:
            info: ShardInfo = ray.get(
                actor.unlock.remote(wrapped, self._owner_settings, pending),
                timeout=self.settings.ingest_timeout,
            )
        except RayTaskError as error:  # a key that opens nothing: said as one machine says it
            if isinstance(_cause(error), LifelogError):
                raise _cause(error) from None
            raise
        self.infos[n] = info
        return info

    def call(self, n: int, method: str, *args: Any, retry: bool, timeout: float) -> Any:
        """``method(*args)`` on shard ``n``. With ``retry``, a shard that died is waited
        for (until ``timeout``), sent its key again and asked again."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ShardFailed(f"shard {n} did not answer within {timeout:.0f} s")
            try:
                return ray.get(getattr(self.actors[n], method).remote(*args), timeout=left)
            except GetTimeoutError:
                raise ShardFailed(f"shard {n} did not answer within {timeout:.0f} s") from None
            except RayTaskError as error:
                if not isinstance(_cause(error), ShardLocked):
                    raise _cause(error) from None
                # a restarted actor: its key is sent again, then the call is made again
            except RayActorError as error:
                if not retry:
                    raise ShardFailed(
                        f"shard {n} is unavailable ({type(error).__name__})"
                    ) from None
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            try:
                self.unlock(n)
            except (RayActorError, GetTimeoutError, RayTaskError):
                if not retry:
                    raise ShardFailed(f"shard {n} is restarting") from None
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def sealed(self, n: int, method: str, secret: bytes, *args: Any) -> Any:
        """``method(key, *args)`` on shard ``n``, ``key`` the shard key ``secret`` gives
        it, sealed for the process that holds the shard now (again, if that process
        changes meanwhile)."""
        timeout = self.settings.ingest_timeout
        deadline = time.monotonic() + timeout
        key = shard_key(secret, self.settings.memory_id, n)
        while True:
            public = self.call(n, "public_key", retry=True, timeout=timeout)
            try:
                return self.call(
                    n, method, wrap_key(key, public, n), *args, retry=True, timeout=timeout
                )
            except InvalidTag:  # the actor restarted between the two calls: a new pair
                if time.monotonic() > deadline:
                    raise ShardFailed(f"shard {n} did not take its key") from None

    def rekey(self, n: int, secret: bytes) -> bool:
        """Shard ``n`` re-encrypted with the key ``secret`` gives it."""
        return bool(self.sealed(n, "rekey", secret, self.settings.rekey_wait))

    def rekeyed(self, secret: bytes) -> None:
        """Every shard has the key ``secret`` gives it: its keys from now on."""
        self._secret, self.pending = secret, None

    def fan(
        self,
        work: Callable[[int], T],
        *,
        retry: bool,
        shards: Sequence[int] | None = None,
    ) -> tuple[dict[int, T], Partial]:
        """``work(n)`` for every shard at once; what each returned and which failed."""
        wanted = list(range(self.settings.shards)) if shards is None else list(shards)
        results: dict[int, T] = {}
        missing: list[int] = []
        reasons: list[str] = []
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            futures = {n: pool.submit(work, n) for n in wanted}
            for n, future in futures.items():
                try:
                    results[n] = future.result()
                except ShardFailed as error:
                    if retry:
                        raise
                    missing.append(n)
                    reasons.append(str(error))
        return results, Partial(self.settings.shards, tuple(missing), tuple(reasons))

    def ask(
        self, method: str, *args: Any, shards: Sequence[int] | None = None
    ) -> tuple[dict[int, Any], Partial]:
        """A read on every shard (or ``shards``), within the query deadline; failed
        shards left out."""
        timeout = self.settings.query_timeout
        return self.fan(
            lambda n: self.call(n, method, *args, retry=False, timeout=timeout),
            retry=False,
            shards=shards,
        )

    def tell(self, method: str, *args: Any, shards: Sequence[int] | None = None) -> dict[int, Any]:
        """A write on every shard (or ``shards``), each waited for until it is done."""
        timeout = self.settings.ingest_timeout
        results, _ = self.fan(
            lambda n: self.call(n, method, *args, retry=True, timeout=timeout),
            retry=True,
            shards=shards,
        )
        return results

    def close(self) -> None:
        for actor in self.actors:
            try:
                ray.get(actor.close.remote(), timeout=10)
            except Exception:  # noqa: BLE001 - a dead shard has nothing to close
                pass
            ray.kill(actor, no_restart=True)
        self.actors = []
        if self._started_ray:
            ray.shutdown()
