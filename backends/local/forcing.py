"""Budget forcing (s1, arXiv 2501.19393): the decisions, separate from the decoding loop.

The decoder asks ``decide`` about every token it samples while the model is thinking. The
answer depends only on the live budget (re-read each time) and on how many thinking tokens the
context holds, so the rules can be read, and tested, on their own:

* stop requested, or the budget reached -> force the closing tag and generate the answer;
* the budget lowered below what was spent -> roll the context back to the new cap, then close;
* the model ends its thinking (closing tag or end of turn) before the minimum -> strip that and
  append "Wait" (extend);
* otherwise keep the token.

``CloseMatcher`` finds a closing tag that arrives as several tokens (``</`` ``think`` ``>``),
holding back a possible partial tag so that no tag text is ever shown as thinking.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from backends.budget import BudgetSnapshot


class Action(Enum):
    """What to do with a token sampled while thinking."""

    KEEP = "keep"  # a thinking token
    CLOSE = "close"  # force the closing text now (the sampled token is dropped)
    ROLLBACK = "rollback"  # cut the thinking to the budget, then force the close
    EXTEND = "extend"  # the model tried to stop early: drop its stop, append "Wait"
    ACCEPT_CLOSE = "accept_close"  # the model closed its thinking itself; fine


class Ending(Enum):
    """How the sampled token relates to the end of thinking."""

    NONE = "none"  # an ordinary token
    CLOSE = "close"  # it completes the closing tag
    END_OF_TURN = "eog"  # an end-of-generation token while still thinking


def decide(snap: BudgetSnapshot, spent: int, ending: Ending = Ending.NONE, extend_cost: int = 1):
    """The action for a token sampled with ``spent`` thinking tokens already in the context.

    ``spent`` counts thinking tokens before this one. ``extend_cost`` is the number of tokens an
    extension adds, so an extension never pushes the thinking past the budget.
    """
    if snap.stop_requested:
        return Action.CLOSE
    if snap.limit is not None and spent > snap.limit:
        return Action.ROLLBACK
    if snap.limit is not None and spent >= snap.limit:
        return Action.CLOSE
    if ending is Ending.NONE:
        return Action.KEEP
    if wants_more(snap, spent, extend_cost):
        return Action.EXTEND
    return Action.ACCEPT_CLOSE if ending is Ending.CLOSE else Action.CLOSE


def wants_more(snap: BudgetSnapshot, spent: int, extend_cost: int = 1) -> bool:
    """Below the minimum, and an extension still fits under the budget."""
    if snap.stop_requested or spent >= snap.minimum:
        return False
    return snap.limit is None or spent + extend_cost <= snap.limit


def reached(snap: BudgetSnapshot, spent: int) -> bool:
    """After keeping a token: is the budget now used up (close before evaluating further)?"""
    return snap.stop_requested or (snap.limit is not None and spent >= snap.limit)


@dataclass(frozen=True, slots=True)
class TagHit:
    """A closing tag completed by the latest token.

    ``before`` is thinking text that precedes the tag (not yet shown) and ``after`` is text that
    follows it in the same token. ``start_token`` is the context index of the first token that
    held tag text (or held-back text before it), and ``prefix`` the text of the tokens from
    there on that precedes the tag: what must be put back if the tag is stripped.
    """

    before: str
    after: str
    start_token: int
    prefix: str


class CloseMatcher:
    """Finds a closing tag in the thinking text, token by token."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.pending = ""  # held back: could be the start of the tag
        self._pending_token = -1  # context index of the token where ``pending`` starts
        self._pending_prefix = ""  # text of that token before ``pending`` (already shown)

    def feed(self, text: str, token_index: int) -> tuple[str, TagHit | None]:
        """Consume one token's text: (text safe to show now, the tag hit if completed)."""
        buf = self.pending + text
        index = buf.find(self.tag)
        if index >= 0:
            if self.pending:
                start, prefix = self._pending_token, self._pending_prefix + buf[:index]
            else:
                start, prefix = token_index, text[:index]
            hit = TagHit(buf[:index], buf[index + len(self.tag) :], start, prefix)
            self.reset()
            return "", hit
        keep = partial_suffix(buf, self.tag)
        if keep > len(text) and self.pending:
            offset = len(buf) - keep  # the new pending starts inside the old one
            self._pending_prefix += self.pending[:offset]
        elif keep:
            self._pending_token = token_index
            self._pending_prefix = text[: len(text) - keep]
        self.pending = buf[len(buf) - keep :]
        return buf[: len(buf) - keep], None

    def reset(self) -> None:
        self.pending = ""
        self._pending_token = -1
        self._pending_prefix = ""


def partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of two strings."""
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def closing_text(tag: str, pending: str, tail: str) -> str:
    """The text to force to end thinking.

    When the model had started the tag (``pending`` is a prefix of it), complete that tag;
    otherwise put the tag on its own line. Either way a blank line follows, as reasoning models
    write it (``…\\n</think>\\n\\n``).
    """
    if pending and tag.startswith(pending):
        return tag[len(pending) :] + "\n\n"
    return ("" if tail in ("", "\n") else "\n") + tag + "\n\n"


def extension_text(extend: str, tail: str) -> str:
    """The text that extends thinking ("Wait" on a new line unless one was just begun)."""
    return (extend if tail in ("", "\n", " ") else "\n" + extend) if extend else ""


@dataclass(slots=True)
class Applied:
    """What the forcing did during one reply, for ``Finished.budget_applied``."""

    requested: str = "auto"
    forced_at: int | None = None
    stopped_at: int | None = None
    rolled_back_to: int | None = None
    extensions: int = 0
    closed_by_model_at: int | None = None
    end_of_turn_at: int | None = None
    no_thinking: str | None = None

    @property
    def forced(self) -> bool:
        """The thinking was closed by ponder, not by the model."""
        return any(
            x is not None
            for x in (self.forced_at, self.stopped_at, self.rolled_back_to, self.end_of_turn_at)
        )

    def describe(self) -> str:
        if self.no_thinking:
            return self.no_thinking
        parts: list[str] = []
        if self.extensions:
            parts.append(f"extended with Wait ×{self.extensions}")
        if self.rolled_back_to is not None:
            parts.append(f"rolled back to {self.rolled_back_to} and closed")
        elif self.stopped_at is not None:
            parts.append(f"stopped by request at {self.stopped_at}")
        elif self.forced_at is not None:
            parts.append(f"forced close at {self.forced_at}")
        elif self.end_of_turn_at is not None:
            parts.append(f"model ended its turn at {self.end_of_turn_at}; close forced")
        elif self.closed_by_model_at is not None:
            parts.append(f"model closed at {self.closed_by_model_at}")
        return f"budget {self.requested}: " + ("; ".join(parts) or "still thinking")
