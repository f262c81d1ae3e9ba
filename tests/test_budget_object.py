import pytest

from backends.budget import Budget


def test_changes_bump_version_and_are_seen_by_snapshot() -> None:
    budget = Budget(256)
    before = budget.snapshot()
    budget.set_limit(32)
    budget.set_minimum(8)
    budget.stop_thinking()
    after = budget.snapshot()
    assert (after.limit, after.minimum, after.stop_requested) == (32, 8, True)
    assert after.version == before.version + 3


def test_copy_keeps_limit_and_minimum_but_not_stop() -> None:
    budget = Budget(64, minimum=16)
    budget.stop_thinking()
    fresh = budget.copy()
    assert (fresh.limit, fresh.minimum, fresh.stop_requested) == (64, 16, False)


@pytest.mark.parametrize("limit,text", [(None, "auto"), (0, "off"), (1024, "1024")])
def test_describe(limit: int | None, text: str) -> None:
    assert Budget(limit).describe() == text


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError):
        Budget(-1)
    with pytest.raises(ValueError):
        Budget(0).set_minimum(-5)
