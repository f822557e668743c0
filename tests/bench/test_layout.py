"""The benchmarks live on top, in ``lifelog.bench``: no lower floor imports them, nor
:class:`lifelog.Memory` above it (type hints aside)."""

from __future__ import annotations

import ast
from pathlib import Path

import lifelog

PACKAGE = Path(lifelog.__file__).parent
LOWER = ("index", "retrieval", "store", "sources", "answer", "models")
ABOVE = ("lifelog.memory", "lifelog.bench", "lifelog.server", "lifelog.cli", "lifelog.commands")


def _runtime_imports(path: Path) -> list[str]:
    """The absolute names ``path`` imports when run (``if TYPE_CHECKING:`` blocks left out)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0]
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.extend(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def test_the_lower_floors_do_not_import_the_floors_above() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for floor in LOWER
        for path in sorted((PACKAGE / floor).rglob("*.py"))
        for name in _runtime_imports(path)
        if name.startswith(ABOVE) or name == "lifelog.Memory"
    ]
    assert not wrong, wrong


def test_the_check_sees_an_import_from_above() -> None:
    path = PACKAGE / "retrieval" / "explain.py"  # imports Memory for type hints only
    assert "lifelog.memory.Memory" not in _runtime_imports(path)
    assert "lifelog.memory.Memory" in _runtime_imports(PACKAGE / "bench" / "retrieval.py")
    assert "lifelog.bench.retrieval.bench_questions" in _runtime_imports(
        PACKAGE / "bench" / "words.py"
    )
