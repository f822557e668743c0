"""The encrypted SQLite store: schema, migrations, items and their lexical index."""

from .db import connect, create_key_file, read_key_file
from .store import Store, UpsertResult

__all__ = ["Store", "UpsertResult", "connect", "create_key_file", "read_key_file"]
