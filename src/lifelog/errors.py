"""The lifelog exception tree.

::

    LifelogError                 base of everything lifelog raises on purpose
    ├── UserError                something the user must fix (bad path, bad flag, wrong key)
    │   ├── NotFoundError        no such item / memory / file
    │   ├── ConfigError          invalid configuration
    │   └── PassphraseError      missing or wrong passphrase / key file
    ├── SourceError              an export could not be read at all (records are skipped as values)
    ├── StoreError               the store is damaged or inconsistent
    │   └── DamagedError         a file of the memory failed its checks (the key is fine)
    └── ModelError               an embedding or language model failed or is unreachable

The CLI turns ``UserError`` into one clear line and exit code 2, any other
``LifelogError`` into one line and exit code 1. The HTTP server maps the tree onto
one JSON error shape.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "DamagedError",
    "LifelogError",
    "ModelError",
    "NotFoundError",
    "PassphraseError",
    "SourceError",
    "StoreError",
    "UserError",
]


class LifelogError(Exception):
    """Base class for every error lifelog raises on purpose."""


class UserError(LifelogError):
    """A mistake the user can fix."""


class NotFoundError(UserError):
    """An item, memory or file does not exist."""


class ConfigError(UserError):
    """The configuration is invalid."""


class PassphraseError(UserError):
    """The passphrase or key file is missing or wrong."""


class SourceError(LifelogError):
    """An export file could not be read at all."""


class StoreError(LifelogError):
    """The store is damaged or inconsistent."""


class DamagedError(StoreError):
    """A file of the memory is damaged (pages that fail their check, a truncated file):
    told apart from a wrong key, which is a :class:`PassphraseError`. ``path`` is the
    damaged file."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class ModelError(LifelogError):
    """A model backend failed or cannot be reached."""
