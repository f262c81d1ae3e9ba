"""The results file: appended line by line, a torn last line dropped, bad lines named."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.evals.results import ResultsFile, ResultsFileError, latest_by_pair
from tests.evals.factories import result


def test_append_and_load_round_trip(tmp_path: Path) -> None:
    store = ResultsFile(tmp_path / "sub" / "r.jsonl")
    assert store.load() == []
    first, second = result("a", cost=None, reasoning=None), result("b", "s:64", error=True)
    store.append(first)
    store.append(second)
    assert store.path.read_text().count("\n") == 2
    assert store.load() == [first, second]


def test_torn_last_line_is_dropped_and_repaired(tmp_path: Path) -> None:
    store = ResultsFile(tmp_path / "r.jsonl")
    store.append(result("a"))
    whole = store.path.read_bytes()
    store.path.write_bytes(whole + result("b").model_dump_json().encode()[:40])  # killed mid-write
    assert [r.task_id for r in store.load()] == ["a"]
    assert store.path.read_bytes() != whole  # a plain load leaves the file alone
    assert [r.task_id for r in store.load(repair=True)] == ["a"]
    assert store.path.read_bytes() == whole
    store.append(result("c"))
    assert [r.task_id for r in store.load()] == ["a", "c"]


def test_a_bad_complete_line_is_named(tmp_path: Path) -> None:
    store = ResultsFile(tmp_path / "r.jsonl")
    store.append(result("a"))
    with store.path.open("a") as handle:
        handle.write('{"task_id": "b"}\n')
    with pytest.raises(ResultsFileError, match=r"r\.jsonl:2: not an eval result"):
        store.load()


def test_latest_by_pair() -> None:
    old, new, other = result("a", correct=False), result("a"), result("a", "s:64")
    latest = latest_by_pair([old, other, new])
    assert latest == {("a", "s:0"): new, ("a", "s:64"): other}
