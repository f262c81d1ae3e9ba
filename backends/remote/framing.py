"""Framing of streamed HTTP bodies: SSE (via httpx-sse) or NDJSON, one message at a time.

SSE comments (``: keep-alive``, ``: OPENROUTER PROCESSING``, llama.cpp pings) are dropped here;
they still reset the transport's per-read stall timeout, which is all they are for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource, SSEError

from backends.errors import BadResponse, clip


async def frames(response: httpx.Response, framing: str) -> AsyncIterator[tuple[str, str | None]]:
    """(data, event name) per SSE event, or (line, None) per NDJSON line.

    Raises ``BadResponse`` when an SSE call did not get an event stream.
    """
    if framing == "ndjson":
        async for line in response.aiter_lines():
            if line.strip():
                yield line, None
        return
    try:
        async for sse in EventSource(response).aiter_sse():
            # httpx-sse reports a missing ``event:`` line as "message"; parsers get None then.
            name = None if sse.event == "message" else sse.event
            if sse.data or name:
                yield sse.data, name
    except SSEError as exc:
        body = clip((await response.aread()).decode("utf-8", "replace"), 200)
        raise BadResponse(f"expected an event stream: {exc}", f"the server sent: {body}") from None
