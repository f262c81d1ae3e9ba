"""Turn a conversation into prompt token ids, opening the assistant turn in the right mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backends.base import Message
from backends.local.loader import LoadedModel


@dataclass(frozen=True, slots=True)
class Prompt:
    """Prompt token ids; ``thinking`` = the assistant turn starts inside a thinking block."""

    tokens: list[int]
    thinking: bool
    text: str


def build_prompt(model: LoadedModel, messages: Sequence[Message], think: bool) -> Prompt:
    """Render ``messages`` with the model's chat formatter and tokenize the result.

    With ``think`` the turn is opened in thinking mode: the template's own opening tag when it
    writes one, else the configured prefill. Without it, reasoning models get an empty thinking
    block (Qwen3's ``enable_thinking=False`` when the template takes it) so they answer at once;
    models that have no thinking mode get the plain prompt. Past assistant turns carry their
    answer only: reasoning templates drop old thinking too.
    """
    tags = model.tags
    chat = [{"role": m.role, "content": m.text} for m in messages]
    kwargs = {"enable_thinking": think} if tags.no_think_switch else {}
    result = model.formatter(messages=chat, **kwargs)
    text = result.prompt
    opened = text.rstrip().endswith(tags.open)
    thinking = False
    if think and tags.can_think:
        if not opened:
            text += tags.prefill
        thinking = True
    elif tags.in_template and not text.rstrip().endswith(tags.close):
        if not opened:
            text += tags.open
        text = text.rstrip() + "\n\n" + tags.close + "\n\n"
    tokens = model.tokenize(text, add_bos=not result.added_special)
    return Prompt(tokens, thinking, text)
