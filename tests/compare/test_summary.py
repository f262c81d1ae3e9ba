"""The summary row from hand-made readings: winners, differences, unknown prices, agreement."""

import pytest

from backends.compare.runner import ColumnOutcome, RoundResult
from backends.compare.summary import (
    format_summary,
    normalize_answer,
    summarize,
    summarize_outcomes,
)
from backends.errors import ConnectionLost
from backends.events import Finished, StopReason, Usage
from backends.meters import MeterReading
from backends.pricing import Cost


def reading(
    *,
    cost: float | None = 0.0,
    ttft: float | None = 0.5,
    total: float | None = 2.0,
    reasoning: int | None = 0,
    estimated: frozenset[str] = frozenset(),
) -> MeterReading:
    return MeterReading(
        usage=Usage(input=20, output=30, reasoning=reasoning, estimated=bool(estimated)),
        cache_hit=0.0,
        cost=None if cost is None else Cost(total=cost),
        ttft_s=ttft,
        first_answer_s=ttft,
        thinking_s=None,
        total_s=total,
        decode_tps=15.0,
        live=False,
        estimated=estimated,
    )


def outcome(
    index: int,
    label: str,
    text: str = "a long answer, " * 8,
    stop: StopReason = StopReason.STOP,
    **meters: object,
) -> ColumnOutcome:
    error = ConnectionLost("dropped") if stop is StopReason.INTERRUPTED else None
    return ColumnOutcome(
        index=index,
        label=label,
        text=text,
        reading=reading(**meters),  # type: ignore[arg-type]
        finished=Finished(stop_reason=stop, error=error),
    )


def test_winners_and_differences() -> None:
    outcomes = (
        outcome(0, "a", cost=0.004, ttft=0.2, total=3.0, reasoning=120),
        outcome(1, "b", cost=0.001, ttft=0.8, total=1.5, reasoning=0),
        outcome(2, "c", cost=0.002, ttft=0.4, total=6.0, reasoning=40),
    )
    summary = summarize(RoundResult("q", outcomes, 6.1))
    assert summary.cheapest is not None and summary.cheapest.labels == ("b",)
    assert [s.label for s in summary.cheapest.others] == ["c", "a"]
    a = summary.cheapest.others[1]
    assert a.times == pytest.approx(4.0) and a.difference == pytest.approx(0.003)
    assert summary.fastest_ttft is not None and summary.fastest_ttft.labels == ("a",)
    assert summary.fastest_ttft.others[-1].times == pytest.approx(4.0)
    assert summary.fastest_total is not None and summary.fastest_total.labels == ("b",)
    assert summary.fastest_total.others[-1].difference == pytest.approx(4.5)
    assert summary.fewest_reasoning is not None and summary.fewest_reasoning.labels == ("b",)
    # Against a winner with 0 tokens "x times" is undefined; the difference still shows.
    assert summary.fewest_reasoning.others[0].times is None
    assert summary.most_reasoning is not None and summary.most_reasoning.labels == ("a",)
    assert summary.most_reasoning.others[0].times == pytest.approx(3.0)
    assert summary.unpriced == () and summary.excluded == ()


def test_unknown_price_is_listed_not_counted_as_free() -> None:
    outcomes = (
        outcome(0, "priced", cost=0.01),
        outcome(1, "mystery", cost=None),
        outcome(2, "cheap", cost=0.002),
    )
    summary = summarize_outcomes(outcomes)
    assert summary.cheapest is not None and summary.cheapest.labels == ("cheap",)
    assert summary.unpriced == ("mystery",)
    lines = format_summary(summary)
    assert lines[0] == (
        "cheapest: cheap $0.0020 · priced $0.010 (5.0x, +$0.0080) · mystery: price unknown"
    )


def test_every_price_unknown_says_so() -> None:
    summary = summarize_outcomes((outcome(0, "x", cost=None), outcome(1, "y", cost=None)))
    assert summary.cheapest is None
    assert format_summary(summary)[0] == "cheapest: price unknown for every column"


def test_ties_all_win_and_zero_cost_has_no_ratio() -> None:
    summary = summarize_outcomes(
        (
            outcome(0, "local @off", cost=0.0),
            outcome(1, "local @64", cost=0.0),
            outcome(2, "api", cost=0.003),
        )
    )
    assert summary.cheapest is not None
    assert summary.cheapest.labels == ("local @off", "local @64")
    assert summary.cheapest.others[0].times is None
    assert format_summary(summary)[0] == (
        "cheapest: local @off = local @64 $0.00 (tie) · api $0.0030 (+$0.0030)"
    )


def test_reasoning_not_reported_is_unknown() -> None:
    summary = summarize_outcomes(
        (
            outcome(0, "a", reasoning=None),
            outcome(1, "b", reasoning=10),
            outcome(2, "c", reasoning=30),
        )
    )
    assert summary.fewest_reasoning is not None
    assert summary.fewest_reasoning.labels == ("b",) and summary.fewest_reasoning.unknown == ("a",)
    # Two known counts: "most" would be "fewest" read backwards, so it is left out.
    assert summary.most_reasoning is None
    assert "a: not reported" in format_summary(summary)[3]


