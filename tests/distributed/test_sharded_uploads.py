"""An upload (a file a browser sent to ``lifelog serve``) on the distributed backend.

The upload lies in a folder only the owner's node reads, so its files travel to one
shard, which writes them beside its store, reads them under the upload's labels (so the
items are named ``upload:<name>``, not a temporary path) and deletes them. Before, the
distributed backend refused uploads."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lifelog import Memory
from lifelog.distributed.journal import shard_runs
from lifelog.distributed.uploads import ship_upload
from lifelog.samplelife import generate


def _upload(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder as the server's jobs hand it to ``Memory.ingest``: the files of a small
    sample life, each labelled ``upload:<name>``, the folder ``upload``."""
    life = generate(tmp_path / "life", scale=0.05)
    folder = (tmp_path / "spool").resolve()
    folder.mkdir()
    for source in (
        life.root / "whatsapp" / "WhatsApp Chat with Priya Shah.txt",
        *sorted((life.root / "notes").glob("*.md"))[:3],
    ):
        shutil.copy(source, folder / source.name)
    labels = {str(folder): "upload"}
    labels.update({str(p): f"upload:{p.name}" for p in folder.iterdir()})
    return folder, labels


def _seen(memory: Any) -> list[tuple[str, str, str]]:
    return sorted((i.id, i.text, i.uri or "") for i in memory.timeline(limit=100_000))


def test_an_upload_is_read_on_a_shard_as_on_one_machine(
    loopback: Any, on_ray: Callable[..., Any], tmp_path: Path
) -> None:
    folder, labels = _upload(tmp_path)
    first = tmp_path / "first"
    first.mkdir()
    (first / "first.md").write_text("# First\n\nA note on herons, read before the upload.\n")
    embedded = Memory.init(tmp_path / "embedded")
    ray = on_ray(tmp_path / "ray", loopback.address, shards=2)
    try:
        embedded.ingest(first)
        ray.ingest(first)  # shard 0 now holds more: the upload goes to shard 1
        alone = embedded.ingest(folder, labels=labels)
        spread = ray.ingest(folder, labels=labels)
        assert spread.status == "done" and spread.added == alone.added > 50
        assert _seen(ray) == _seen(embedded)
        # the owner's journal names the shard that read it, and that shard's run
        holders = {
            n for n, found in ray.cluster.tell("held", sorted(labels.values())).items() if found
        }
        assert set(shard_runs(ray.store, spread.run_id)) == holders == {1}
        assert all("spool" not in uri and "upload-" not in uri for _i, _t, uri in _seen(ray))
        # the same upload again adds nothing: it is known by its label, not its path
        again = ray.ingest(folder, labels=labels)
        assert again.added == 0 and ray.count() == embedded.count()
    finally:
        ray.close()
        embedded.close()
    # nothing of the upload is left beside the shards' stores
    assert not [p for p in (tmp_path / "ray").rglob("upload-*")]


def test_an_upload_travels_with_its_labels_and_no_link(tmp_path: Path) -> None:
    folder, labels = _upload(tmp_path)
    (folder / "elsewhere.md").symlink_to(tmp_path / "life" / "notes")
    top, files, named = ship_upload(folder, labels)
    assert top == f"{tmp_path.name}/spool"
    assert sorted(n for n, _d in files) == sorted(
        f"{top}/{p.name}" for p in folder.iterdir() if not p.is_symlink()
    )
    assert named[top] == "upload"
    assert named[f"{top}/WhatsApp Chat with Priya Shah.txt"] == (
        "upload:WhatsApp Chat with Priya Shah.txt"
    )


def test_a_shard_refuses_a_name_that_leaves_the_upload(
    make_shards: Callable[..., list[Any]], tmp_path: Path
) -> None:
    (shard,) = make_shards(tmp_path / "shards", 1)
    with pytest.raises(ValueError, match="leaves its folder"):
        shard.ingest_upload(
            "up", [("up/../../outside.md", b"# hi")], {"up": "upload"}, False, False, False
        )
    assert not (tmp_path / "shards" / "outside.md").exists()
    assert not list((tmp_path / "shards").rglob("upload-*"))
