"""``ponder compare`` headless: the table and summary, ``--json``'s shape, errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compare.chat_server import ChatServer, Script
from tests.conftest import free_port
from tui.cli import entry as cli


@pytest.fixture(autouse=True)
def compare_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    if "tui.cli.compare" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "tui.cli.compare"])


@pytest.fixture
def config(tmp_path: Path, tiny_gguf: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[backends.tiny]
kind = "llama"
model = "{tiny_gguf}"
options = {{ n_threads = 1, n_threads_batch = 1, n_ctx = 512, seed = 3 }}

[backends.dead]
kind = "openai-compat"
base_url = "http://127.0.0.1:{free_port()}/v1"
options = {{ max_retries = 0 }}
""",
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), "compare", *args])


def test_table_and_summary(
    config: Path, chat_server: ChatServer, other_server: ChatServer, capsys: pytest.CaptureFixture
) -> None:
    chat_server.script = Script(answer="4", reasoning="two and two")
    other_server.script = Script(answer="**4.0**")
    a = f"127.0.0.1:{chat_server.url.split(':')[2].split('/')[0]}"
    b = f"127.0.0.1:{other_server.url.split(':')[2].split('/')[0]}"
    code = run(
        config,
        "-b",
        "tiny:0",
        "-b",
        f"{chat_server.url}:64",
        "-b",
        other_server.url,
        "--budget",
        "off",
        "--max-tokens",
        "12",
        "What is 2+2?",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\r" not in err and "\x1b" not in out  # nothing streamed, nothing interleaved
    lines = out.splitlines()
    assert lines[0].startswith("── 1 · tiny @off ")
    assert f"── 2 · {a} @64 " in out and f"── 3 · {b} @off " in out
    assert "(thought 3 tokens; --json shows the thinking)" in out  # the server's count
    header = next(line for line in lines if line.startswith("#"))
    assert header.split() == [
        "#",
        "column",
        "stop",
        "in",
        "cache",
        "out",
        "reasoning",
        "cost",
        "TTFT",
        "total",
        "tok/s",
    ]
    rows = lines[lines.index(header) + 1 : lines.index(header) + 4]
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]
    assert rows[0].split()[1:4] == ["tiny", "@off", "length"]
    assert rows[1].split()[1:3] == [a, "@64"] and rows[1].split()[3] == "stop"
    assert rows[1].split()[7] == "3"  # reasoning tokens reported by the server
    summary = lines[lines.index(header) + 5 :]
    assert any(line.startswith("fastest total: ") for line in summary)
    assert any(line.startswith("fewest reasoning: ") and a in line for line in summary)
    assert not any("(-" in line for line in summary)
    agreement = next(line for line in summary if line.startswith("agreement: "))
    assert f'{a} @64 = {b} @off ("4")' in agreement
    assert summary[-1].startswith("round: ")


