"""Scripted family GGUFs (tests/support/family_gguf.py) and what forcing looks like in each."""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from backends.local.backend import LocalBackend
from tests.local.conftest import MakeBackend
from tests.support.family_gguf import write_family_gguf

HARMONY_CLOSE = ["<|end|>", "<|start|>", "assistant", "<|channel|>", "final", "<|message|>"]
CHAIN = list(string.ascii_letters)  # harmony thinks a, b, c, …: its answer repeats the chain


@dataclass(frozen=True)
class Case:
    """One family: the scripts that make its tiny model think and answer, and what to expect."""

    family: str
    fmt: str  # Capabilities.thinking_format
    eot: str
    close: list[str]  # the model's own closing tag, as token texts
    forced: list[str]  # what ponder forces after " ok"-style thinking, as token texts
    open_last: str  # last token of a prompt that opens thinking

    @property
    def harmony(self) -> bool:
        return self.fmt == "harmony"

    def forever(self) -> dict[str, str]:
        """Thinks until forced; then answers and ends its turn."""
        if self.harmony:
            chain = ["<|message|>", *CHAIN, "<|return|>"]
            return dict(itertools.pairwise(chain))
        return {"\n": " ok", " ok": " ok", "\n\n": "Yes", "Yes": self.eot}

    def closes_early(self) -> dict[str, str]:
        """Thinks "A", "B", then closes its thinking itself; "Wait" starts over."""
        seq = ["A", "B", *self.close]
        script = dict(itertools.pairwise(seq))
        script |= {self.open_last: "A", "Wait": "A"}
        if self.harmony:
            return script | {"<|end|>": "<|return|>"}
        return script | {seq[-1]: "\n\n", "\n\n": "Yes", "Yes": self.eot}

    def answers_at_once(self) -> dict[str, str]:
        """After any prompt, says "Yes" and ends its turn."""
        opener = "<|message|>" if self.harmony else "\n"
        return {opener: "Yes", "\n\n": "Yes", "Yes": self.eot}


TAGS_FORCED = ["\n", "</think>", "\n\n"]
CASES = [
    Case("r1", "r1", "<｜end▁of▁sentence｜>", ["</think>"], TAGS_FORCED, "\n"),
    Case(
        "r1-plain",
        "r1",
        "<｜end▁of▁sentence｜>",
        ["</", "think", ">"],
        ["\n", "</", "think", ">", "\n\n"],
        "\n",
    ),
    Case("qwen3", "qwen3", "<|im_end|>", ["</think>"], TAGS_FORCED, "\n"),
    Case("smollm3", "smollm3", "<|im_end|>", ["</think>"], TAGS_FORCED, "\n"),
    Case("harmony", "harmony", "<|return|>", ["<|end|>"], HARMONY_CLOSE, "<|message|>"),
]


@pytest.fixture(params=CASES, ids=[c.family for c in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


Scripted = Callable[..., LocalBackend]


@pytest.fixture
def scripted(make_backend: MakeBackend, tmp_path: Path) -> Scripted:
    """A backend on ``case.family``'s tiny model following ``script``."""
    count = [0]

    def build(case: Case, script: dict[str, str], **options: object) -> LocalBackend:
        count[0] += 1
        path = tmp_path / f"{case.family}-{count[0]}.gguf"
        write_family_gguf(path, case.family, script)
        return make_backend(path, **options)

    return build
