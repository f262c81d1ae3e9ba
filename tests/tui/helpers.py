"""Helpers for the TUI tests: build the app around a backend, wait for replies, read the screen."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from backends.base import Backend
from backends.config import Settings
from tui.app import PonderApp, make_app
from tui.chat.screen import ChatScreen
from tui.widgets.messages import AssistantMessage
from tui.widgets.prompt import PromptInput

SIZE = (100, 32)


def app_with(
    backend: Backend | Callable[[str], Backend],
    settings: Settings | None = None,
    **kwargs: object,
) -> PonderApp:
    """The chat app on ``backend`` (or a factory), availability always "ready"."""
    settings = settings or Settings()
    factory = backend if callable(backend) and not isinstance(backend, Backend) else None

    def build(name: str) -> Backend:
        return factory(name) if factory else backend  # type: ignore[return-value]

    async def ready(name: str) -> str | None:
        return None

    options: dict[str, object] = {"backend_factory": build, "availability": ready}
    options.update(kwargs)
    return make_app(settings, **options)  # type: ignore[arg-type]


def chat(pilot: Pilot[Any]) -> ChatScreen:
    """The chat screen (the one under any modal)."""
    return next(s for s in pilot.app.screen_stack if isinstance(s, ChatScreen))


async def backend_ready(pilot: Pilot[Any]) -> None:
    """Wait until the chat's backend was built (or failed to build)."""
    screen = chat(pilot)
    with suppress(Exception):
        await screen.slot.wait()
    await pilot.pause()


async def send(pilot: Pilot[Any], text: str) -> AssistantMessage:
    """Type ``text`` into the prompt, press Enter, return the reply's widget once it exists."""
    screen = chat(pilot)
    before = len(screen.query(AssistantMessage))
    prompt = screen.query_one(PromptInput)
    prompt.insert(text)
    await pilot.press("enter")
    for _ in range(200):
        views = screen.query(AssistantMessage)
        if len(views) > before:
            return views.last()
        await pilot.pause()
    raise AssertionError("the reply widget never appeared")


async def reply_done(pilot: Pilot[Any]) -> None:
    """Wait for the reply worker to end (finished, failed or cancelled), then for the screen."""
    worker = chat(pilot).worker
    assert worker is not None
    with suppress(WorkerCancelled, WorkerFailed):
        await worker.wait()
    await pilot.pause()


async def until(pilot: Pilot[Any], condition: Callable[[], bool], limit: int = 3000) -> None:
    """Let the app run until ``condition()`` holds (fails after ``limit`` idle rounds)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")


async def until_shown(pilot: Pilot[Any], screen_type: type, selector: str) -> None:
    """Wait until ``screen_type`` is the current screen and ``selector`` is mounted in it.

    A pushed screen becomes current before its children are mounted, so waiting for the
    screen alone races the query that follows.
    """
    app = pilot.app
    await until(
        pilot, lambda: isinstance(app.screen, screen_type) and bool(app.screen.query(selector))
    )


def screen_text(pilot: Pilot[Any]) -> str:
    """What the terminal shows now, as plain text lines."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def key_now(pilot: Pilot[Any], key: str) -> None:
    """Send a key the way the terminal driver does, without waiting for the app to go idle.

    ``pilot.press`` waits for the CPU to go quiet, which a model decoding never lets happen.
    """
    pilot.app.post_message(events.Key(key, None))


async def send_now(pilot: Pilot[Any], text: str) -> AssistantMessage:
    """Like ``send``, but without waiting for idle (for replies that decode in real time)."""
    screen = chat(pilot)
    before = len(screen.query(AssistantMessage))
    screen.query_one(PromptInput).insert(text)
    key_now(pilot, "enter")
    await until(pilot, lambda: len(screen.query(AssistantMessage)) > before)
    return screen.query(AssistantMessage).last()
