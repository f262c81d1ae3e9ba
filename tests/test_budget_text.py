"""Budget text: one parser and one formatter, each the other's inverse."""

from __future__ import annotations

import argparse

import pytest

from backends.budget_text import MAX_TOKENS_SETTING, format_budget, looks_like_budget, parse_budget
from backends.config import Settings
from tui.cli.args import parse_budget as parse_budget_argument


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("64", 64),
        ("4k", 4096),
        ("4K", 4096),
        (" 2k ", 2048),
        ("OFF", 0),
        ("auto", None),
        ("10000000", MAX_TOKENS_SETTING),
    ],
)
def test_budget_words(text: str, value: int | None) -> None:
    assert parse_budget(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "number of tokens, 4k, off or auto"),
        ("1.5", "number of tokens, 4k, off or auto"),
        ("k", "number of tokens, 4k, off or auto"),
        ("4kk", "number of tokens, 4k, off or auto"),
        ("lots", "number of tokens, 4k, off or auto"),
        ("٣", "number of tokens, 4k, off or auto"),  # a digit, but not one a config file means
        ("+5", "number of tokens, 4k, off or auto"),
        ("-1", ">= 0"),
        ("-4k", ">= 0"),
        ("10000001", "at most 10,000,000"),
        ("9766k", "at most 10,000,000"),  # 10,000,384 tokens
    ],
)
def test_not_budgets(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_budget(text)


def test_the_form_is_told_apart_from_the_size() -> None:
    assert looks_like_budget("99999999k")  # a budget's form: compare splits it off, then refuses
    assert not looks_like_budget("4-5")
    assert not looks_like_budget("8b")


@pytest.mark.parametrize(
    ("value", "short", "exact"),
    [
        (None, "auto", "auto"),
        (0, "off", "off"),
        (300, "300", "300"),
        (1024, "1k", "1024"),
        (1536, "1536", "1536"),
        (32768, "32k", "32768"),
    ],
)
def test_format_budget_and_back(value: int | None, short: str, exact: str) -> None:
    assert format_budget(value) == short
    assert format_budget(value, exact=True) == exact
    assert parse_budget(short) == parse_budget(exact) == value


def test_the_argparse_type_says_the_same() -> None:
    assert parse_budget_argument("4k") == 4096
    with pytest.raises(argparse.ArgumentTypeError, match="at most 10,000,000 tokens"):
        parse_budget_argument("20000000")
    with pytest.raises(argparse.ArgumentTypeError, match="4k, off or auto"):
        parse_budget_argument("many")


def test_the_config_says_auto_and_limits_say_none() -> None:
    settings = Settings(budget_steps=[0, 256, "auto"], default_budget="auto")
    assert settings.step_limits() == [0, 256, None]
    assert settings.budget_limit() is None
    assert Settings(default_budget=4096).budget_limit() == 4096
    assert Settings().budget_limit() == 0  # not set: off (the model may suggest a start)
