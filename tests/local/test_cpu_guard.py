"""The AMX guard decides from what the CPU reports; the option and the env var override it."""

from __future__ import annotations

import pytest

from backends.local.cpu_guard import cpu_has_amx, decide_extra_bufts

XEON = (
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
    "flags\t\t: fpu vme avx512f avx512_vnni amx_bf16 avx512_fp16 amx_tile amx_int8\n"
)
EPYC = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme avx2 avx512f avx512_vnni\n"
AMX_INFO = "CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1 | "
NO_AMX_INFO = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | REPACK = 1 | "


def test_amx_is_detected_from_cpuinfo_or_llama_system_info() -> None:
    assert cpu_has_amx(XEON)
    assert cpu_has_amx("", AMX_INFO)
    assert not cpu_has_amx(EPYC, NO_AMX_INFO)
    assert not cpu_has_amx("model name: amx_tile lover\n")  # only the flags line counts


def test_auto_turns_extra_buffers_off_on_amx() -> None:
    choice = decide_extra_bufts("auto", None, XEON, NO_AMX_INFO)
    assert choice.use_extra_bufts is False
    assert "this CPU has AMX" in choice.note and "20824" in choice.note
    assert decide_extra_bufts("auto", None, EPYC, NO_AMX_INFO).use_extra_bufts is True


@pytest.mark.parametrize(
    ("option", "env", "cpuinfo", "expected", "why"),
    [
        ("on", None, XEON, True, "extra_buffers = 'on'"),
        ("off", None, EPYC, False, "extra_buffers = 'off'"),
        ("auto", "on", XEON, True, "PONDER_LLAMA_EXTRA_BUFTS=on"),
        ("on", "off", EPYC, False, "PONDER_LLAMA_EXTRA_BUFTS=off"),
        ("off", "", XEON, False, "extra_buffers = 'off'"),  # empty env: the option decides
    ],
)
def test_option_and_env_override_both_ways(
    option: str, env: str | None, cpuinfo: str, expected: bool, why: str
) -> None:
    choice = decide_extra_bufts(option, env, cpuinfo)
    assert choice.use_extra_bufts is expected
    assert why in choice.note
