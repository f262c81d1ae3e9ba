"""The import boundaries hold: import-linter's contracts (pyproject.toml) and no import cycle.

``lint-imports`` runs on the checkout; then on copies of it with one forbidden import added, so
a broken boundary is shown to fail (a contract that cannot fail checks nothing). The cycle
check walks grimp's import graph (the one import-linter builds) for strongly connected modules.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backends", "tui", "themes")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(root))
    command = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def test_the_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout
    assert set(contract_status(result.stdout).values()) == {"KEPT"}


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("backends/errors.py", "import textual", "backends have no UI"),
        ("tui/widgets/footer.py", "import tui.chat.screen", "the TUI: the app above"),
        ("tui/cli/ask.py", "import tui.chat.screen", "the CLI imports no screen"),
        ("backends/events.py", "import backends.compare.session", "backends: features above"),
        ("backends/config.py", "import tui.safe_text", "the UI sits on the backends"),
    ],
)
def test_an_import_across_a_boundary_fails(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    status = contract_status(result.stdout)
    assert [name for name, state in status.items() if name.startswith(broken)] != [], status
    assert all(state == "BROKEN" for name, state in status.items() if name.startswith(broken))


def contract_status(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' report (long names wrap there)."""
    section = output.split("Contracts:")[0].split("dependencies.")[-1]
    text = " ".join(section.replace("-", " ").split())
    found = re.findall(r"(.+?) (KEPT|BROKEN)(?: \(\d+ ignored imports?\))?", text)
    return {name.strip(): state for name, state in found}


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Groups of modules that import each other in a circle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def test_no_module_imports_itself_in_a_circle() -> None:
    # At run time: an import under ``if TYPE_CHECKING`` (an annotation) is not one; the
    # contracts above still count them.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert strongly_connected(graph) == []


def test_the_cycle_check_finds_a_circle(tmp_path: Path) -> None:
    for name, text in {"loop_a": "import loop_b\n", "loop_b": "import loop_a\n"}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("loop_a", "loop_b")
    finally:
        sys.path.remove(str(tmp_path))
    assert strongly_connected(graph) == [{"loop_a", "loop_b"}]
