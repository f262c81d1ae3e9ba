"""Turn a conversation into prompt token ids, opening the assistant turn in the right mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backends.local.formats import flag_system, open_turn
from backends.local.loader import LoadedModel
from backends.request import Message


@dataclass(frozen=True, slots=True)
class Prompt:
    """Prompt token ids; ``thinking`` = the assistant turn starts inside a thinking block."""

    tokens: list[int]
    thinking: bool
    text: str


def build_prompt(model: LoadedModel, messages: Sequence[Message], think: bool) -> Prompt:
    """Render ``messages`` with the model's chat formatter and tokenize the result.

    The model's thinking format decides how ``think`` reaches the prompt: a template kwarg
    (Qwen3's ``enable_thinking``), a system-prompt flag (SmolLM3's ``/think``), or text after
    the rendered prompt (a ``<think>`` prefill, harmony's analysis or final channel); see
    ``formats.open_turn``. Past assistant turns carry their answer only: reasoning templates
    drop old thinking too.
    """
    tags = model.tags
    chat = flag_system([{"role": m.role, "content": m.text} for m in messages], tags.format, think)
    result = model.formatter(messages=chat, **tags.format.template_kwargs(think))
    text, thinking = open_turn(result.prompt, tags, think)
    tokens = model.tokenize(text, add_bos=not result.added_special)
    return Prompt(tokens, thinking, text)
