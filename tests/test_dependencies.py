"""Every package that ponder's code imports is declared in pyproject.toml.

A package that is only installed because something else pulls it in (jinja2 via
llama-cpp-python, rich via textual) works on the machine it was written on and breaks when the
other package stops depending on it, so each direct import must map to a declared distribution.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"backends", "tui", "themes"}
SOURCES = ("backends", "tui", "themes")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0])


def _declared() -> tuple[set[str], set[str]]:
    """(runtime dependencies, optional extras other than the test extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    extras = {
        _requirement_name(r)
        for extra, reqs in project.get("optional-dependencies", {}).items()
        if extra != "test"
        for r in reqs
    }
    return runtime, extras


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the files that import it, for every non-stdlib, non-ponder import."""
    found: dict[str, set[str]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in _imported_top_levels(path):
                if name in FIRST_PARTY or name in sys.stdlib_module_names or name == "__future__":
                    continue
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_scan_sees_the_known_direct_imports() -> None:
    imports = _third_party_imports()
    for expected in ("textual", "httpx", "pydantic", "llama_cpp", "jinja2", "rich"):
        assert expected in imports, f"the import scan missed {expected}"


def test_every_direct_import_maps_to_a_declared_dependency() -> None:
    runtime, extras = _declared()
    distributions = packages_distributions()
    undeclared = []
    for module, files in sorted(_third_party_imports().items()):
        dists = {_normalise(d) for d in distributions.get(module, [])} or {_normalise(module)}
        if dists & runtime:
            continue
        if dists & extras:
            continue
        undeclared.append(f"{module} (from {', '.join(sorted(dists))}; in {sorted(files)[0]})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + "; ".join(undeclared)
