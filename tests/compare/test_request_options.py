"""``RequestOptions`` travels whole: what compare is given is what every column's request holds."""

from __future__ import annotations

from backends.compare.column import Column
from backends.compare.session import CompareSession
from backends.events import Finished, StopReason, StreamEvent, TextDelta
from backends.request import ChatRequest, Message, RequestOptions
from tests.tui.scripted import ScriptedBackend, Step

REPLY: list[StreamEvent | Step] = [TextDelta("4"), Finished(stop_reason=StopReason.STOP)]


def test_a_request_reads_its_options_and_defaults_to_the_backends_own() -> None:
    plain = ChatRequest([Message("user", "hi")])
    assert plain.options == RequestOptions()
    assert (plain.max_tokens, plain.temperature, plain.seed) == (None, None, None)
    capped = ChatRequest([Message("user", "hi")], options=RequestOptions(64, 0.2, 9))
    assert (capped.max_tokens, capped.temperature, capped.seed) == (64, 0.2, 9)


async def test_every_column_gets_the_rounds_options_and_the_pool_closes_them() -> None:
    first, second = ScriptedBackend(REPLY, name="a"), ScriptedBackend(REPLY, name="b")
    session = CompareSession([Column(first), Column(second)])
    options = RequestOptions(max_tokens=7, temperature=0.5, seed=3)
    result = await session.ask("2+2?", options=options)
    assert [o.text for o in result.outcomes] == ["4", "4"]
    assert [b.requests[0].options for b in (first, second)] == [options, options]
    await session.ask("again?")  # no options: the backends' defaults
    assert first.requests[1].options == RequestOptions()
    await session.aclose()
    assert first.closed and second.closed
