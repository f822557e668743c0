"""The public API is pinned: a change to __all__ is a deliberate, reviewed change."""

from __future__ import annotations

import lifelog


def test_all_is_pinned() -> None:
    assert sorted(lifelog.__all__) == sorted(
        [
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
    )
    for name in lifelog.__all__:
        assert hasattr(lifelog, name), name


def test_error_tree() -> None:
    assert issubclass(lifelog.NotFoundError, lifelog.UserError)
    assert issubclass(lifelog.PassphraseError, lifelog.UserError)
    for error in (lifelog.SourceError, lifelog.StoreError, lifelog.ModelError, lifelog.UserError):
        assert issubclass(error, lifelog.LifelogError)
    assert not issubclass(lifelog.SourceError, lifelog.UserError)
