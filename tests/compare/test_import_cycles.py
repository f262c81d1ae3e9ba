"""compare's modules import one another in one direction: column <- schedule <- runner <- session.

The scheduler needs the ``Column`` it schedules, the runner needs the scheduler; a cycle
(even one under ``TYPE_CHECKING``) would mean neither can be read, tested or moved alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import backends.compare

PACKAGE = Path(backends.compare.__file__).parent


def imports_of(path: Path) -> set[str]:
    """The ``backends.compare`` modules ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(n for n in names if n.startswith("backends.compare."))
    return found


def test_no_import_cycle_inside_compare() -> None:
    graph = {
        f"backends.compare.{path.stem}": imports_of(path)
        for path in PACKAGE.glob("*.py")
        if path.stem != "__init__"
    }
    assert graph["backends.compare.schedule"] & {"backends.compare.runner"} == set()

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cycles = [module for module in graph if reaches(module, module, {module})]
    assert cycles == []
