"""What the chat screen is given (attributes down): settings and the injected dependencies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backends.config import Settings
from backends.errors import PonderError
from backends.pricing import PriceBook

if TYPE_CHECKING:
    from backends.base import Backend
    from backends.pool import BackendFactory

Availability = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class ChatServices:
    """Dependencies of the chat, built by ``make_app`` (tests inject scripted ones).

    ``backend_factory(name_or_spec)`` builds a backend (may be slow: it runs in a thread);
    ``availability(name)`` says whether a configured backend is usable (``None``) or why not;
    ``clock`` feeds the meters; ``tick_s`` is how often streaming text and meters are redrawn.
    ``background_delay_s``: how long after the first frame the backend is built, its model
    loaded and the history opened (their imports hold the interpreter for a while: keys typed
    at the new prompt are handled first).
    """

    settings: Settings
    backend_factory: BackendFactory
    availability: Availability
    prices: PriceBook
    backend_name: str
    clock: Callable[[], float] = time.monotonic
    tick_s: float = 0.1
    keymap: dict[str, str] = field(default_factory=dict)
    background_delay_s: float = 0.0


class BackendSlot:
    """The backend in use: built off the event loop (imports can be slow), then ready or failed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.backend: Backend | None = None
        self.error: PonderError | None = None
        self.reported_model = ""  # the model the server said it used (for a ``default`` one)
        self._done = asyncio.Event()

    @property
    def settled(self) -> bool:
        """True once the backend was built or failed to build."""
        return self._done.is_set()

    async def build(self, factory: BackendFactory) -> None:
        """Build the backend in a thread; a ``PonderError`` is kept to show on the next message."""
        try:
            self.backend = await asyncio.to_thread(factory, self.name)
        except PonderError as exc:
            self.error = exc
        except Exception as exc:  # a bug in a backend's constructor must not kill the chat
            self.error = PonderError(
                f"building backend '{self.name}' failed: {type(exc).__name__}: {exc}",
                "check the backend's configuration; if it looks right, this is a bug",
            )
        finally:
            self._done.set()

    async def wait(self) -> Backend:
        """The backend once built; raises the ``PonderError`` that stopped it from building."""
        await self._done.wait()
        if self.error is not None:
            raise self.error
        assert self.backend is not None
        return self.backend