def test_json_shape(
    config: Path, chat_server: ChatServer, other_server: ChatServer, capsys: pytest.CaptureFixture
) -> None:
    chat_server.script = Script(answer="Paris", reasoning="France capital", prompt_tokens=20)
    other_server.script = Script(answer="Lyon")
    code = run(
        config,
        "--json",
        "-b",
        "tiny:0",
        "-b",
        f"{chat_server.url}:4k",
        "-b",
        f"{other_server.url}:0",
        "--max-tokens",
        "10",
        "Capital?",
    )
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"prompt", "wall_s", "columns", "summary"}
    assert data["prompt"] == "Capital?"
    tiny, remote, other = data["columns"]
    assert set(remote) == {
        "index",
        "label",
        "backend",
        "kind",
        "model",
        "text",
        "thinking",
        "stop_reason",
        "error",
        "usage",
        "meters",
        "budget",
        "queued_s",
        "notes",
    }
    assert (remote["text"], remote["thinking"]) == ("Paris", "France capital")
    assert remote["usage"]["input"] == 20 and remote["usage"]["reasoning"] == 2
    assert remote["budget"]["requested"] == "4096" and other["budget"]["requested"] == "off"
    assert tiny["kind"] == "llama" and tiny["usage"]["output"] == 10
    assert tiny["meters"]["cost_usd"] > 0  # local: wall time x the documented default price
    for column in data["columns"]:
        assert column["stop_reason"] in ("stop", "length") and column["error"] is None
        assert set(column["meters"]) >= {"ttft_s", "total_s", "decode_tok_s", "cost_usd", "line"}
        assert column["meters"]["total_s"] > 0
    summary = data["summary"]
    assert set(summary) == {
        "cheapest",
        "fastest_ttft",
        "fastest_total",
        "fewest_reasoning",
        "most_reasoning",
        "unpriced",
        "excluded",
        "agreement",
        "lines",
    }
    totals = {c["label"]: c["meters"]["total_s"] for c in data["columns"]}
    assert [b["label"] for b in summary["fastest_total"]["best"]] == [
        min(totals, key=totals.__getitem__)
    ]
    # Two distinct reasoning counts: "most" would repeat "fewest" backwards, so it is null.
    assert summary["most_reasoning"] is None
    assert summary["fewest_reasoning"]["others"][-1]["label"] == remote["label"]
    assert summary["excluded"] == []


def test_a_failed_column_is_reported_and_the_others_kept(
    config: Path, chat_server: ChatServer, capsys: pytest.CaptureFixture
) -> None:
    chat_server.script = Script(answer="Hi \x1b[2J there")
    code = run(config, "-b", "dead:0", "-b", chat_server.url, "Hello")
    out, _ = capsys.readouterr()
    assert code == 1
    assert "error: cannot reach http://127.0.0.1:" in out
    assert "Hi ␛[2J there" in out  # model text is data: control characters made visible
    assert "not compared (stopped or failed): dead @off" in out


def test_needs_two_columns(config: Path, capsys: pytest.CaptureFixture) -> None:
    assert run(config, "-b", "tiny:0", "Hello") == 2
    assert "compare needs at least two columns" in capsys.readouterr().err


def test_bad_budget_in_the_spec_is_not_split_off(
    config: Path, capsys: pytest.CaptureFixture
) -> None:
    # "tiny:lots" is not a budget, so it is a spec of kind "tiny", which does not exist.
    assert run(config, "-b", "tiny:lots", "-b", "tiny:0", "Hello") == 2
    assert "unknown backend kind 'tiny'" in capsys.readouterr().err


def test_budgets_over_the_cap_are_one_line_errors(
    config: Path, capsys: pytest.CaptureFixture
) -> None:
    # the same parser reads a column's :BUDGET and --budget, with the same limit
    assert run(config, "-b", "tiny:20000000", "-b", "tiny:0", "Hello") == 2
    err = capsys.readouterr().err
    assert "column 'tiny:20000000': budget must be at most 10,000,000 tokens" in err
    assert "Traceback" not in err
    with pytest.raises(SystemExit):
        run(config, "-b", "tiny:0", "-b", "tiny:64", "--budget", "20000000", "Hello")
    assert "budget must be at most 10,000,000 tokens" in capsys.readouterr().err


def test_progress_line_overwrites_itself() -> None:
    import io

    from backends.events import TextDelta
    from tui.cli.compare import Progress

    err = io.StringIO()
    progress = Progress(err, ["a @off", "b @64"])
    progress.status(0, "running")
    progress.status(1, "queued")
    progress.event(0, TextDelta("x"))
    progress.draw()
    progress.clear()
    frames = err.getvalue().split("\r\x1b[K")
    assert frames[0] == "" and frames[-1] == ""
    assert frames[2] == "a @off: running | b @64: queued"
    assert frames[-2] == "a @off: running (1) | b @64: queued"
    assert "\n" not in err.getvalue()
