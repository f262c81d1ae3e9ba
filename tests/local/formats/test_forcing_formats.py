"""Budget forcing on every thinking format, on tiny scripted models with the real templates.

Each model follows a script (tests/support/family_gguf.py), so the counts are exact: budget N
keeps exactly N thinking tokens and then the format's own close (``</think>`` as one special
token or as several plain ones, or harmony's end of the analysis message and start of the final
channel). The backend runs in lock-step, so a budget change made after the Nth thinking delta
acts at the next token.
"""

from __future__ import annotations

from collections.abc import Callable

from backends.budget import Budget
from backends.events import ReasoningDelta, ReasoningRollback, StopReason, StreamEvent
from backends.local.backend import LocalBackend
from backends.local.prompt import build_prompt
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.formats.conftest import CHAIN, Case, Scripted
from tests.local.helpers import OnEvent, Reply, run

ASK = [Message("user", "Hi")]


def ids(backend: LocalBackend, texts: list[str]) -> list[int]:
    loaded = backend.loaded
    assert loaded is not None
    out = []
    for text in texts:
        [token] = loaded.tokenize(text)
        out.append(token)
    return out


def thought(backend: LocalBackend) -> tuple[list[int], list[int]]:
    """(the thinking tokens, the tokens from there to the end of thinking) of the last reply."""
    trace = backend.last_reply
    assert trace is not None and trace.think_start is not None and trace.think_end is not None
    body = list(trace.tokens[trace.think_start : trace.think_end])
    return body, list(trace.tokens[trace.think_end :])


def split_forced(case: Case, backend: LocalBackend) -> tuple[list[int], list[int]]:
    """(thinking tokens, forced closing tokens): the forced text ends the thinking span."""
    body, _ = thought(backend)
    n = len(case.forced)
    assert body[-n:] == ids(backend, case.forced), "the format's own close was forced"
    return body[:-n], body[-n:]


def expected_thinking(case: Case, backend: LocalBackend, n: int) -> list[int]:
    return ids(backend, CHAIN[:n] if case.harmony else [" ok"] * n)


def after(n: int, change: Callable[[], object]) -> OnEvent:
    def on_event(event: StreamEvent, reply: Reply) -> None:
        if isinstance(event, ReasoningDelta) and reply.reasoning_deltas == n:
            change()

    return on_event


async def ask(
    backend: LocalBackend, budget: Budget, on_event: OnEvent | None = None, **kw: int
) -> Reply:
    request = ChatRequest(
        ASK, budget=budget, options=RequestOptions(max_tokens=kw.pop("max_tokens", 200), seed=3)
    )
    return await run(backend, request, on_event)


async def test_detected_format_is_the_family(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.forever())
    await backend.load()
    assert backend.capabilities.thinking_format == case.fmt
    loaded = backend.loaded
    assert loaded is not None
    single = case.family != "r1-plain"
    assert (loaded.tags.close_id is not None) is single


async def test_budget_n_keeps_exactly_n_then_forces_the_close(
    case: Case, scripted: Scripted
) -> None:
    backend = scripted(case, case.forever())
    reply = await ask(backend, Budget(12))
    thinking, _ = split_forced(case, backend)
    assert thinking == expected_thinking(case, backend, 12)
    assert reply.finished.budget_applied == "budget 12: forced close at 12"
    assert reply.finished.stop_reason is StopReason.STOP
    assert reply.text == ("".join(CHAIN) if case.harmony else "Yes")
    assert "</think>" not in reply.thinking + reply.text and "<|" not in reply.thinking


async def test_lowered_below_spent_rolls_back_then_closes(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.forever(), lockstep=True)
    budget = Budget(40)
    reply = await ask(backend, budget, after(20, lambda: budget.set_limit(8)))
    thinking, _ = split_forced(case, backend)
    assert thinking == expected_thinking(case, backend, 8)
    assert any(isinstance(e, ReasoningRollback) for e in reply.events)
    assert reply.finished.budget_applied == "budget 8: rolled back to 8 and closed"
    shown = "".join(CHAIN[:8]) if case.harmony else "ok" + " ok" * 7
    assert reply.thinking.strip() == shown


async def test_raised_mid_stream_thinks_on(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.forever(), lockstep=True)
    budget = Budget(8)
    reply = await ask(backend, budget, after(4, lambda: budget.set_limit(30)))
    thinking, _ = split_forced(case, backend)
    assert thinking == expected_thinking(case, backend, 30)
    assert reply.finished.budget_applied == "budget 30: forced close at 30"


async def test_stop_now_closes_at_the_next_token(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.forever(), lockstep=True)
    budget = Budget(None)
    reply = await ask(backend, budget, after(5, budget.stop_thinking))
    thinking, _ = split_forced(case, backend)
    assert thinking == expected_thinking(case, backend, 5)
    assert reply.finished.budget_applied == "budget auto: stopped by request at 5"
    assert reply.text


