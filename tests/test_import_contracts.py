"""The import boundaries hold: import-linter's contracts (pyproject.toml) and no import cycle.

``lint-imports`` runs on the checkout; then on copies of it with one forbidden import added, so
a broken boundary is shown to fail (a contract that cannot fail checks nothing). No import
cycle is a contract too (``acyclic_siblings``: no module or package imports itself through its
siblings; imports under ``if TYPE_CHECKING`` and inside functions count).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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
    assert "6 kept, 0 broken" in result.stdout
    assert set(contract_status(result.stdout).values()) == {"KEPT"}


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("backends/errors.py", "import textual", "backends have no UI"),
        ("tui/widgets/footer.py", "import tui.chat.screen", "the TUI: the app above"),
        ("tui/cli/ask.py", "import tui.chat.screen", "the CLI imports no screen"),
        ("backends/events.py", "import backends.compare.session", "backends: features above"),
        ("backends/config.py", "import tui.safe_text", "the UI sits on the backends"),
        ("backends/pricing.py", "import backends.config", "no import cycles"),
        ("tui/chat/conversation.py", "import tui.chat.screen", "no import cycles"),
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
