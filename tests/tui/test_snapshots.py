"""What the screen shows, at a fixed size, on scripted replies with a fixed clock.

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/tui/__snapshots__`` before accepting them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from backends.capabilities import Capabilities
from backends.config import BackendEntry, Settings
from backends.errors import Unreachable
from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Timings, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send
from tests.tui.scripted import FakeClock, ScriptedBackend, Step
from tui.app import PonderApp
from tui.widgets.prompt import PromptInput

LOCAL = Capabilities(
    can_think=True, thinking_text="full", budget_precision="exact", live_budget=True, local=True
)
MODEL = "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
THOUGHT = (
    "The user wants 17 × 23. 17 × 20 = 340 and 17 × 3 = 51, so the product is 340 + 51 = 391. "
    "Show the arithmetic, then a one-line check in Python."
)
ANSWER = (
    "**17 × 23 = 391**\n\n"
    "| step | value |\n|---|---|\n| 17 × 20 | 340 |\n| 17 × 3 | 51 |\n\n"
    "```python\nprint(17 * 23)  # 391\n```\n"
)
USAGE = Usage(input=42, cached_input=0, output=88, reasoning=37)
SERVER = Timings(started=0, server_decode_ms=2200.0, server_decode_tokens=88)


async def settle(pilot: Pilot[Any]) -> None:
    """A steady cursor (no blink timer) so the screenshot does not depend on timing."""
    chat(pilot).query_one(PromptInput).cursor_blink = False
    await pilot.pause()


def exchange_app(theme: str = "ponder-dark", *, fail: bool = False) -> PonderApp:
    clock = FakeClock()
    ending = (
        Finished(
            StopReason.ERROR,
            error=Unreachable(
                "cannot reach http://127.0.0.1:8080 (connection refused)",
                "check that the server is running, the base_url and your network",
            ),
        )
        if fail
        else Finished(StopReason.STOP, usage=USAGE, timings=SERVER)
    )
    answer = ANSWER[:40] if fail else ANSWER
    backend = ScriptedBackend(
        [Step(0.25), ReasoningDelta(THOUGHT), Step(1.5), TextDelta(answer), Step(0.75), ending],
        name="local",
        model=MODEL,
        capabilities=LOCAL,
        clock=clock,
    )
    return app_with(backend, Settings(theme=theme, default_budget=1024), clock=clock)


def ask(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await backend_ready(pilot)
        await send(pilot, "What is 17 × 23?")
        await reply_done(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_empty_chat(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        await backend_ready(pilot)
        await settle(pilot)

    assert snap_compare(exchange_app(), terminal_size=SIZE, run_before=run_before)


def test_finished_exchange_thinking_collapsed(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(exchange_app(), terminal_size=SIZE, run_before=ask())


def test_finished_exchange_thinking_expanded(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(exchange_app(), terminal_size=SIZE, run_before=ask("ctrl+t"))


def test_error_on_a_message(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(exchange_app(fail=True), terminal_size=SIZE, run_before=ask())


def test_light_theme(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(exchange_app("ponder-light"), terminal_size=SIZE, run_before=ask())


def test_backend_picker(snap_compare) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        backends={
            "claude": BackendEntry(kind="anthropic", model="claude-sonnet-4-5"),
            "qwen": BackendEntry(kind="llama", model="/models/Qwen3-1.7B-Q4_K_M.gguf"),
            "gpu-box": BackendEntry(
                kind="llama-server", model="gpt-oss-20b", base_url="http://10.0.0.5:8080/v1"
            ),
        }
    )
    reasons = {
        "claude": "no key: set ANTHROPIC_API_KEY",
        "qwen": "model file not found: /models/Qwen3-1.7B-Q4_K_M.gguf",
        "gpu-box": "cannot reach http://10.0.0.5:8080 (connection refused)",
    }

    async def availability(name: str) -> str | None:
        return reasons.get(name)

    backend = ScriptedBackend([Finished(StopReason.STOP)], name="local", model=MODEL)
    app = app_with(backend, settings, availability=availability)

    async def run_before(pilot: Pilot[Any]) -> None:
        await backend_ready(pilot)
        await pilot.press("ctrl+b")
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
