"""``ponder eval`` argument handling and errors (no model needed), and the progress bar."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from backends.config import settings_from_dict
from backends.errors import ConfigError
from backends.evals.results import RequestSettings, ResultsFile
from backends.evals.runner import Progress, Strategy
from backends.evals.tasks import load_tasks, sample_tasks_path
from backends.request import RequestOptions
from tests.evals.cli_support import run_ponder
from tests.evals.factories import result
from tui.cli.eval import ProgressBar, parse_strategies


def test_parse_strategies_uses_compare_specs_and_default_budget() -> None:
    settings = settings_from_dict({"default_budget": 256, "backends": {"srv": {"kind": "vllm"}}})
    strategies = parse_strategies(
        ["local:0", "local", "srv:4k", "http://127.0.0.1:8080/v1:auto", "llama:/m.gguf:64"],
        settings,
    )
    assert strategies == [
        Strategy("local", 0),
        Strategy("local", 256),
        Strategy("srv", 4096),
        Strategy("http://127.0.0.1:8080/v1", None),
        Strategy("llama:/m.gguf", 64),
    ]
    with pytest.raises(ConfigError, match="local:0 is given twice"):
        parse_strategies(["local:0", "local:off"], settings)


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    code = run_ponder(monkeypatch, "--config", "/nonexistent/ponder.toml", *argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bad_task_file_exits_2_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "t.jsonl"
    tasks.write_text('{"id": "a", "prompt": "p", "expected": "1"}\n{"id": "b"}\n')
    code, out, err = run_cli(monkeypatch, capsys, "eval", str(tasks), "--results", "x.jsonl")
    assert code == 2 and out == ""
    assert f"ponder: {tasks}:2: " in err and "prompt: Field required" in err


def test_unknown_backend_exits_2_before_any_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "r.jsonl"
    code, _, err = run_cli(
        monkeypatch, capsys, "eval", "sample", "-b", "nosuchkind:model:0", "--results", str(results)
    )
    assert code == 2 and "unknown backend kind 'nosuchkind'" in err
    assert not results.exists()


def test_usage_errors(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["eval"], ["eval", "sample", "--concurrency", "0"]):
        with pytest.raises(SystemExit) as info:
            run_cli(monkeypatch, capsys, *argv)
        assert info.value.code == 2


def test_everything_already_done_reports_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rerun with nothing left to do sends no request and prints the stored numbers (the
    backend is a closed port: any request would fail)."""
    from backends.evals.runner import EvalRunner, settings_factory

    spec = "http://127.0.0.1:9/v1:0"
    tasks = load_tasks(sample_tasks_path()).head(2)
    store = ResultsFile(tmp_path / "r.jsonl")
    settings = settings_from_dict({})
    strategy = parse_strategies([spec], settings)[0]
    runner = EvalRunner(
        tasks,
        [strategy],
        store.path,
        make_backend=settings_factory(settings),
        options=RequestOptions(max_tokens=settings.max_tokens, seed=0),
    )
    runner.load()
    for task, correct in zip(tasks.tasks, (True, False), strict=True):
        stored = result(task.id, strategy.key, correct=correct, tags=task.tags)
        store.append(
            stored.model_copy(
                update={
                    "task_fingerprint": task.fingerprint(),
                    "config_key": runner.config_key(strategy),
                    "settings": RequestSettings(max_tokens=settings.max_tokens, seed=0),
                }
            )
        )
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        "eval",
        "sample",
        "--limit",
        "2",
        "-b",
        spec,
        "--results",
        str(store.path),
        "--json",
    )
    assert code == 0, err
    row = json.loads(out)["overall"][0]
    assert (row["strategy"], row["results"], row["correct"], row["accuracy"]) == (
        strategy.key,
        2,
        1,
        0.5,
    )
    assert "0 to run, 2 already done" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_tty_and_plain() -> None:
    done = result("t<\x1b[31m>", "local:0", correct=False)
    progress = Progress(total=4, done=2, resumed=1, errors=0, correct=1, running=1, result=done)
    tty = Terminal()
    bar = ProgressBar(tty)
    bar(progress)
    bar.close()
    assert tty.getvalue() == (
        "\r[############............] 2/4  correct 1  errors 0  running 1\x1b[K\n"
    )
    plain = io.StringIO()
    ProgressBar(plain)(progress)
    assert plain.getvalue() == "[2/4] local:0 t<␛[31m> wrong\n"  # control characters shown
