"""Backends by name: each built once (in a worker thread where asked), closed by whoever built it.

Compare's columns, compare's screen, the eval runner and the eval screen all need the same
thing: backends looked up by a configured name or spec, built the first time (imports and
constructors may block, so the async path builds in a thread), shared by everything that asks
for the same name (columns of one local backend share its loaded model), and closed at the end
only if they were built here. A backend owned by someone else (the chat's) is ``borrow``-ed
and never closed; one built elsewhere and handed over is ``adopt``-ed and closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.base import Backend
    from backends.config import Settings

BackendFactory = Callable[[str], "Backend"]


def settings_factory(settings: Settings) -> BackendFactory:
    """A factory building configured names and specs with ``backends.registry.build_backend``."""
    from backends.registry import build_backend  # the kinds table: not on the chat's start path

    return lambda spec: build_backend(settings, spec)


class BackendPool:
    """Backends by name; ``aclose`` closes the ones built or adopted here, never borrowed ones.

    ``factory`` builds a backend from a name and raises ``PonderError`` (``ConfigError`` for a
    bad name or spec); a pool without one only holds what it is given.
    """

    def __init__(self, factory: BackendFactory | None = None) -> None:
        self.factory = factory
        self.backends: dict[str, Backend] = {}
        self._owned: list[Backend] = []  # closed by aclose
        self._lock = asyncio.Lock()  # two columns asking for one name get one backend

    @classmethod
    def for_settings(cls, settings: Settings) -> BackendPool:
        """A pool building what ``settings`` names (see ``settings_factory``)."""
        return cls(settings_factory(settings))

    def holds(self, backend: Backend) -> bool:
        """Is ``backend`` (this very object) in the pool, borrowed or owned?"""
        return any(b is backend for b in (*self.backends.values(), *self._owned))

    def borrow(self, name: str, backend: Backend) -> None:
        """Use ``backend`` (owned by someone else) for ``name``; it is never closed here."""
        self.backends[name] = backend

    def adopt(self, backend: Backend, name: str | None = None) -> None:
        """Take ``backend`` (built elsewhere) into the pool: ``aclose`` closes it. Nothing
        happens for a backend the pool already holds."""
        if self.holds(backend):
            return
        self._owned.append(backend)
        if name is not None:
            self.backends.setdefault(name, backend)

    def build(self, name: str) -> Backend:
        """The backend for ``name``, built here (in this thread) the first time."""
        backend = self.backends.get(name)
        if backend is None:
            backend = self._made(name, self._factory()(name))
        return backend

    async def get(self, name: str) -> Backend:
        """The backend for ``name``, built in a worker thread the first time."""
        async with self._lock:
            backend = self.backends.get(name)
            if backend is None:
                backend = self._made(name, await asyncio.to_thread(self._factory(), name))
            return backend

    async def get_all(self, names: Iterable[str]) -> list[Backend]:
        """``get`` each name in turn (one build at a time: builds compete for the same CPU)."""
        return [await self.get(name) for name in names]

    def name_of(self, backend: Backend) -> str:
        """The name ``backend`` was got by (its own name if it came from elsewhere)."""
        return next((n for n, b in self.backends.items() if b is backend), backend.name)

    async def aclose(self, keep: Backend | None = None) -> None:
        """Close every backend built or adopted here except ``keep`` (handed on to someone
        else, who now owns it). Best effort: a backend that fails to close is skipped. Safe to
        call twice; the pool forgets what it closed."""
        owned, self._owned = self._owned, []
        for backend in owned:
            if backend is keep:
                continue
            with suppress(Exception):
                await backend.aclose()
        self.backends = {n: b for n, b in self.backends.items() if not any(b is o for o in owned)}

    def _factory(self) -> BackendFactory:
        if self.factory is None:
            raise RuntimeError("this pool builds nothing: borrow or adopt backends instead")
        return self.factory

    def _made(self, name: str, backend: Backend) -> Backend:
        self.backends[name] = backend
        self._owned.append(backend)
        return backend
