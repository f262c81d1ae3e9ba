"""Paired tests, repeats and the recommendation against hand-computed values."""

from __future__ import annotations

import pytest

from backends.evals.checks import CheckResult
from backends.evals.decide import comparison_lines, pairwise, recommendation_lines
from backends.evals.output import format_report
from backends.evals.report import build_report
from backends.evals.results import Sample, majority
from backends.evals.stats import (
    bootstrap_mean_interval,
    mcnemar_exact,
    paired_bootstrap,
)
from backends.evals.strategy import Strategy, interleave, sample_seed, split_samples, strategy_order
from backends.evals.tasks import Task
from backends.reply import Reply
from tests.evals.factories import result


@pytest.mark.parametrize(
    ("only_a", "only_b", "p"),
    [
        (1, 6, 0.125),  # n = 7: 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8/128
        (0, 6, 0.03125),  # 2 * 1/64
        (3, 3, 1.0),  # 2 * 42/64 > 1
        (0, 0, 1.0),
        (10, 0, 2 / 1024),
    ],
)
def test_mcnemar_exact(only_a: int, only_b: int, p: float) -> None:
    both = 4
    a = [True] * only_a + [False] * only_b + [True] * both
    b = [False] * only_a + [True] * only_b + [True] * both
    test = mcnemar_exact(a, b)
    assert (test.only_a, test.only_b) == (only_a, only_b)
    assert test.p == pytest.approx(p)
    assert test.significant is (p < 0.05)


def test_paired_bootstrap_is_seeded_and_sees_a_real_difference() -> None:
    a = [0.010, 0.012, 0.011, 0.013, 0.009, 0.010]
    b = [0.030, 0.031, 0.029, 0.033, 0.030, 0.032]
    first, again = paired_bootstrap(a, b), paired_bootstrap(a, b)
    assert first == again  # the seed is fixed
    assert first is not None and first.mean == pytest.approx(-0.0200, abs=1e-4)
    assert first.low <= first.mean <= first.high < 0 and first.significant
    noise = paired_bootstrap([1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0])
    assert noise is not None and noise.mean == 0 and not noise.significant
    assert paired_bootstrap([1.0, 1.0], [1.0, 1.0]).p == 1.0  # type: ignore[union-attr]


def test_bootstrap_interval_covers_the_mean() -> None:
    low, high = bootstrap_mean_interval([0.0, 0.5, 1.0, 1.0, 0.5]) or (0, 0)
    assert low <= 0.6 <= high and low >= 0 and high <= 1


def test_strategy_keys_seeds_and_order() -> None:
    assert Strategy("local", 256, 5).key == "local:256x5"
    assert split_samples("local:256x5") == ("local:256", 5)
    assert split_samples("ollama:qwen3:8b") == ("ollama:qwen3:8b", 1)
    assert sample_seed(0, "t1", 0) == sample_seed(0, "t1", 0) != sample_seed(0, "t1", 1)
    items = [(f"t{i}", 0) for i in range(10)]
    a, b = Strategy("x", 0), Strategy("x", 64)
    # a strategy's order depends on the seed and its own key, not on the others
    assert strategy_order(1, a, items) == strategy_order(1, a, list(reversed(items)))
    assert strategy_order(1, a, items) != strategy_order(2, a, items)
    assert interleave({"b": [3, 4], "a": [1, 2]}) == [1, 3, 2, 4]
    assert interleave({"a": [1, 2], "b": [3, 4]}) == [1, 3, 2, 4]
    assert b.key == "x:64"


def test_majority_vote_counts_clean_answers_only() -> None:
    def sample(extracted: str | None, flag: str | None = None) -> Sample:
        return Sample(Reply(), None, None, CheckResult(False, extracted, flag))  # type: ignore[arg-type]

    assert majority([sample("3"), sample("4"), sample("4")]) == 1
    assert majority([sample("3"), sample("4")]) == 0  # a tie: the first answer given
    assert majority([sample("5", "echo"), sample("5", "echo"), sample("6")]) == 2
    assert majority([sample(None), sample(None)]) == 0


def tasks(n: int, tag: str) -> list[Task]:
    return [Task(id=f"{tag}{i}", prompt="p", expected="x", tags=(tag,)) for i in range(n)]


