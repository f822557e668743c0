"""Every dependency and bundled model must be compatible with Apache-2.0."""

from __future__ import annotations

from lifelog.licenses import BUNDLED_MODELS, check, classify


def test_classify() -> None:
    assert classify("MIT") == "ok"
    assert classify("Apache-2.0 OR BSD-2-Clause") == "ok"
    assert classify("GNU Affero General Public License") == "forbidden"
    assert classify("GPL-3.0-only") == "forbidden"
    assert classify("GPL-2.0 OR MIT") == "ok"
    assert classify("LGPL-2.1") == "ok"
    assert classify("Proprietary") == "unknown"


def test_installed_dependencies_are_compatible() -> None:
    rows = check()
    names = {name for name, _, _ in rows}
    assert "sqlcipher3" in names and "rich" in names
    bad = [row for row in rows if row[2] != "ok"]
    assert not bad, bad
    assert all("Apache-2.0" in text for text in BUNDLED_MODELS.values())
