"""Settings: where the memory lives and how it is opened.

Precedence: explicit arguments, then ``LIFELOG_*`` environment variables, then
the memory's own ``memory.json``, then defaults.

- ``LIFELOG_HOME``: the memory directory (default ``$XDG_DATA_HOME/lifelog``)
- ``LIFELOG_PASSPHRASE``: the passphrase of a passphrase-encrypted memory
- ``LIFELOG_KEY_FILE``: where the key file lives (default ``<memory>/key``)
- ``LIFELOG_ME``: the user's own addresses and names, comma-separated
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["MemoryConfig", "default_home", "load_config", "save_config"]

CONFIG_NAME = "memory.json"
DB_NAME = "lifelog.db"
KEY_NAME = "key"
ENCRYPTION_MODES = ("keyfile", "passphrase", "none")


def default_home() -> Path:
    explicit = os.environ.get("LIFELOG_HOME")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "lifelog"


@dataclass(slots=True)
class MemoryConfig:
    """What ``memory.json`` holds: never a secret."""

    version: int = 1
    encryption: str = "keyfile"
    #: extra settings owned by other layers (models, server ...)
    settings: dict[str, Any] = field(default_factory=dict)
    #: the database's page size and HMAC (``lifelog.store.db.Cipher``); ``None``: the
    #: SQLCipher defaults a memory made before these settings has
    cipher: dict[str, Any] | None = None


def load_config(home: Path) -> MemoryConfig:
    path = home / CONFIG_NAME
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error
    config = MemoryConfig(
        version=int(raw.get("version", 1)),
        encryption=str(raw.get("encryption", "keyfile")),
        settings=dict(raw.get("settings", {})),
        cipher=dict(raw["cipher"]) if isinstance(raw.get("cipher"), dict) else None,
    )
    if config.encryption not in ENCRYPTION_MODES:
        raise ConfigError(f"{path}: unknown encryption mode {config.encryption!r}")
    return config


def save_config(home: Path, config: MemoryConfig) -> None:
    path = home / CONFIG_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(config), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
