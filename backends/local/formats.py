"""The thinking formats local models speak, and how to tell which one a GGUF uses.

A reasoning model marks its thinking in one of a few ways, and budget forcing must speak the
model's own way or the model sees text it was never trained on:

* ``r1``: ``<think>…</think>`` tags; DeepSeek-R1-Distill templates open the block themselves.
* ``qwen3``: the same tags, switched on and off by the template's ``enable_thinking`` kwarg;
  off renders the template's own empty block (``<think>\\n\\n</think>\\n\\n``).
* ``smollm3``: the same tags, switched by ``/think`` or ``/no_think`` in the system prompt.
* ``harmony`` (gpt-oss): the ``analysis`` channel is thinking; it is closed by ending that
  message and starting the ``final`` channel, which holds the answer.
* ``prompted``: a model with no thinking of its own (the embedded SmolLM2): ponder opens a
  ``<think>`` block for it and forces the close, but the model was not trained to reason.

Detection is pure: it reads the chat template, the GGUF metadata and the vocabulary (through a
tokenize function and a special-token test), so it runs on a loaded model or on a file header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from backends.answer_room import NATIVE_START, largest_budget
from backends.local.forcing import closing_text

Tokenize = Callable[[str], Sequence[int]]
IsSpecial = Callable[[int], bool]

HARMONY_ANALYSIS = "<|channel|>analysis<|message|>"
HARMONY_FINAL = "<|channel|>final<|message|>"
HARMONY_END = "<|end|>"
HARMONY_NEXT = "<|start|>assistant" + HARMONY_FINAL

PROMPTED_OFF_HINT = (
    "thinking is off: this model was not trained to reason; {how} to see prompted thinking"
)
"""The one-line hint shown when a prompted model starts with thinking off; ``how`` names the
control (``--budget 256``, ``ctrl+up``)."""


@dataclass(frozen=True, slots=True)
class ThinkingFormat:
    """How one family of models thinks, and how a prompt switches that on or off.

    ``open`` starts a thinking block and ``close`` is what the model writes to end it.
    ``answer_header`` is forced right after a close so the answer starts where the model expects
    (harmony: a new message on the final channel). ``on_kwargs``/``off_kwargs`` go to the chat
    template; ``on_flag``/``off_flag`` go into the system prompt; ``off_block`` is appended to
    the prompt for "no thinking" when the template did not write one itself.
    """

    name: str
    open: str
    close: str
    native: bool
    answer_header: str = ""
    on_kwargs: Mapping[str, Any] = field(default_factory=dict)
    off_kwargs: Mapping[str, Any] = field(default_factory=dict)
    on_flag: str = ""
    off_flag: str = ""
    off_block: str = ""

    @property
    def tagged(self) -> bool:
        """Thinking is delimited by text tags (``<think>``), not by harmony channels."""
        return not self.answer_header

    def forced_close(self, pending: str, tail: str) -> str:
        """The text that ends thinking when ponder closes it (the budget, stop now)."""
        if not self.tagged:
            return self.close + self.answer_header
        return closing_text(self.close, pending, tail)

    def template_kwargs(self, think: bool) -> dict[str, Any]:
        return dict(self.on_kwargs if think else self.off_kwargs)


R1 = ThinkingFormat("r1", "<think>", "</think>", native=True, off_block="<think>\n\n</think>\n\n")
QWEN3 = replace(
    R1,
    name="qwen3",
    on_kwargs={"enable_thinking": True},
    off_kwargs={"enable_thinking": False},
)
SMOLLM3 = replace(R1, name="smollm3", on_flag="/think", off_flag="/no_think")
HARMONY = ThinkingFormat(
    "harmony",
    HARMONY_ANALYSIS,
    HARMONY_END,
    native=True,
    answer_header=HARMONY_NEXT,
    off_block=HARMONY_FINAL,
)
PROMPTED = ThinkingFormat("prompted", "<think>", "</think>", native=False)

FORMATS = {f.name: f for f in (R1, QWEN3, SMOLLM3, HARMONY, PROMPTED)}


@dataclass(frozen=True, slots=True)
class ThinkTags:
    """How this model marks its thinking, resolved against its vocabulary.

    ``open_id``/``close_id`` are set when the vocabulary has the tag as one special token (then
    the decoder matches ids, not text). ``prefill`` is what opens the assistant turn in thinking
    mode when the template did not ("" = never think).
    """

    open: str
    close: str
    prefill: str
    open_id: int | None = None
    close_id: int | None = None
    format: ThinkingFormat = PROMPTED

    @property
    def can_think(self) -> bool:
        """An empty prefill means "never think" (reasoning templates then get an empty block)."""
        return bool(self.prefill)

    @property
    def in_template(self) -> bool:
        """A model trained to think (its template or vocabulary knows the tags)."""
        return self.format.native

    @property
    def answer_header(self) -> str:
        """Forced after the model closes its thinking itself (harmony's final channel)."""
        return self.format.answer_header

    def closing_text(self, pending: str, tail: str) -> str:
        """What to force to end thinking, completing a tag the model had begun."""
        return self.format.forced_close(pending, tail)


def detect_format(
    template: str,
    metadata: Mapping[str, Any],
    tokenize: Tokenize,
    is_special: IsSpecial,
    think_open: str = "<think>",
    think_close: str = "</think>",
) -> ThinkingFormat:
    """The thinking format of a model, from its chat template first, then metadata and vocab."""
    arch = str(metadata.get("general.architecture", "")).lower()
    if HARMONY_ANALYSIS in template or (HARMONY_FINAL in template and HARMONY_END in template):
        return HARMONY
    if arch == "gpt-oss" and single_special(tokenize, is_special, HARMONY_END) is not None:
        return HARMONY
    if "/no_think" in template and "/think" in template:
        return _with_tags(SMOLLM3, think_open, think_close)
    if "enable_thinking" in template:
        return _with_tags(QWEN3, think_open, think_close)
    if think_close in template:
        return _with_tags(R1, think_open, think_close)
    opens = single_special(tokenize, is_special, think_open)
    closes = single_special(tokenize, is_special, think_close)
    if opens is not None and closes is not None:  # trained on the tags (Phi-4-mini-reasoning)
        return _with_tags(R1, think_open, think_close)
    return _with_tags(PROMPTED, think_open, think_close)


def _with_tags(fmt: ThinkingFormat, think_open: str, think_close: str) -> ThinkingFormat:
    """A tag format with the configured tags (the defaults leave it unchanged)."""
    if (think_open, think_close) == (fmt.open, fmt.close):
        return fmt
    off = f"{think_open}\n\n{think_close}\n\n" if fmt.off_block else ""
    return replace(fmt, open=think_open, close=think_close, off_block=off)


def resolve_tags(
    fmt: ThinkingFormat, tokenize: Tokenize, is_special: IsSpecial, prefill: str | None = None
) -> ThinkTags:
    """The format's tags as this vocabulary holds them; ``prefill`` None = open + newline."""
    if prefill is None:
        prefill = fmt.open + ("\n" if fmt.tagged else "")
    return ThinkTags(
        open=fmt.open,
        close=fmt.close,
        prefill=prefill,
        open_id=single_special(tokenize, is_special, fmt.open),
        close_id=single_special(tokenize, is_special, fmt.close),
        format=fmt,
    )


def detect_tags(
    template: str,
    metadata: Mapping[str, Any],
    tokenize: Tokenize,
    is_special: IsSpecial,
    *,
    think_open: str = "<think>",
    think_close: str = "</think>",
    prefill: str | None = None,
) -> ThinkTags:
    """Detect the format and resolve its tags in one go (what the loader calls)."""
    fmt = detect_format(template, metadata, tokenize, is_special, think_open, think_close)
    return resolve_tags(fmt, tokenize, is_special, prefill)


def single_special(tokenize: Tokenize, is_special: IsSpecial, text: str) -> int | None:
    """The id of ``text`` when the vocabulary holds it as one special token, else None."""
    ids = list(tokenize(text)) if text else []
    if len(ids) != 1:
        return None
    return ids[0] if is_special(ids[0]) else None


# ---- prompts -----------------------------------------------------------------------------


def flag_system(chat: list[dict[str, str]], fmt: ThinkingFormat, think: bool) -> list[dict]:
    """``chat`` with the format's system-prompt switch (SmolLM3's ``/think``/``/no_think``).

    Flags the user typed are replaced by ours, so the budget decides. Other formats: unchanged.
    """
    flag = fmt.on_flag if think else fmt.off_flag
    if not flag:
        return chat
    chat = [dict(m) for m in chat]
    if chat and chat[0]["role"] == "system":
        # "/no_think" goes first: it contains "/think".
        text = chat[0]["content"].replace(fmt.off_flag, "").replace(fmt.on_flag, "").rstrip()
        chat[0]["content"] = f"{text} {flag}".lstrip()
    else:
        chat.insert(0, {"role": "system", "content": flag})
    return chat


def open_turn(text: str, tags: ThinkTags, think: bool) -> tuple[str, bool]:
    """(prompt text, starts inside thinking) for a rendered prompt.

    With ``think`` the turn opens in thinking mode: the template's own opening when it wrote
    one, else the prefill. Without it, a model trained to think gets an empty block (or, for
    harmony, the final channel) unless the template wrote one; a prompted model gets the plain
    prompt.
    """
    fmt = tags.format
    stripped = text.rstrip()
    opened = stripped.endswith(tags.open)
    if think and tags.can_think:
        return (text if opened else text + tags.prefill), True
    if not fmt.native:
        return text, False
    if stripped.endswith(tags.close) or text.endswith(HARMONY_FINAL):
        return text, False  # the template wrote its own empty block
    if not fmt.tagged:
        return text + fmt.off_block, False
    if opened:  # the template opened thinking (R1): close it at once, as Qwen3's own block
        return stripped + "\n\n" + tags.close + "\n\n", False
    return text + (fmt.off_block or f"{tags.open}\n\n{tags.close}\n\n"), False


# ---- defaults ----------------------------------------------------------------------------


def suggested_budget(
    format_name: str | None, steps: Sequence[int | str], output_cap: int | None
) -> int | None:
    """Where the budget starts for a model: 0 (off) for prompted thinking; for a native
    reasoning model the largest configured step up to ``NATIVE_START`` that still leaves room
    for an answer (``None`` = auto when no step fits and nothing caps the output)."""
    if format_name is None or format_name == PROMPTED.name:
        return 0
    room = largest_budget(output_cap, None)
    cap = NATIVE_START if room is None else min(NATIVE_START, room)
    fitting = [s for s in steps if isinstance(s, int) and 0 < s <= cap]
    if fitting:
        return max(fitting)
    return None if room is None else cap
