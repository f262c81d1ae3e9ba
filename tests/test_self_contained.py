"""The test suite needs nothing outside the checkout: users clone ponder alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import checkout_guard

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}


def _copy_checkout(target: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIP or n.startswith(".venv")}

    shutil.copytree(ROOT, target, ignore=ignore)


def test_the_suite_collects_from_a_copy_with_no_sibling_folders(tmp_path: Path) -> None:
    """A copy of the repository alone in an empty folder (no ``../shared``) collects cleanly."""
    copy = tmp_path / "alone" / "ponder"
    _copy_checkout(copy)
    assert sorted(p.name for p in copy.parent.iterdir()) == ["ponder"]
    env = {**os.environ, "PYTHONPATH": str(copy)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    tail = (result.stdout + result.stderr)[-2000:]
    assert result.returncode == 0, tail
    assert " tests collected" in result.stdout, tail
    assert "error" not in result.stdout.lower().split("tests collected")[-1], tail


def test_the_guard_flags_a_read_beside_the_checkout() -> None:
    sibling = os.path.join(checkout_guard.PARENT, "shared", "reference", "providers.md")
    assert checkout_guard.is_outside_checkout(sibling)
    assert not checkout_guard.is_outside_checkout(str(ROOT / "tests" / "fixtures"))
    assert not checkout_guard.is_outside_checkout(str(ROOT))
    assert not checkout_guard.is_outside_checkout(os.path.join(sys.prefix, "lib"))


def test_the_guard_sees_a_real_open_of_a_sibling_path(tmp_path: Path) -> None:
    """Opening a path beside the checkout is recorded (it need not exist to be caught)."""
    before = len(checkout_guard.outside_reads)
    sibling = os.path.join(checkout_guard.PARENT, "no-such-sibling-folder", "x.txt")
    try:
        with open(sibling, "rb"):
            pass
    except OSError:
        pass
    seen = checkout_guard.outside_reads[before:]
    assert seen == [sibling]
    del checkout_guard.outside_reads[before:]  # this test's own read is the point, not a leak
