"""The budget-forcing rules and the closing-tag matcher, on their own (no model)."""

from __future__ import annotations

import pytest

from backends.budget import Budget, BudgetSnapshot
from backends.local.forcing import (
    Action,
    Applied,
    CloseMatcher,
    Ending,
    TagHit,
    closing_text,
    decide,
    extension_text,
    reached,
    wants_more,
)


def snap(limit: int | None, minimum: int = 0, stop: bool = False) -> BudgetSnapshot:
    return BudgetSnapshot(limit, minimum, stop, 0)


@pytest.mark.parametrize(
    ("budget", "spent", "ending", "action"),
    [
        (snap(64), 10, Ending.NONE, Action.KEEP),
        (snap(64), 64, Ending.NONE, Action.CLOSE),  # budget reached: close instead
        (snap(32), 40, Ending.NONE, Action.ROLLBACK),  # lowered below what was spent
        (snap(None), 5000, Ending.NONE, Action.KEEP),  # auto: no cap
        (snap(64, stop=True), 3, Ending.NONE, Action.CLOSE),  # "stop thinking now"
        (snap(64, minimum=48), 20, Ending.CLOSE, Action.EXTEND),  # closed early: Wait
        (snap(64, minimum=48), 20, Ending.END_OF_TURN, Action.EXTEND),
        (snap(64, minimum=48), 48, Ending.CLOSE, Action.ACCEPT_CLOSE),
        (snap(64, minimum=48), 48, Ending.END_OF_TURN, Action.CLOSE),
        (snap(None), 7, Ending.CLOSE, Action.ACCEPT_CLOSE),
        (snap(64, minimum=48, stop=True), 20, Ending.CLOSE, Action.CLOSE),  # stop beats minimum
        (snap(21, minimum=48), 20, Ending.CLOSE, Action.ACCEPT_CLOSE),  # Wait would not fit
    ],
)
def test_decide(budget: BudgetSnapshot, spent: int, ending: Ending, action: Action) -> None:
    assert decide(budget, spent, ending, extend_cost=2) is action


def test_live_budget_object_is_what_decide_reads() -> None:
    budget = Budget(256)
    assert decide(budget.snapshot(), 40) is Action.KEEP
    budget.set_limit(32)
    assert decide(budget.snapshot(), 40) is Action.ROLLBACK
    budget.set_limit(128)
    assert decide(budget.snapshot(), 40) is Action.KEEP
    budget.stop_thinking()
    assert decide(budget.snapshot(), 40) is Action.CLOSE


def test_reached_and_wants_more() -> None:
    assert reached(snap(16), 16) and not reached(snap(16), 15) and not reached(snap(None), 10**6)
    assert wants_more(snap(None, minimum=48), 47) and not wants_more(snap(None, minimum=48), 48)


def feed_all(matcher: CloseMatcher, pieces: list[str]) -> tuple[str, list[TagHit]]:
    shown: list[str] = []
    hits: list[TagHit] = []
    for index, piece in enumerate(pieces):
        text, hit = matcher.feed(piece, index)
        shown.append(text)
        if hit is not None:
            hits.append(hit)
    return "".join(shown), hits


def test_matcher_finds_a_tag_split_over_tokens_and_never_shows_it() -> None:
    shown, hits = feed_all(CloseMatcher("</think>"), ["So 4.", "\n</", "think", ">\n\nFour"])
    assert shown == "So 4.\n"
    [hit] = hits
    assert hit.before == "" and hit.after == "\n\nFour"
    assert hit.start_token == 1 and hit.prefix == "\n"  # strip from token 1, put "\n" back


def test_matcher_releases_text_that_turned_out_not_to_be_a_tag() -> None:
    shown, hits = feed_all(CloseMatcher("</think>"), ["a <", "/th", "ing> b"])
    assert hits == [] and shown == "a </thing> b"


def test_matcher_tag_inside_one_token() -> None:
    matcher = CloseMatcher("</think>")
    text, hit = matcher.feed("ok.</think>Yes", 9)
    assert text == "" and hit is not None
    assert (hit.before, hit.after, hit.start_token, hit.prefix) == ("ok.", "Yes", 9, "ok.")


def test_closing_text_completes_a_started_tag() -> None:
    assert closing_text("</think>", "</th", "h") == "ink>\n\n"
    assert closing_text("</think>", "", "x") == "\n</think>\n\n"
    assert closing_text("</think>", "", "\n") == "</think>\n\n"


def test_extension_text() -> None:
    assert extension_text("Wait", "\n") == "Wait"
    assert extension_text("Wait", ".") == "\nWait"


def test_applied_descriptions() -> None:
    assert Applied(requested="64", forced_at=64).describe() == "budget 64: forced close at 64"
    assert Applied(extensions=2, closed_by_model_at=50).describe() == (
        "budget auto: extended with Wait ×2; model closed at 50"
    )
    assert Applied(no_thinking="no thinking").describe() == "no thinking"
