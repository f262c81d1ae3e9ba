"""Every JSON output writes the same keys for the same fields (``backends.records``).

The real commands run as subprocesses (``python -m tui.cli``) against the replay server:
``ask --json``, ``compare --json``, ``export --format json`` of the chat that ask saved (and
``history --json`` listing it), and an eval run's results file. Each usage and meters object
must have exactly the shared records' keys; the same reply must read the same in ask and in its
export. Then: rows and results files written before the shared records still load, with their
old key names; and the README's table lists exactly the shared fields.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from backends.evals.results import ResultsFile, TaskResult
from backends.outputs import (
    AskResult,
    CompareColumnRecord,
    CompareResult,
    ExportedChat,
    MessageRecord,
    SearchHitRecord,
)
from backends.records import ErrorRecord, MeterRecord, UsageRecord
from backends.store import codec
from tests.evals.factories import result
from tests.hardening.hostile import chat_sse, decoded, run_cli, server_config
from tests.support.replay_server import ReplayServer, sse_reply

USAGE_KEYS = set(UsageRecord.model_fields)
METER_KEYS = set(MeterRecord.model_fields)
PRICES = "\n[prices.m]\ninput = 1.0\noutput = 2.0\n"


def check_record(owner: str, data: dict[str, Any]) -> None:
    """``data`` holds a usage and a meters object with exactly the shared keys."""
    assert set(data["usage"]) == USAGE_KEYS, f"{owner} usage keys"
    assert set(data["meters"]) == METER_KEYS, f"{owner} meters keys"


def exactly(model: type[BaseModel], data: Any) -> None:
    """``data`` is what ``model`` writes: no key missing, none extra, every value its type."""
    assert model.model_validate(data).model_dump(mode="json") == data, model.__name__


def run_json(tmp_path: Path, *args: str, config: str) -> Any:
    done = run_cli(tmp_path, *args, config=config)
    assert done.returncode == 0, decoded(done.stderr)
    return json.loads(done.stdout)


def test_every_output_writes_the_same_keys(tmp_path: Path, replay_server: ReplayServer) -> None:
    replay_server.set_default(sse_reply(chat_sse(text="4", reasoning="two and two")))
    config = server_config(replay_server.url("/v1"), name="srv") + PRICES

    asked = run_json(tmp_path, "ask", "--json", "-b", "srv", "Is 91 prime?", config=config)
    exactly(AskResult, asked)
    check_record("ask", asked)
    assert asked["usage"] == {
        "input": 5,
        "cached_input": 0,
        "cache_write": 0,
        "output": 7,
        "reasoning": 3,  # not reported by the server: the local estimate of the thinking
        "estimated": ["reasoning"],
    }
    assert asked["meters"]["cost_usd"] == pytest.approx((5 * 1.0 + 7 * 2.0) / 1e6)
    assert asked["meters"]["decode_tok_s"] is None or asked["meters"]["decode_tok_s"] > 0

    compared = run_json(
        tmp_path,
        "compare",
        "--json",
        "-b",
        "srv:0",
        "-b",
        "srv:64",
        "hi",
        config=config,
    )
    exactly(CompareResult, compared)
    for column in compared["columns"]:
        assert set(column) == set(CompareColumnRecord.model_fields)
        assert set(column["budget"]) == set(asked["budget"])
        check_record("compare", column)
        assert column["usage"] == asked["usage"]  # the same scripted reply reads the same

    exported = run_json(tmp_path, "export", "1", "--format", "json", config=config)
    exactly(ExportedChat, exported)
    user, reply = exported["messages"]
    assert set(reply) == set(MessageRecord.model_fields)
    check_record("export", reply)
    assert reply["usage"] == asked["usage"]
    assert reply["meters"]["line"] == asked["meters"]["line"]
    assert reply["meters"]["cost_split_usd"] == asked["meters"]["cost_split_usd"]
    assert user["usage"] is None and user["meters"] is None
    (listed,) = run_json(tmp_path, "history", "--json", config=config)
    assert listed == exported["chat"]  # one chat row, the same keys in both
    hits = run_json(tmp_path, "history", "--search", "prime", "--json", config=config)
    assert hits and all(set(hit) == set(SearchHitRecord.model_fields) for hit in hits)

    results = tmp_path / "results.jsonl"
    evaluated = run_cli(
        tmp_path,
        "eval",
        "sample",
        "--limit",
        "1",
        "-b",
        "srv:0",
        "--concurrency",
        "1",
        "--results",
        str(results),
        config=config,
    )
    assert evaluated.returncode == 0, decoded(evaluated.stderr)
    (line,) = results.read_text(encoding="utf-8").splitlines()
    stored = json.loads(line)
    exactly(TaskResult, stored)
    check_record("eval results", stored)
    assert set(stored["budget"]) == set(asked["budget"])
    assert stored["budget"]["requested"] == "off" and stored["budget"]["applied"]
    assert stored["usage"] == asked["usage"]
    tokens_and_cost = asked["meters"]["line"].split(" · TTFT")[0]  # the times are its own
    assert stored["meters"]["line"].startswith(tokens_and_cost + " · TTFT")
    assert stored["meters"]["cost_usd"] == asked["meters"]["cost_usd"]


def test_unknown_values_are_null_not_zero(tmp_path: Path, replay_server: ReplayServer) -> None:
    body = b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n'
    replay_server.set_default(sse_reply(body + b"data: [DONE]\n\n"))
    config = server_config(replay_server.url("/v1"), name="srv")
    asked = run_json(tmp_path, "ask", "--json", "--no-history", "-b", "srv", "hi", config=config)
    check_record("ask", asked)
    assert asked["usage"]["input"] is not None  # ask counts the prompt itself: an estimate
    assert "input" in asked["usage"]["estimated"]
    assert asked["meters"]["cost_usd"] is None  # no price for model "m": unknown, not $0
    assert asked["meters"]["cost_split_usd"] is None and asked["meters"]["cache_hit"] is None
    results = tmp_path / "results.jsonl"
    evaluated = run_cli(
        tmp_path,
        "eval",
        "sample",
        "--limit",
        "1",
        "-b",
        "srv:0",
        "--results",
        str(results),
        config=config,
    )
    assert evaluated.returncode == 0, decoded(evaluated.stderr)
    (loaded,) = ResultsFile(results).load()
    assert loaded.meters.cost_usd is None and loaded.meters.cache_hit is None
    assert " · $? · " in (loaded.meters.line or "")


def test_an_old_results_line_still_loads(tmp_path: Path) -> None:
    new = json.loads(result("t1", cost=0.02).model_dump_json())
    new["usage"]["estimated"] = True  # a boolean before the shared records
    new["meters"] = {"cost_usd": 0.02, "decode_tok_s": 12.5, "total_s": 1.0}
    del new["error"]
    new["budget"], new["budget_applied"] = 64, "64: thinking.budget_tokens"  # before, too
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(new) + "\n", encoding="utf-8")
    (loaded,) = ResultsFile(path).load()
    assert loaded.usage.estimated == ["input", "output", "reasoning"]
    assert loaded.meters.decode_tok_s == 12.5 and loaded.meters.cost_usd == 0.02
    assert loaded.meters.cost_split_usd is None and loaded.meters.line is None
    assert loaded.error is None
    assert (loaded.budget.requested, loaded.budget.applied) == ("64", "64: thinking.budget_tokens")
    new["budget"] = None  # auto
    path.write_text(json.dumps(new) + "\n", encoding="utf-8")
    assert ResultsFile(path).load()[0].budget.requested == "auto"
    assert ErrorRecord(kind="x", message="y").hint == ""


def test_an_old_history_row_still_loads() -> None:
    old_meters = {
        "usage": {
            "input": 0,
            "cached_input": 0,
            "cache_write": 0,
            "output": 9,
            "reasoning": 4,
            "estimated": True,
        },
        "cache_hit": None,
        "cost": {
            "input": 0.0,
            "cached_input": 0.0,
            "cache_write": 0.0,
            "output": 0.5,
            "total": 0.5,
            "hardware": 0.0,
        },
        "cost_usd": 0.5,
        "provider_cost": None,
        "ttft_s": 0.25,
        "first_answer_s": 0.5,
        "thinking_s": 0.25,
        "total_s": 2.0,
        "decode_tps": 4.5,
        "estimated": ["input", "output"],
        "input_known": False,
        "local": False,
        "stop_reason": "stop",
        "line": "in ? · out ~9 · reasoning 4 · $0.50 · TTFT 0.25s · 2.0s · 4.5 tok/s",
    }
    reading = codec.reading_from_dict(old_meters, {"input": 0, "output": 9}, "stop")
    assert reading is not None
    assert reading.decode_tps == 4.5 and reading.cost_usd == 0.5
    assert reading.estimated == {"input", "output"} and not reading.input_known
    assert reading.usage.reasoning == 4 and reading.cost is not None
    assert codec.meters_data(reading) is not None
    again = codec.reading_from_dict(
        codec.meters_data(reading), codec.usage_data(reading.usage, reading), "stop"
    )
    assert again == reading
    assert codec.reading_from_dict({"decode_tok_s": "fast"}, {"output": 1}) is None  # damaged


def test_the_readme_documents_exactly_the_shared_fields() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## JSON output\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `((?:usage|meters)\.\w+)` \|", section, re.MULTILINE))
    shared = {f"usage.{key}" for key in USAGE_KEYS} | {f"meters.{key}" for key in METER_KEYS}
    assert documented == shared