def test_most_reasoning_needs_three_counts_and_never_prints_a_negative_delta() -> None:
    summary = summarize_outcomes(
        (
            outcome(0, "a", reasoning=52),
            outcome(1, "b", reasoning=31),
            outcome(2, "c", reasoning=0),
        )
    )
    assert summary.most_reasoning is not None and summary.most_reasoning.labels == ("a",)
    line = next(x for x in format_summary(summary) if x.startswith("most reasoning"))
    assert line == "most reasoning: a 52 · b 31 (1.7x fewer, 21 fewer) · c 0 (52 fewer)"
    assert "-" not in line.split(":", 1)[1]
    fewest = next(x for x in format_summary(summary) if x.startswith("fewest reasoning"))
    assert fewest == "fewest reasoning: c 0 · b 31 (+31) · a 52 (+52)"


def test_a_queued_column_says_its_times_start_after_the_wait() -> None:
    import dataclasses

    waited = dataclasses.replace(outcome(1, "b", reasoning=0), queued_s=1.5)
    summary = summarize_outcomes((outcome(0, "a", reasoning=0), waited))
    lines = format_summary(summary)
    ttft = next(x for x in lines if x.startswith("fastest TTFT"))
    total = next(x for x in lines if x.startswith("fastest total"))
    assert "b" in ttft and "after 1.50s queued" in ttft
    assert "after 1.50s queued" in total
    assert "a " in ttft and ttft.count("queued") == 1


def test_stopped_and_failed_columns_do_not_win() -> None:
    summary = summarize_outcomes(
        (
            outcome(0, "stopped", stop=StopReason.CANCELLED, cost=0.0, ttft=0.01, total=0.1),
            outcome(1, "dropped", stop=StopReason.INTERRUPTED, cost=0.0, ttft=0.01, total=0.1),
            outcome(2, "done", cost=0.5, ttft=1.0, total=9.0),
        )
    )
    assert summary.fastest_total is not None and summary.fastest_total.labels == ("done",)
    assert summary.excluded == ("stopped", "dropped")
    assert format_summary(summary)[-1] == "not compared (stopped or failed): stopped, dropped"


def test_estimated_cost_is_marked() -> None:
    summary = summarize_outcomes(
        (outcome(0, "a", cost=0.002, estimated=frozenset({"output"})), outcome(1, "b", cost=0.01))
    )
    assert summary.cheapest is not None and summary.cheapest.best[0].estimated
    assert format_summary(summary)[0].startswith("cheapest: a ~$0.0020")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("4", "4.0"),
        ("The answer is **4**.", "the answer is 4"),
        ("  Paris!\n", "paris"),
        ("`42`", "42"),
        ("_yes_", "Yes."),
        ("3.50", "3.5"),
        ("x = 10.000", "x = 10"),
        ("Hello   world", "hello world"),
    ],
)
def test_normalised_answers_match(a: str, b: str) -> None:
    assert normalize_answer(a) == normalize_answer(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("4", "5"), ("4.0.1", "4.1"), ("snake_case", "snakecase"), ("40", "4"), ("no", "not")],
)
def test_different_answers_stay_different(a: str, b: str) -> None:
    assert normalize_answer(a) != normalize_answer(b)


def test_agreement_groups_short_answers() -> None:
    summary = summarize_outcomes(
        (
            outcome(0, "a", text="**4**"),
            outcome(1, "b", text="5"),
            outcome(2, "c", text="4.0."),
            outcome(3, "d", text="word " * 40),
        )
    )
    agreement = summary.agreement
    assert agreement is not None and not agreement.all_agree
    assert [(g.answer, g.labels) for g in agreement.groups] == [("4", ("a", "c")), ("5", ("b",))]
    assert agreement.groups[0].indexes == (0, 2)
    assert agreement.not_compared == ("d",)
    assert format_summary(summary)[-1] == (
        'agreement: a = c ("4") · b ("5") · d: answer too long to compare'
    )


def test_all_agree_and_no_agreement_for_long_answers() -> None:
    same = summarize_outcomes((outcome(0, "a", text="Yes"), outcome(1, "b", text="yes.")))
    assert same.agreement is not None and same.agreement.all_agree
    assert format_summary(same)[-1] == 'agreement: all agree ("yes")'
    long = summarize_outcomes((outcome(0, "a"), outcome(1, "b", text="4")))
    assert long.agreement is None


def test_most_reasoning_is_left_out_when_all_counts_are_equal() -> None:
    summary = summarize_outcomes((outcome(0, "a", reasoning=0), outcome(1, "b", reasoning=0)))
    assert summary.fewest_reasoning is not None
    assert summary.fewest_reasoning.labels == ("a", "b")
    assert summary.most_reasoning is None


def test_a_local_hardware_cost_is_shown_as_an_estimate() -> None:
    from dataclasses import replace

    local = outcome(0, "local @off", cost=0.0004)
    local = replace(local, reading=replace(local.reading, local=True))
    summary = summarize_outcomes((local, outcome(1, "api", cost=0.002)))
    assert summary.cheapest is not None and summary.cheapest.best[0].approx
    line = format_summary(summary)[0]
    assert line.startswith("cheapest: local @off ≈$0.00040 · api $0.0020"), line
