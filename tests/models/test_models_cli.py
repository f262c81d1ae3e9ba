"""``ponder models`` as a user runs it: a subprocess with HF_ENDPOINT pointed at a local Hub.

huggingface_hub reads HF_ENDPOINT when it is imported, so the CLI runs in its own process with
the variable set, exactly as a user's shell would set it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backends.local.catalog import CATALOG, CatalogEntry
from tests.conftest import free_port
from tests.models.conftest import PULLED
from tests.support.hub_server import HubState
from tests.support.signals import default_sigint
from tui.cli.entry import main

ROOT = Path(__file__).resolve().parents[2]


def ponder(
    tmp: Path, *args: str, endpoint: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PONDER_"))}
    environ.update(
        PONDER_DATA_DIR=str(tmp / "data"),
        HF_HOME=str(tmp / "hf"),
        PONDER_CONFIG=str(tmp / "none.toml"),
        PYTHONPATH=str(ROOT),
        **env,
    )
    if endpoint:
        environ["HF_ENDPOINT"] = endpoint
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp,
        timeout=120,
    )


def test_pull_list_and_run_a_pulled_model(
    tmp_path: Path, hub: tuple[str, HubState], entry: CatalogEntry, tiny_bytes: bytes
) -> None:
    endpoint, state = hub
    pulled = ponder(tmp_path, "models", "pull", PULLED, endpoint=endpoint)
    assert pulled.returncode == 0, pulled.stderr
    assert "100%" in pulled.stderr and "verifying SHA-256" in pulled.stderr
    assert "Traceback" not in pulled.stderr
    assert "SHA-256 verified" in pulled.stdout and f"llama:{PULLED}" in pulled.stdout
    path = tmp_path / "data" / "models" / PULLED / entry.file
    assert path.read_bytes() == tiny_bytes

    listed = ponder(tmp_path, "models", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith(PULLED))
    assert str(path) in line and f"{len(tiny_bytes) / 1e6:.0f} MB" in line

    as_json = json.loads(ponder(tmp_path, "models", "list", "--json").stdout)
    assert as_json == [{"name": PULLED, "size_bytes": len(tiny_bytes), "path": str(path)}]

    again = ponder(tmp_path, "models", "pull", PULLED, endpoint=endpoint)
    assert again.returncode == 0 and "already pulled" in again.stdout
    assert len(state.requests) == 2  # HEAD + GET of the first pull only

    # llama:NAME resolves to the pulled file and llama.cpp loads and runs it.
    ask = ponder(
        tmp_path,
        "ask",
        "-b",
        f"llama:{PULLED}",
        "--budget",
        "off",
        "--max-tokens",
        "4",
        "--seed",
        "1",
        "--no-history",
        "--json",
        "hello",
    )
    assert ask.returncode == 0, ask.stderr
    reply = json.loads(ask.stdout)
    assert reply["usage"]["output"] >= 1, reply
    assert reply["model"] == entry.file and reply["error"] is None


def test_an_offline_pull_prints_one_line(tmp_path: Path) -> None:
    refused = ponder(tmp_path, "models", "pull", PULLED, endpoint=f"http://127.0.0.1:{free_port()}")
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"pulling {PULLED}")
    error = refused.stderr.splitlines()[1:]
    assert len(error) == 1, refused.stderr
    assert error[0].startswith(f"ponder: cannot pull {PULLED}: cannot reach the Hugging Face Hub")

    offline = ponder(tmp_path, "models", "pull", PULLED, HF_HUB_OFFLINE="1")
    assert offline.returncode == 1
    assert offline.stderr.splitlines()[-1].startswith("ponder: cannot pull")
    assert "HF_HUB_OFFLINE" in offline.stderr and "Traceback" not in offline.stderr
    assert not (tmp_path / "data" / "models" / PULLED / "pulled.json").exists()


def test_a_corrupt_pull_fails_with_one_line(
    tmp_path: Path, hub: tuple[str, HubState], entry: CatalogEntry
) -> None:
    endpoint, state = hub
    state.corrupt = True
    result = ponder(tmp_path, "models", "pull", PULLED, endpoint=endpoint)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        f"ponder: checksum mismatch for {entry.file}: the download was corrupt and was deleted"
    )
    left = [p.name for p in (tmp_path / "data" / "models" / PULLED).iterdir()]
    assert left == [".pull.lock"]  # no .part, no file, no manifest


def test_an_unknown_name_lists_the_catalogue(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "pull", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown model 'no-such-model'" in err and "qwen3-1.7b" in err


def _names(table: str) -> list[str]:
    return [line.split()[0] for line in table.splitlines() if line.strip()]


def test_the_catalogue_lists_every_model_with_its_fit(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models"]) == 0
    table = capsys.readouterr().out
    for model in CATALOG:
        assert f"{model.repo}/{model.file}" in table
        assert re.search(rf"^{re.escape(model.name)} .*(yes|no|not now|unknown)", table, re.M)
    for same in (["models", "catalogue"], ["models", "list", "--all"]):
        assert main(same) == 0
        assert _names(capsys.readouterr().out) == _names(table)
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == [m.name for m in CATALOG]
    assert all(row["fits"] in (True, False, None) and row["fit"] for row in rows)
    assert all(row["pulled"] is None for row in rows)
    assert main(["models", "list"]) == 0
    assert "no models pulled yet" in capsys.readouterr().out


def test_an_unpulled_catalogue_name_says_how_to_pull_it(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ask", "-b", "llama:qwen3-4b", "--no-history", "hello"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.splitlines()[-1] == (
        "ponder: qwen3-4b is not pulled yet — pull it with: ponder models pull qwen3-4b"
    )


def test_ctrl_c_stops_a_pull_and_says_how_to_resume(
    tmp_path: Path, hub: tuple[str, HubState], entry: CatalogEntry
) -> None:
    endpoint, state = hub
    state.hold_after = 1024
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PONDER_"))}
    environ.update(
        PONDER_DATA_DIR=str(tmp_path / "data"),
        HF_HOME=str(tmp_path / "hf"),
        PONDER_CONFIG=str(tmp_path / "none.toml"),
        PYTHONPATH=str(ROOT),
        HF_ENDPOINT=endpoint,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "models", "pull", PULLED],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=environ,
        cwd=tmp_path,
        preexec_fn=default_sigint,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith(f"pulling {PULLED}")
        # The bar's first line comes once the GET's headers arrived; the server holds the rest.
        assert "0%" in proc.stderr.readline()
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130
    finally:
        state.release.set()
        proc.kill()
    assert rest.strip().splitlines()[-1] == (
        f"ponder: pull stopped — `ponder models pull {PULLED}` resumes it"
    )
    assert (tmp_path / "data" / "models" / PULLED / f"{entry.file}.part").exists()
    assert "Traceback" not in rest
