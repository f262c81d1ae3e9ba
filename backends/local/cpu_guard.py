"""The AMX guard: whether llama.cpp may use its extra CPU buffer types (weight repacking).

On Intel Xeons with AMX (Sapphire Rapids and later), a native llama.cpp CPU build repacks the
weights for AMX and then segfaults in ``ggml_backend_amx_mul_mat`` (llama.cpp issue 20824, closed
without a fix). Loading the model with ``llama_model_params.use_extra_bufts = False`` avoids that
path and decodes at the same speed. The decision is a pure function of the option, the
environment variable and what the CPU reports, so it can be tested on any machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "PONDER_LLAMA_EXTRA_BUFTS"
CHOICES = ("auto", "on", "off")
AMX_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")


@dataclass(frozen=True, slots=True)
class BufferChoice:
    """Whether extra buffer types are used, and a one-line reason a user can read."""

    use_extra_bufts: bool
    note: str


def cpu_has_amx(cpuinfo: str, system_info: str = "") -> bool:
    """True when ``/proc/cpuinfo`` lists an AMX flag or llama.cpp reports ``AMX_INT8 = 1``."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags" and any(flag in value.split() for flag in AMX_FLAGS):
            return True
    compact = system_info.replace(" ", "")
    return "AMX_INT8=1" in compact


def decide_extra_bufts(
    option: str = "auto", env: str | None = None, cpuinfo: str = "", system_info: str = ""
) -> BufferChoice:
    """The choice for this machine. ``env`` (``on``/``off``) beats the option; ``auto`` turns
    extra buffer types off only on a CPU that reports AMX."""
    forced = (env or "").strip().lower()
    if forced in ("on", "off"):
        source = f"{ENV_VAR}={forced}"
    else:
        forced, source = option, f"extra_buffers = {option!r}"
    if forced == "on":
        return BufferChoice(True, f"extra buffer types on: forced by {source}")
    if forced == "off":
        return BufferChoice(False, f"extra buffer types off: forced by {source}")
    if cpu_has_amx(cpuinfo, system_info):
        return BufferChoice(
            False,
            "extra buffer types off: this CPU has AMX (llama.cpp's AMX path crashes, "
            "issue 20824); set extra_buffers = 'on' to try it",
        )
    return BufferChoice(True, "extra buffer types on (no AMX on this CPU)")


def read_cpuinfo(path: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU description, or "" where there is none (macOS, Windows)."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def env_choice() -> str | None:
    return os.environ.get(ENV_VAR)
