"""The thinking budget always leaves room for an answer."""

import pytest

from backends.answer_room import ANSWER_RESERVE, fit_budget, largest_budget


def test_a_budget_above_the_output_cap_is_clamped_with_a_reason() -> None:
    fit = fit_budget(32768, output_cap=2048)
    assert fit.budget == 2048 - ANSWER_RESERVE
    assert fit.clamped
    assert fit.note == (
        "budget 32768 clamped to 1792: the output cap is 2048 tokens and the answer needs 256"
    )


def test_the_free_context_binds_when_it_is_smaller() -> None:
    fit = fit_budget(4096, output_cap=8192, free_context=1000, reserve=200)
    assert (fit.budget, fit.largest) == (800, 800)
    assert "the free context is 1000 tokens" in fit.note


@pytest.mark.parametrize("requested", [None, 0, 100, 1792])
def test_budgets_that_fit_and_auto_pass_unchanged(requested: int | None) -> None:
    fit = fit_budget(requested, output_cap=2048)
    assert fit.budget == requested
    assert not fit.clamped
    assert fit.note == ""


def test_no_cap_means_no_clamp_and_a_tiny_cap_gives_zero() -> None:
    assert fit_budget(10**6, None, None).budget == 10**6
    assert largest_budget(None, None) is None
    assert largest_budget(100, None) == 0
    assert fit_budget(50, output_cap=100).budget == 0
