"""The registry: built-in sources declared once per family folder, the same way as plugins."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import lifelog.sources
from lifelog.sources import BUILTIN, Source, all_sources

ROOT = Path(__file__).resolve().parents[2]
SOURCES = Path(lifelog.sources.__file__).parent
#: modules that stay at the top of sources/: the registry, the base classes, the
#: container source (archives) and low-level helpers that several families share
TOP_LEVEL = {
    "__init__", "base", "archive", "held", "gathered", "dates", "htmltext", "jsonstream",
    "sqlitecopy",
}  # fmt: skip


def test_entry_points_declare_every_builtin_source_at_its_module() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = project["project"]["entry-points"]["lifelog.sources"]
    assert declared == BUILTIN


def test_every_builtin_target_imports_as_a_source() -> None:
    for name, target in BUILTIN.items():
        module_name, _, attr = target.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        assert isinstance(cls(), Source), name


def test_every_format_lives_in_a_family_folder() -> None:
    top = {p.stem for p in SOURCES.glob("*.py")}
    assert top == TOP_LEVEL
    for name, target in BUILTIN.items():
        module_name = target.partition(":")[0]
        family = module_name.removeprefix("lifelog.sources.").split(".")
        assert len(family) == 2 or family == ["archive"], (name, module_name)
    for folder in (p for p in SOURCES.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert (folder / "__init__.py").is_file(), folder.name


def test_all_sources_loads_every_builtin_in_detection_order() -> None:
    loaded = [f"{type(s).__module__}:{type(s).__name__}" for s in all_sources()]
    assert loaded[: len(BUILTIN)] == list(BUILTIN.values())
