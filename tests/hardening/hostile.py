"""Hostile strings a server or a model can send, and the check that none reached a terminal.

Each entry would do something to a terminal that printed it raw: clear the screen, set the
title, write the clipboard (OSC 52), open a hyperlink, start a device control string, move the
cursor back over earlier text, reverse the text direction, ring the bell.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HOSTILE: dict[str, str] = {
    "csi_clear": "\x1b[2J\x1b[H",
    "osc0_title": "\x1b]0;pwned title\x07",
    "osc2_title_st": "\x1b]2;pwned\x1b\\",
    "osc8_link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc52_clipboard": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "dcs": "\x1bP1$r0m\x1b\\",
    "c1_csi": "\x9b2J",
    "c1_osc": "\x9d0;c1 title\x9c",
    "bel": "ding\x07\x07",
    "backspace": "safe\x08\x08\x08\x08evil",
    "carriage_return": "all good\rEVIL",
    "rlo": "invoice\u202egpj.exe",
    "nul": "nul\x00byte",
}

# One string with every attack, for paths that show a single message.
ALL = " | ".join(f"{name}={text}" for name, text in HOSTILE.items())

_FORBIDDEN = {"\x1b", "\x07", "\x00", "\x08", "\r", "\u202e", "\u202d"}


def forbidden_in(text: str) -> list[str]:
    """The raw control characters in ``text`` that a terminal would obey (ESC, BEL, C1, …)."""
    return sorted({ch for ch in text if ch in _FORBIDDEN or "\x80" <= ch <= "\x9f"}, key=ord)


def assert_terminal_safe(text: str, where: str = "") -> None:
    bad = forbidden_in(text)
    assert not bad, f"raw control characters {[hex(ord(c)) for c in bad]} reached {where}"


def run_cli(
    tmp_path: Path, *args: str, config: str = "", stdin: bytes | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """``python -m tui.cli ARGS`` with its own config and data dir; bytes out (undecoded)."""
    config_path = tmp_path / "config.toml"
    config_path.write_text(config, encoding="utf-8")
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    full_env.update(PONDER_CONFIG=str(config_path), PONDER_DATA_DIR=str(tmp_path / "data"))
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        env=full_env,
        timeout=120,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def decoded(raw: bytes) -> str:
    """The bytes a terminal would get, as text (a decode error is a failure in itself)."""
    return raw.decode("utf-8")


def server_config(url: str, name: str = "evil", **options: Any) -> str:
    """A config with one openai-compat backend at ``url`` and no retries unless given."""
    opts = {"max_retries": 0, **options}
    inline = ", ".join(f"{key} = {json.dumps(value)}" for key, value in opts.items())
    return (
        f"[backends.{name}]\n"
        'kind = "openai-compat"\n'
        'model = "m"\n'
        f'base_url = "{url}"\n'
        f"options = {{ {inline} }}\n"
    )


def chat_sse(text: str = "", reasoning: str = "", error: str | None = None) -> bytes:
    """A Chat Completions stream with optional reasoning, text and an in-stream error."""
    events: list[dict[str, object]] = []
    if reasoning:
        events.append({"choices": [{"index": 0, "delta": {"reasoning_content": reasoning}}]})
    if text:
        events.append({"choices": [{"index": 0, "delta": {"content": text}}]})
    if error is not None:
        events.append({"error": {"message": error, "type": "server_error"}})
    else:
        events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        events.append({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7}})
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return body + b"data: [DONE]\n\n"
