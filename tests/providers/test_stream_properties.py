"""Property tests: every recorded stream split anywhere and corrupted anywhere.

For each stream: splitting the body at arbitrary byte offsets changes nothing; after damage at one
offset (bytes replaced, inserted, deleted, or the body cut there), or one event whose JSON is
valid but has a value swapped or a key removed, the parser raises nothing but ``MalformedEvent``
(skipped and counted), keeps all thinking and text from before the damage, and never duplicates
text. Text is checked against the fixture's own deltas, read without the parser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.remote.anthropic import AnthropicWire
from backends.remote.gemini import GeminiWire
from backends.remote.ollama import OllamaWire
from backends.remote.openai_responses import ResponsesWire
from backends.remote.wire import StreamParser, WireFormat
from tests.providers.support import (
    Run,
    fixture,
    ndjson_frames,
    raw_events,
    request,
    run,
    sse_frames,
)
from tests.providers.test_ollama import documented


def anthropic_text(event: dict) -> list[str]:
    delta = event.get("delta") or {}
    return [delta["text"]] if delta.get("type") == "text_delta" and delta["text"] else []


def gemini_text(event: dict) -> list[str]:
    parts = event["candidates"][0]["content"]["parts"]
    return [p["text"] for p in parts if p.get("text") and not p.get("thought")]


def responses_text(event: dict) -> list[str]:
    return [event["delta"]] if event.get("type") == "response.output_text.delta" else []


def ollama_text(line: dict) -> list[str]:
    return [line["message"]["content"]] if line.get("message", {}).get("content") else []


@dataclass(frozen=True)
class Stream:
    name: str
    body: bytes
    parser: Callable[[], StreamParser]
    text_of: Callable[[dict], list[str]]
    ndjson: bool = False

    def frames(self, body: bytes, cuts: list[int] | None = None) -> list[tuple[str, str | None]]:
        return ndjson_frames(body, cuts) if self.ndjson else sse_frames(body, cuts)

    def run(self, body: bytes, cuts: list[int] | None = None) -> Run:
        return run(self.parser(), self.frames(body, cuts))

    def expected_deltas(self) -> list[str]:
        """The answer deltas the fixture holds, read without the parser under test."""
        lines = self.body.decode().splitlines()
        events = [json.loads(line) for line in lines if line] if self.ndjson else None
        return [t for event in events or raw_events(self.body) for t in self.text_of(event)]


def recorded(name: str, wire: WireFormat, text_of: Callable[[dict], list[str]]) -> Stream:
    return Stream(name, fixture(name)[0], lambda: wire.parser(request("hi", budget=2000)), text_of)


CLAUDE, FLASH, PRO3 = "claude-sonnet-4-20250514", "gemini-2.5-flash", "gemini-3-pro-preview"
STREAMS = [
    recorded("anthropic_sonnet4_thinking_tools.turn1", AnthropicWire(CLAUDE), anthropic_text),
    recorded("anthropic_sonnet4_thinking_tools.turn2", AnthropicWire(CLAUDE), anthropic_text),
    recorded("gemini25flash_thinking.turn1", GeminiWire(FLASH), gemini_text),
    recorded("gemini25flash_thinking.turn2", GeminiWire(FLASH), gemini_text),
    recorded("gemini3pro_thinking_level.turn1", GeminiWire(PRO3), gemini_text),
    recorded("gemini3pro_thinking_level.turn2", GeminiWire(PRO3), gemini_text),
    recorded("openai_responses_gpt5_summary.turn1", ResponsesWire("gpt-5"), responses_text),
    recorded("openai_responses_gpt5_summary.turn2", ResponsesWire("gpt-5"), responses_text),
    Stream(
        "ollama_documented",
        documented(),
        lambda: OllamaWire("qwen3").parser(request("hi")),
        ollama_text,
        ndjson=True,
    ),
]
IDS = [s.name for s in STREAMS]


@dataclass(frozen=True)
class Damage:
    kind: str  # replace | insert | delete | cut
    at: int
    garbage: bytes
    length: int

    def apply(self, body: bytes) -> bytes:
        head = body[: self.at]
        if self.kind == "replace":
            return head + self.garbage + body[self.at + self.length :]
        if self.kind == "insert":
            return head + self.garbage + body[self.at :]
        if self.kind == "delete":
            return head + body[self.at + self.length :]
        return head


def damages(size: int) -> st.SearchStrategy[Damage]:
    garbage = st.one_of(
        st.binary(min_size=1, max_size=16),
        st.sampled_from(
            [
                b"\n\n",
                b"\r\n\r\n",
                b"data: {",
                b'data: {"type": 7}\n\n',
                b"}\n",
                b"event: error\n",
                b"\xff\xfe",
                b'"',
                b"\n",
            ]
        ),
    )
    return st.builds(
        Damage,
        kind=st.sampled_from(["replace", "insert", "delete", "cut"]),
        at=st.integers(0, size - 1),
        garbage=garbage,
        length=st.integers(1, 64),
    )


def unmatched(clean: list[str], got: list[str]) -> int:
    """Deltas of ``got`` that are not the next ones of ``clean`` in order (each used once)."""
    position, foreign = 0, 0
    for delta in got:
        try:
            position = clean.index(delta, position) + 1
        except ValueError:
            foreign += 1
    return foreign


@pytest.mark.parametrize("stream", STREAMS, ids=IDS)
def test_clean_streams_carry_exactly_the_recorded_text(stream: Stream) -> None:
    clean = stream.run(stream.body)
    assert clean.text_deltas == stream.expected_deltas()
    assert clean.skipped == 0 and clean.end.stop_reason is not None


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("stream", STREAMS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_split_and_corrupted_bytes(stream: Stream, data: st.DataObject) -> None:
    body, expected = stream.body, stream.expected_deltas()
    clean = stream.run(body)
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=12), label="cuts")
    split = stream.run(body, cuts)
    assert (split.thinking, split.text, split.skipped) == (clean.thinking, clean.text, 0)
    assert split.end.usage == clean.end.usage

    damage = data.draw(damages(len(body)), label="damage")
    broken = stream.run(damage.apply(body), cuts)  # raises if anything but MalformedEvent
    intact = body[: damage.at]
    if stream.ndjson:  # a line counts once its newline arrived
        intact = intact[: intact.rfind(b"\n") + 1]
    before = stream.run(intact)
    assert broken.text.startswith(before.text)
    assert broken.thinking.startswith(before.thinking)
    assert unmatched(expected, broken.text_deltas) <= 3
    # Damage may turn thinking into answer text (a "thought" key garbled) but never adds any.
    output = len(broken.text) + len(broken.thinking)
    assert output <= len(clean.text) + len(clean.thinking) + len(damage.garbage)


JSON_VALUES = st.sampled_from([None, 0, -1, 1.5, "", "x", [], {}, True, [1], {"type": None}])


def mutate(value: Any, data: st.DataObject) -> Any:
    """``value`` with one node replaced by another JSON value, or one key removed."""
    children = (
        list(value.items())
        if isinstance(value, dict)
        else list(enumerate(value))
        if isinstance(value, list)
        else []
    )
    if not children or data.draw(st.integers(0, 3), label="stop here") == 0:
        return data.draw(JSON_VALUES, label="new value")
    key, child = data.draw(st.sampled_from(children), label="into")
    copy = dict(value) if isinstance(value, dict) else list(value)
    if isinstance(copy, dict) and data.draw(st.booleans(), label="delete key"):
        del copy[key]
    else:
        copy[key] = mutate(child, data)
    return copy


@pytest.mark.parametrize("stream", STREAMS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_valid_json_with_wrong_shapes(stream: Stream, data: st.DataObject) -> None:
    frames = stream.frames(stream.body)
    k = data.draw(st.integers(0, len(frames) - 1), label="event")
    payload, name = frames[k]
    frames[k] = (json.dumps(mutate(json.loads(payload), data)), name)
    broken = run(stream.parser(), frames)  # raises if anything but MalformedEvent
    before = run(stream.parser(), frames[:k])
    assert broken.text.startswith(before.text)
    assert broken.thinking.startswith(before.thinking)
    expected = stream.expected_deltas()
    assert unmatched(expected, broken.text_deltas) <= 2
