"""f2 / f3 say how they copied: a system clipboard tool (run for real) or OSC 52 only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from backends.events import Finished, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, send, until
from tests.tui.scripted import ScriptedBackend
from tui.clipboard import TMUX_HINT, clipboard_command, copy_with_tool


def fake_tool(folder: Path, name: str, *, exit_code: int = 0) -> Path:
    """A clipboard tool stand-in (no display server here): it writes stdin to ``name``.out."""
    out = folder / f"{name}.out"
    script = folder / name
    script.write_text(f"#!/bin/sh\n/bin/cat > '{out}'\nexit {exit_code}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return out


def test_a_tool_on_path_is_used_with_the_text_on_stdin(tmp_path: Path) -> None:
    out = fake_tool(tmp_path, "xsel")
    env = {"PATH": str(tmp_path), "DISPLAY": ":0"}
    command = clipboard_command(env)
    assert command is not None and command[0].endswith("xsel") and "--clipboard" in command
    copied = copy_with_tool("héllo\nworld", env)
    assert copied.ok and copied.tool == "xsel" and "copied with xsel" in copied.how
    assert out.read_text(encoding="utf-8") == "héllo\nworld"


def test_no_display_means_no_tool_and_tmux_gets_its_hint(tmp_path: Path) -> None:
    fake_tool(tmp_path, "xclip")
    env = {"PATH": str(tmp_path), "TMUX": "/tmp/tmux-1000/default,1,0"}
    assert clipboard_command(env) is None  # xclip without an X display cannot work
    copied = copy_with_tool("x", env)
    assert not copied.ok and "OSC 52" in copied.how and TMUX_HINT in copied.how
    assert TMUX_HINT not in copy_with_tool("x", {"PATH": str(tmp_path)}).how


def test_a_failing_tool_is_reported_not_claimed(tmp_path: Path) -> None:
    fake_tool(tmp_path, "wl-copy", exit_code=3)
    copied = copy_with_tool("x", {"PATH": str(tmp_path), "WAYLAND_DISPLAY": "wayland-0"})
    assert not copied.ok and "wl-copy failed (exit 3)" in copied.how


async def test_f2_and_f3_say_which_way_they_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = fake_tool(tmp_path, "xclip")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    answer = "Here:\n\n```py\nprint(1)\n```\n"
    app = app_with(ScriptedBackend([TextDelta(answer), Finished(StopReason.STOP, usage=Usage())]))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await send(pilot, "code")
        await reply_done(pilot)
        await pilot.press("f3")
        await until(
            pilot,
            lambda: (
                out.exists()
                and any("copied with xclip" in str(n.message) for n in app._notifications)
            ),
        )
        assert out.read_text(encoding="utf-8") == "print(1)\n"
        assert app.clipboard == "print(1)\n"
        monkeypatch.setenv("PATH", "/nonexistent")
        await pilot.press("f2")
        await until(
            pilot,
            lambda: any(
                "OSC 52" in str(n.message)
                for n in app._notifications
                if "last answer" in str(n.message)
            ),
        )
        assert app.clipboard == answer
