"""One backend pool: built once per name (in a thread on the async path), closed only if built
or adopted here; borrowed backends are never closed."""

from __future__ import annotations

import asyncio
import threading

import pytest

from backends.config import Settings
from backends.errors import ConfigError
from backends.pool import BackendPool
from tests.tui.scripted import ScriptedBackend


class Factory:
    """Builds scripted backends by name, remembering which thread built each."""

    def __init__(self) -> None:
        self.built: list[ScriptedBackend] = []
        self.threads: list[int] = []

    def __call__(self, name: str) -> ScriptedBackend:
        if name == "bad":
            raise ConfigError("unknown backend 'bad'", "fix it")
        self.threads.append(threading.get_ident())
        backend = ScriptedBackend(name=name)
        self.built.append(backend)
        return backend


async def test_one_backend_per_name_built_in_a_thread_and_closed_by_the_pool() -> None:
    factory = Factory()
    pool = BackendPool(factory)
    first, again = await asyncio.gather(pool.get("a"), pool.get("a"))
    assert first is again and len(factory.built) == 1
    assert factory.threads != [threading.get_ident()]  # not on the event loop's thread
    assert pool.build("a") is first
    other = pool.build("b")
    assert pool.name_of(other) == "b"
    await pool.aclose()
    assert isinstance(first, ScriptedBackend) and isinstance(other, ScriptedBackend)
    assert first.closed and other.closed
    assert pool.backends == {}
    await pool.aclose()  # twice is fine


async def test_borrowed_backends_stay_open_and_keep_is_handed_on() -> None:
    pool = BackendPool(Factory())
    chat = ScriptedBackend(name="chat")
    pool.borrow("chat", chat)
    assert await pool.get("chat") is chat
    kept, dropped = await pool.get_all(["x", "y"])
    pool.adopt(chat)  # already held (borrowed): still not the pool's to close
    await pool.aclose(keep=kept)
    assert isinstance(kept, ScriptedBackend) and isinstance(dropped, ScriptedBackend)
    assert not chat.closed and not kept.closed and dropped.closed


async def test_adopted_backends_are_closed_and_a_pool_without_factory_builds_nothing() -> None:
    pool = BackendPool()
    handed = ScriptedBackend(name="h")
    pool.adopt(handed)
    pool.adopt(handed)
    with pytest.raises(RuntimeError, match="builds nothing"):
        pool.build("h")
    await pool.aclose()
    assert handed.closed


async def test_a_failed_build_raises_and_leaves_nothing_behind() -> None:
    pool = BackendPool(Factory())
    with pytest.raises(ConfigError, match="unknown backend 'bad'"):
        await pool.get("bad")
    assert pool.backends == {}


def test_for_settings_builds_specs_and_configured_names() -> None:
    pool = BackendPool.for_settings(Settings())
    backend = pool.build("openai-compat:http://127.0.0.1:9/v1")
    assert backend.kind == "openai-compat"
    with pytest.raises(ConfigError):
        pool.build("no-such-kind:model")