async def test_think_longer_strips_the_early_close_and_appends_wait(
    case: Case, scripted: Scripted
) -> None:
    backend = scripted(case, case.closes_early())
    reply = await ask(backend, Budget(None, minimum=8))
    body, answer_start = thought(backend)
    wait = ids(backend, ["\n", "Wait"])
    ab = ids(backend, ["A", "B"])
    # A B, stripped close, "\nWait", A B, … until the minimum; then the model's own close stays.
    assert body[:8] == ab + wait + ab + wait
    assert body[8:10] == ab
    closing = case.close + (case.forced[1:] if case.harmony else [])
    assert body[10:] == ids(backend, closing)
    assert reply.finished.budget_applied == (
        "budget auto: extended with Wait ×2; model closed at 10"
    )
    assert reply.thinking == "AB\nWaitAB\nWaitAB"
    assert reply.text.startswith("AB" if case.harmony else "Yes")
    assert answer_start


async def test_model_closing_by_itself_is_accepted(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.closes_early())
    reply = await ask(backend, Budget(64))
    body, _ = thought(backend)
    closing = case.close + (case.forced[1:] if case.harmony else [])
    assert body == ids(backend, ["A", "B", *closing])
    assert reply.finished.budget_applied == "budget 64: model closed at 2"
    assert reply.thinking == "AB"


NO_THINKING_ENDS = {
    "r1": "<｜Assistant｜><think>\n\n</think>\n\n",  # the template opened it; ponder closes it
    "r1-plain": "<｜Assistant｜><think>\n\n</think>\n\n",
    "qwen3": "<|im_start|>assistant\n<think>\n\n</think>\n\n",  # enable_thinking=False
    "smollm3": "<|im_start|>assistant\n<think>\n\n</think>\n",  # its /no_think block
    "harmony": "<|start|>assistant<|channel|>final<|message|>",  # straight to the answer
}
THINKING_ENDS = {
    "r1": "<｜Assistant｜><think>\n",  # the template's own opening
    "r1-plain": "<｜Assistant｜><think>\n",
    "qwen3": "<|im_start|>assistant\n<think>\n",
    "smollm3": "<|im_start|>assistant\n<think>\n",
    "harmony": "<|start|>assistant<|channel|>analysis<|message|>",
}


async def test_budget_zero_uses_the_formats_own_empty_block(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.answers_at_once())
    reply = await ask(backend, Budget(0))
    trace = backend.last_reply
    assert trace is not None and trace.think_start is None
    assert not any(isinstance(e, ReasoningDelta) for e in reply.events)
    assert reply.finished.budget_applied == "no thinking"
    assert reply.text == "Yes"
    loaded = backend.loaded
    assert loaded is not None
    prompt = build_prompt(loaded, ASK, think=False)
    assert prompt.text.endswith(NO_THINKING_ENDS[case.family])
    assert list(trace.tokens[: trace.prompt_len]) == prompt.tokens
    if case.fmt == "smollm3":
        assert "Reasoning Mode: /no_think" in prompt.text


async def test_thinking_prompt_opens_the_formats_block(case: Case, scripted: Scripted) -> None:
    backend = scripted(case, case.forever())
    loaded = await backend.load()
    prompt = build_prompt(loaded, ASK, think=True)
    assert prompt.thinking
    assert prompt.text.endswith(THINKING_ENDS[case.family])
    if case.fmt == "smollm3":
        assert "Reasoning Mode: /think" in prompt.text
    if case.fmt == "harmony":
        assert "Reasoning: medium" in prompt.text


async def test_ending_the_turn_inside_thinking_forces_the_close(
    case: Case, scripted: Scripted
) -> None:
    """The model stops (end of turn) while still thinking: ponder closes the block for it."""
    script = {case.open_last: "A", "A": "B", "B": case.eot, "\n\n": "Yes", "Yes": case.eot}
    backend = scripted(case, script)
    reply = await ask(backend, Budget(None))
    body, _ = thought(backend)
    assert body == ids(backend, ["A", "B", *case.forced])
    assert reply.finished.budget_applied == "budget auto: model ended its turn at 2; close forced"
    assert reply.text == ("AB" if case.harmony else "Yes")


async def test_a_multi_turn_chat_renders_in_every_template(case: Case, scripted: Scripted) -> None:
    """System prompt, an earlier answer, a new question: the real template takes all of it,
    in both modes, and the earlier turn carries its answer only."""
    backend = scripted(case, case.forever())
    loaded = await backend.load()
    chat = [
        Message("system", "Be brief."),
        Message("user", "Hi"),
        Message("assistant", "Hello there"),
        Message("user", "And now?"),
    ]
    for think in (True, False):
        prompt = build_prompt(loaded, chat, think)
        assert "Be brief." in prompt.text and "Hello there" in prompt.text
        assert prompt.text.index("Hello there") < prompt.text.index("And now?")
        ends = THINKING_ENDS if think else NO_THINKING_ENDS
        assert prompt.text.endswith(ends[case.family])
        assert prompt.thinking is think
