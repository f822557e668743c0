"""The distributed backend: one person's memory sharded over a Ray cluster.

A floor above :class:`lifelog.Memory`: nothing below imports it, and nothing imports
Ray unless a memory's ``memory.json`` chooses this backend
(``"settings": {"backend": {"kind": "ray", ...}}``, see :func:`memory.use_ray`), which
``Memory.open`` then returns as a :class:`memory.RayMemory`. Install with
``pip install 'lifelog[distributed]'``.

- :mod:`.keys`: each shard's key, derived from the owner's, sent only sealed;
- :mod:`.plan`: which shard a file goes to, and merging what the shards answer (pure);
- :mod:`.shard`: one shard, an encrypted memory store held by one process;
- :mod:`.cluster`: the shards as Ray actors; fan-out with deadlines, failover;
- :mod:`.memory`: ``RayMemory``, the ``Memory`` every surface calls;
- :mod:`.localcluster`: a real multi-node cluster on loopback, for tests and measurements.

Why Ray, and the numbers behind it: docs/scale.md.
"""