def test_recommendation_is_computed_from_the_numbers() -> None:
    """easy: A and B equally accurate, A a third of B's cost; B has the lower latency p95."""
    easy = tasks(10, "easy")
    a, b, c = Strategy("a", 0), Strategy("b", 0), Strategy("c", 0)
    results = []
    for i, task in enumerate(easy):
        results.append(
            result(task.id, a.key, correct=i < 8, cost=0.01, total_s=3.0, tags=("easy",))
        )
        results.append(
            result(task.id, b.key, correct=i < 8, cost=0.03, total_s=1.0, tags=("easy",))
        )
        results.append(
            result(task.id, c.key, correct=i < 2, cost=0.001, total_s=2.0, tags=("easy",))
        )
    report = build_report(easy, [a, b, c], results)
    lines = recommendation_lines(report)
    easy_line = next(line for line in lines if line.startswith("- easy:"))
    assert (
        "best accuracy a:0 80% (95% CI 49%-94%) is also the cheapest within that interval"
        in easy_line
    )
    assert "next b:0 (80%) costs 3.0× as much (+$0.020/query)" in easy_line
    assert (
        "lowest latency p95: b:0 (1.00 s), 2.0× faster than c:0 (2.00 s, 1.00 s more)" in easy_line
    )
    pair = pairwise(report)[0]
    assert (pair.a, pair.b, pair.accuracy.only_a, pair.accuracy.only_b) == ("a:0", "b:0", 0, 0)
    assert pair.cost is not None and pair.cost.mean == pytest.approx(-0.02)
    lines = comparison_lines(report)
    assert "a:0 vs b:0 (10 tasks): accuracy 80% vs 80%" in lines[0]
    assert "exact McNemar p=1.000): no significant difference" in lines[0]
    assert "difference -$0.020" in lines[0] and "): significant" in lines[0]
    # a vs c: 6 tasks only a got right -> p = 2/64
    assert "only a:0 right: 6, only c:0: 0; exact McNemar p=0.031): significant" in lines[1]
    text = format_report(report)
    assert "paired tests (all tasks):" in text and "recommendation:" in text


def test_cheaper_strategy_within_the_ci_is_recommended() -> None:
    hard = tasks(10, "hard")
    big, small = Strategy("big", 0), Strategy("small", 256)
    results = []
    for i, task in enumerate(hard):
        results.append(result(task.id, big.key, correct=i < 8, cost=0.03, tags=("hard",)))
        results.append(result(task.id, small.key, correct=i < 7, cost=0.01, tags=("hard",)))
    line = recommendation_lines(build_report(hard, [big, small], results))[-1]
    assert line.startswith(
        "- hard: small:256 reaches 70%, within the CI of the best accuracy "
        "big:0 80% (95% CI 49%-94%), at 3.0× lower cost ($0.010 vs $0.030"
        "/query, $0.020 less)"
    )


def test_repeats_make_one_row_with_a_ci_over_tasks() -> None:
    easy = tasks(4, "easy")
    s = Strategy("s", 0)
    results = [
        result(t.id, s.key, correct=(i + r) % 2 == 0, tags=("easy",)).model_copy(
            update={"repeat": r}
        )
        for i, t in enumerate(easy)
        for r in range(3)
    ]
    report = build_report(easy, [s], results, repeat=3)
    row = report.overall[0]
    assert (row.results, row.repeats, row.correct) == (12, 3, 6)
    assert row.ci_low is not None and row.ci_high is not None
    assert row.ci_low <= 0.5 <= row.ci_high
    assert report.expected_results == 12


def test_config_key_changes_with_everything_that_changes_results() -> None:
    from pydantic import SecretStr

    from backends.config import settings_from_dict
    from backends.evals import strategy as strategy_module
    from backends.evals.strategy import config_key
    from backends.registry import build_backend

    def backend(**options: object):  # type: ignore[no-untyped-def]
        entry = {"kind": "llama", "model": "embedded", "options": {"n_ctx": 512, **options}}
        return build_backend(settings_from_dict({"backends": {"b": entry}}), "b")

    base = backend()
    s = Strategy("b", 64)
    settings = {"max_tokens": 100, "seed": 0}
    key = config_key(base, s, settings)
    assert key == config_key(backend(), s, settings)  # stable
    assert key != config_key(backend(temperature=0.1), s, settings)  # an option
    assert key != config_key(base, Strategy("b", 32), settings)  # the budget
    assert key != config_key(base, Strategy("b", 64, 5), settings)  # the samples
    assert key != config_key(base, s, {**settings, "seed": 1})  # a request setting
    import dataclasses

    pricier = dataclasses.replace(base.spec, hardware_cost_per_hour=9.0)
    base.spec, old = pricier, base.spec
    assert key != config_key(base, s, settings)  # the hardware price
    base.spec = dataclasses.replace(old, api_key=SecretStr("sk-secret"))
    assert key == config_key(base, s, settings)  # never the API key
    base.spec = old
    original = strategy_module.PROMPT_FORMAT_VERSION
    try:
        strategy_module.PROMPT_FORMAT_VERSION = original + 1
        assert key != config_key(base, s, settings)  # ponder's prompt format
    finally:
        strategy_module.PROMPT_FORMAT_VERSION = original


def test_all_wrong_still_ranks_on_cost() -> None:
    """0/6 everywhere: the Wilson lower bound is 0 up to rounding; the cheapest still wins."""
    hard = tasks(6, "hard")
    a, b = Strategy("a", 0), Strategy("a", 48)
    results = [
        result(t.id, s.key, correct=False, cost=c, tags=("hard",))
        for t in hard
        for s, c in ((a, 0.001), (b, 0.002))
    ]
    line = recommendation_lines(build_report(hard, [a, b], results))[0]
    assert "best accuracy a:0 0% (95% CI 0%-39%) is also the cheapest within that interval" in line
