"""Fail any test that reads a file beside the checkout instead of inside it.

Users clone ponder alone, so a test that opens ``../shared/...`` (or any other sibling folder of
the repository) passes on a developer's machine and fails for everyone else. An audit hook sees
every ``open`` and directory listing in the test process; paths under the checkout's parent
folder but outside the checkout are recorded, and the test that caused them fails.

The interpreter's own folders (the virtualenv, the standard library) and the temp dir are
allowed even when they happen to sit beside the checkout.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
PARENT = os.path.dirname(ROOT)
# Only folders that sit under the parent need an exemption; one that contains the parent (a
# checkout cloned under /tmp) would exempt everything beside the checkout.
_ALLOWED = tuple(
    full + os.sep
    for full in (
        os.path.abspath(p)
        for p in {
            sys.prefix,
            sys.base_prefix,
            sys.exec_prefix,
            tempfile.gettempdir(),
            *sysconfig.get_paths().values(),
        }
        if p
    )
    if full.startswith(PARENT + os.sep)
)
_EVENTS = {"open", "os.listdir", "os.scandir"}

outside_reads: list[str] = []


def is_outside_checkout(path: str) -> bool:
    """True when ``path`` lies beside the checkout (under its parent, not inside it)."""
    full = os.path.abspath(path)
    if not full.startswith(PARENT + os.sep) or full == ROOT or full.startswith(ROOT + os.sep):
        return False
    return not (full + os.sep).startswith(_ALLOWED)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event not in _EVENTS or not args:
        return
    target = args[0]
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    elif isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, str) and target and is_outside_checkout(target):
        outside_reads.append(target)


def install() -> None:
    """Start watching (once per process; audit hooks cannot be removed)."""
    if PARENT and PARENT != ROOT:
        sys.addaudithook(_hook)
