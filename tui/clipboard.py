"""Copy text and say honestly how: a system clipboard tool where one exists, and OSC 52.

OSC 52 asks the terminal to set its clipboard; ponder cannot know whether it did (many terminals
ignore it, and tmux drops it unless ``set -g set-clipboard on``). A system tool (``wl-copy``,
``xclip``, ``xsel``, ``pbcopy``) is run with the text on stdin; its exit status is known, so the
message can say the text was copied. Nothing here raises: a failing tool is reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

TOOL_TIMEOUT_S = 3.0
TMUX_HINT = "under tmux, `set -g set-clipboard on` may be needed"


@dataclass(frozen=True)
class Copied:
    """How a copy went: the tool that took the text (``""``: none) and what to tell the user."""

    tool: str
    ok: bool
    how: str


def clipboard_command(env: Mapping[str, str] | None = None) -> list[str] | None:
    """The system clipboard command to use here, or ``None`` when there is none."""
    env = os.environ if env is None else env
    path = env.get("PATH")
    candidates: list[list[str]] = []
    if sys.platform == "darwin":
        candidates.append(["pbcopy"])
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(["wl-copy"])
    if env.get("DISPLAY"):
        candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    for command in candidates:
        found = shutil.which(command[0], path=path)
        if found:
            return [found, *command[1:]]
    return None


def copy_with_tool(text: str, env: Mapping[str, str] | None = None) -> Copied:
    """Run the system clipboard tool (blocking: call it in a thread). Says what happened."""
    env = os.environ if env is None else env
    command = clipboard_command(env)
    osc = "sent to the terminal's clipboard (OSC 52; the terminal may ignore it"
    osc += f"; {TMUX_HINT})" if env.get("TMUX") else ")"
    if command is None:
        return Copied("", False, osc)
    name = os.path.basename(command[0])
    try:
        done = subprocess.run(
            command,
            input=text.encode("utf-8"),
            # Not captured: xclip and wl-copy leave a child serving the selection, which would
            # hold a captured pipe open until the timeout.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TOOL_TIMEOUT_S,
            check=False,
            env=dict(env),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Copied(name, False, f"{name} failed ({type(exc).__name__}); {osc}")
    if done.returncode != 0:
        return Copied(name, False, f"{name} failed (exit {done.returncode}); {osc}")
    return Copied(name, True, f"copied with {name} (and sent to the terminal by OSC 52)")
