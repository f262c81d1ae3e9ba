"""The runner against a real HTTP server speaking llama.cpp's stream: concurrency per remote
backend, exact usage and cache hits in the results, and resuming without re-sending."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backends.config import PriceOverride, settings_from_dict
from backends.evals.answers import task_prompt
from backends.evals.report import build_report
from backends.evals.runner import EvalRunner, Progress, Strategy, settings_factory
from backends.evals.tasks import Task
from backends.pricing import PriceBook
from backends.request import RequestOptions
from tests.evals.gate_server import (
    ANSWER,
    CACHED_TOKENS,
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    GateServer,
)
from tests.evals.recompute import assert_report_matches, raw_results

MODEL = "openai/gpt-oss-20b"  # what the recorded stream says it is
PRICES = PriceBook({MODEL: PriceOverride(input=1.0, output=4.0)})  # type: ignore[dict-item]


def make_tasks(count: int) -> list[Task]:
    # even tasks expect the recorded answer (40), odd ones something else
    return [
        Task(
            id=f"t{i}",
            prompt=f"question {i}",
            expected=str(ANSWER if i % 2 == 0 else 41),
            check="number",
            tags=("even" if i % 2 == 0 else "odd",),
        )
        for i in range(count)
    ]


def runner_for(url: str, path: Path, tasks: list[Task], **kwargs: object) -> EvalRunner:
    # no retries: an unreachable server fails at once (retrying is the adapter's business)
    entry = {"kind": "llama-server", "base_url": url, "options": {"max_retries": 0}}
    settings = settings_from_dict({"backends": {"srv": entry}})
    return EvalRunner(
        tasks,
        [Strategy("srv", 0), Strategy("srv", None)],
        path,
        make_backend=settings_factory(settings),
        prices=PRICES,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_remote_runs_up_to_concurrency_and_stores_exact_meters(tmp_path: Path) -> None:
    tasks = make_tasks(6)
    server = await GateServer(width=4, expected=12).start()
    seen: list[Progress] = []
    try:
        runner = runner_for(
            server.url, tmp_path / "r.jsonl", tasks, concurrency=4, on_progress=seen.append
        )
        results = await asyncio.wait_for(runner.run(), 60)
    finally:
        await server.stop()
    assert server.max_open == 4  # the gate opens only at 4: fewer would hang, more would show
    assert max(p.running for p in seen) == 4
    assert len(results) == 12 and runner.calls == 12
    # every task through both strategies, each prompt ending with the answer instruction
    sent = sorted(task_prompt(t.prompt, t.check) for t in tasks for _ in range(2))
    assert sorted(server.prompts) == sent
    for result in results:
        assert result.error is None and result.text.endswith("**40\u202f°C**.")
        # "The current weather in Florence, Italy is **40 °C**." has no "Answer:" line, no
        # "the answer is" and is longer than a short answer: strictly, no answer at all
        assert result.correct is False and result.flag == "no-answer"
        assert (result.usage.input, result.usage.cached_input) == (PROMPT_TOKENS, CACHED_TOKENS)
        assert result.usage.output == COMPLETION_TOKENS
        expected_cost = (PROMPT_TOKENS * 1.0 + COMPLETION_TOKENS * 4.0) / 1e6
        assert result.meters.cost_usd == pytest.approx(expected_cost)
    report = build_report(tasks, runner.strategies, results)
    assert_report_matches(report, tmp_path / "r.jsonl")
    row = report.overall[0]
    assert (row.results, row.correct, row.accuracy) == (6, 0, 0.0)
    assert row.cache_hit == pytest.approx(CACHED_TOKENS / PROMPT_TOKENS)
    assert row.cost_total == pytest.approx(6 * expected_cost)
    assert [r.accuracy for r in report.by_tag["even"]] == [0.0, 0.0]
    last = seen[-1]
    assert (last.done, last.total, last.correct, last.errors, last.running) == (12, 12, 0, 0, 0)


async def test_rerun_sends_only_what_is_missing_or_failed(tmp_path: Path) -> None:
    tasks = make_tasks(4)
    path = tmp_path / "r.jsonl"
    server = await GateServer(width=1, expected=8).start()
    try:
        first = runner_for(server.url, path, tasks[:3], concurrency=1)
        await asyncio.wait_for(first.run(), 60)
        assert len(server.prompts) == 6
        # the server goes away: the next task's results are errors, stored as such
        url, port = server.url, server.port
        await server.stop()
        failing = runner_for(url, path, tasks, concurrency=1)
        await asyncio.wait_for(failing.run(), 60)
        assert failing.calls == 2 and failing.resumed == 6
        assert all(r.error is not None for r in failing.results() if r.task_id == "t3")
        server = await GateServer(width=1, expected=2).start(port)  # same URL, same config
        rerun = runner_for(server.url, path, tasks, concurrency=1)
        await asyncio.wait_for(rerun.run(), 60)
    finally:
        await server.stop()
    again = task_prompt("question 3", "number")
    assert server.prompts == [again, again]  # only the failed pairs again
    assert (rerun.calls, rerun.resumed) == (2, 6)
    assert len(raw_results(path)) == 8
    assert all(r.error is None for r in rerun.results())


async def test_rerun_redoes_edited_tasks_and_changed_settings(tmp_path: Path) -> None:
    tasks = make_tasks(2)
    path = tmp_path / "r.jsonl"

    ports: list[int] = []

    async def run(tasks: list[Task], expected: int, **kwargs: object) -> EvalRunner:
        server = await GateServer(width=1, expected=expected).start(*ports[:1])
        ports[:] = [server.port]
        try:
            runner = runner_for(server.url, path, tasks, concurrency=1, **kwargs)
            await asyncio.wait_for(runner.run(), 60)
        finally:
            await server.stop()
        assert runner.calls == len(server.prompts) == expected
        return runner

    await run(tasks, 4, options=RequestOptions(max_tokens=50))
    again = await run(tasks, 0, options=RequestOptions(max_tokens=50))
    assert again.resumed == 4 and len(again.results()) == 4
    edited = [tasks[0], tasks[1].model_copy(update={"prompt": "question 1, reworded"})]
    await run(edited, 2, options=RequestOptions(max_tokens=50))  # only the edited task
    url = f"http://127.0.0.1:{ports[0]}/v1"
    stale = runner_for(url, path, edited, concurrency=1, options=RequestOptions(max_tokens=60))
    assert len(stale.load()) == 4  # other settings: everything is to be redone ...
    assert stale.results() == [] and stale.progress().done == 0  # ... and nothing counts yet
    await run(edited, 4, options=RequestOptions(max_tokens=60))
    other_url = runner_for(
        "http://127.0.0.1:9/v1", path, edited, concurrency=1, options=RequestOptions(max_tokens=60)
    )
    assert len(other_url.load()) == 4  # another server is another configuration
    fresh = runner_for(
        url, path, edited, concurrency=1, options=RequestOptions(max_tokens=60), fresh=True
    )
    assert len(fresh.load()) == 4 and fresh.set_aside is not None  # --fresh starts over
    assert len(fresh.set_aside.read_text().splitlines()) == 10 and not path.exists()
