"""Interrupted runs resume where they stopped: finished (task, strategy) pairs are not redone.

Two ways to stop a run on the tiny local model: cancel the runner after three stored results
(in-process, exact), and SIGKILL a ``ponder eval`` process part-way. Each rerun counts the
requests its backends are sent: exactly the pairs missing from the results file.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backends.answer_room import fit_budget
from backends.evals.answers import task_prompt
from backends.evals.results import ResultsFile
from backends.evals.runner import EvalRunner, Progress, Strategy, settings_factory
from backends.evals.tasks import TaskSet, load_tasks, sample_tasks_path
from backends.request import RequestOptions
from tests.evals.cli_support import CLI_CODE
from tests.evals.local_support import counting_factory, tiny_config, tiny_settings
from tests.evals.recompute import raw_results
from tests.support.signals import default_sigint

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = [Strategy("tiny", 0), Strategy("tiny", 64)]


def missing_calls(
    tasks: TaskSet, done: set[tuple[str, str]], max_tokens: int
) -> list[tuple[str, int | None]]:
    """(prompt sent, budget after the answer-room clamp) of every pair not in ``done``,
    sorted (the runner shuffles)."""
    return sorted(
        (task_prompt(task.prompt, task.check), fit_budget(strategy.budget, max_tokens).budget)
        for task in tasks.tasks
        for strategy in STRATEGIES
        if (task.id, strategy.key) not in done
    )


async def resume(tiny_gguf: Path, tasks: TaskSet, path: Path, max_tokens: int) -> None:
    """Rerun and check: only the missing pairs are sent, and every pair is stored once."""
    done = {(r.task_id, r.strategy) for r in ResultsFile(path).load()}
    calls: list[tuple[str, int | None]] = []
    rerun = EvalRunner(
        tasks,
        STRATEGIES,
        path,
        make_backend=counting_factory(tiny_settings(tiny_gguf), calls),
        options=RequestOptions(max_tokens=max_tokens),
    )
    results = await rerun.run()
    assert sorted(calls, key=str) == sorted(missing_calls(tasks, done, max_tokens), key=str)
    assert (rerun.resumed, rerun.calls) == (len(done), len(calls))
    assert len(results) == 2 * len(tasks)
    stored = [(r["task_id"], r["strategy"]) for r in raw_results(path)]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(stored)) == 2 * len(tasks)  # nothing stored twice


async def test_cancelled_run_resumes(tiny_gguf: Path, tmp_path: Path) -> None:
    tasks = load_tasks(sample_tasks_path()).head(4)
    path = tmp_path / "r.jsonl"
    running: list[asyncio.Task[object]] = []

    def stop_after_three(progress: Progress) -> None:
        if progress.result is not None and progress.done == 3:
            running[0].cancel()

    first = EvalRunner(
        tasks,
        STRATEGIES,
        path,
        on_progress=stop_after_three,
        make_backend=settings_factory(tiny_settings(tiny_gguf)),
        options=RequestOptions(max_tokens=16),
    )
    running.append(asyncio.ensure_future(first.run()))
    with pytest.raises(asyncio.CancelledError):
        await running[0]
    assert first.calls == 4  # the fourth request was in flight when the run was cancelled
    assert len(raw_results(path)) == 3  # ... and was not stored
    await resume(tiny_gguf, tasks, path, 16)


def start_eval(tiny_gguf: Path, tmp_path: Path, path: Path) -> subprocess.Popen[str]:
    """``ponder eval`` of the whole sample set on the tiny model, in a child process."""
    config = tiny_config(tiny_gguf, tmp_path / "config.toml")
    command = [
        sys.executable,
        "-c",
        CLI_CODE,
        "--config",
        str(config),
        "eval",
        "sample",
        "--backend",
        "tiny:0",
        "--backend",
        "tiny:64",
        "--max-tokens",
        "48",
        "--results",
        str(path),
    ]
    env = {**os.environ, "PONDER_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )


def stop_after(proc: subprocess.Popen[str], results: int, total: int, sig: int) -> str:
    """Read progress lines until ``results`` are stored, send ``sig``; return the rest of
    stderr once the process has ended."""
    assert proc.stderr is not None
    try:
        for line in proc.stderr:  # one progress line per stored result (stderr is not a TTY)
            if re.match(rf"\[\s*{results}/{total}\] ", line):
                break
        else:
            pytest.fail(f"no progress line; exit code {proc.wait()}")
        proc.send_signal(sig)
        return proc.stderr.read()
    finally:
        proc.wait()
        proc.stderr.close()


async def test_killed_process_resumes(tiny_gguf: Path, tmp_path: Path) -> None:
    tasks = load_tasks(sample_tasks_path())
    path = tmp_path / "r.jsonl"
    total = 2 * len(tasks)
    proc = start_eval(tiny_gguf, tmp_path, path)
    stop_after(proc, 3, total, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    stored = len(ResultsFile(path).load())
    assert 3 <= stored < total  # killed part-way, with at least what it reported
    await resume(tiny_gguf, tasks, path, 48)


def test_interrupted_process_says_how_to_resume(tiny_gguf: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    total = 2 * len(load_tasks(sample_tasks_path()))
    proc = start_eval(tiny_gguf, tmp_path, path)
    rest = stop_after(proc, 2, total, signal.SIGINT)
    assert proc.returncode == 130
    stored = len(ResultsFile(path).load())
    assert 2 <= stored < total
    assert f"interrupted; {stored} results kept in {path}" in rest
    assert "run the same command again to resume" in rest
