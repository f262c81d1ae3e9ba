from typing import Any

from backends.events import ReasoningDelta, TextDelta
from backends.thinktags import Piece, ThinkTagSplitter


def split(chunks: list[str], **kwargs: Any) -> tuple[str, str, list[Piece]]:
    splitter = ThinkTagSplitter(**kwargs)
    pieces = []
    for chunk in chunks:
        pieces += splitter.feed(chunk)
    pieces += splitter.finish()
    thinking = "".join(p.text for p in pieces if isinstance(p, ReasoningDelta))
    text = "".join(p.text for p in pieces if isinstance(p, TextDelta))
    return thinking, text, pieces


def test_tags_split_across_chunks() -> None:
    thinking, text, _ = split(["<th", "ink>\nlet me see</th", "ink>\n\nFour."])
    assert thinking == "let me see"
    assert text == "Four."


def test_every_split_point_gives_the_same_result() -> None:
    whole = "<think>\nabc </think>\n\nThe answer <think> stays text"
    expected = split([whole])[:2]
    for cut in range(len(whole) + 1):
        assert split([whole[:cut], whole[cut:]])[:2] == expected


def test_no_tag_means_all_text_and_lookalikes_are_kept() -> None:
    assert split(["<b>bold</b>"])[:2] == ("", "<b>bold</b>")
    assert split(["<", "thin"])[:2] == ("", "<thin")


def test_prefilled_thinking_starts_in_reasoning() -> None:
    thinking, text, _ = split(["hmm", "</think>\n\nok"], start_thinking=True)
    assert (thinking, text) == ("hmm", "ok")


def test_reasoning_pieces_come_before_text_pieces() -> None:
    _, _, pieces = split(["<think>a</think>b"])
    kinds = [type(p) for p in pieces]
    assert kinds == [ReasoningDelta, TextDelta]


def test_unclosed_thinking_is_flushed_as_reasoning() -> None:
    assert split(["<think>partial </thi"])[:2] == ("partial </thi", "")
