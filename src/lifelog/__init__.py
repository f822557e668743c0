"""lifelog: a personal AI memory. Your exports in, encrypted; questions answered with citations.

>>> from lifelog import Memory
>>> with Memory.open() as memory:                       # doctest: +SKIP
...     print(memory.ask("When did I move to Lisbon?").text)
"""

from .errors import (
    ConfigError,
    LifelogError,
    ModelError,
    NotFoundError,
    PassphraseError,
    SourceError,
    StoreError,
    UserError,
)
from .memory import Memory, Stats
from .records import Answer, Chunk, Citation, Hit, Item, Skip
from .retrieval.filters import Filters

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "ConfigError",
    "Filters",
    "Hit",
    "Item",
    "LifelogError",
    "Memory",
    "ModelError",
    "NotFoundError",
    "PassphraseError",
    "Skip",
    "SourceError",
    "Stats",
    "StoreError",
    "UserError",
    "__version__",
]
