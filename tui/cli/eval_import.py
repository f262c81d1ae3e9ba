"""``ponder eval import reasoning-gym NAME --n 50 --seed 1 [--out FILE]``: write a task set.

Each generated question becomes a task; an answer that is one number is checked with ponder's
``number`` checker, every other answer with reasoning-gym's own scorer (``check: "scorer"``).
reasoning-gym is an optional extra; without it the command fails with one line saying so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from backends.errors import ConfigError
from backends.evals.checks import answer_numbers
from backends.evals.scorer import ScorerMissing, reasoning_gym
from tui.safe_text import printable

SOURCES = ("reasoning-gym",)


def tasks_from_reasoning_gym(name: str, n: int, seed: int) -> list[dict[str, object]]:
    """``n`` tasks of reasoning-gym's ``name`` generator with ``seed``, as task-set lines."""
    module = reasoning_gym()
    try:
        data = module.create_dataset(name, size=n, seed=seed)
    except Exception as exc:  # an unknown generator name, bad size
        raise ConfigError(
            f"reasoning-gym cannot make {name!r}: {exc}",
            "see reasoning_gym.factory.DATASETS for the names",
        ) from None
    out: list[dict[str, object]] = []
    for index in range(n):
        entry = data[index]
        answer = str(entry["answer"])
        task: dict[str, object] = {
            "id": f"{name}-{seed}-{index}",
            "prompt": str(entry["question"]).strip(),
            "expected": answer,
            "tags": ["reasoning-gym", name],
        }
        if (
            len(answer_numbers(answer)) == 1
            and answer.strip().lstrip("-").replace(".", "", 1).isdigit()
        ):
            task["check"] = "number"
        else:
            task["check"] = "scorer"
            task["scorer"] = {"reasoning_gym": name, "seed": seed, "size": n, "index": index}
        out.append(task)
    return out


def run_import(args: argparse.Namespace) -> int:
    """Write the imported task set (``--out``, default ``NAME.jsonl``); print where."""
    if len(args.extra) != 2 or args.extra[0] not in SOURCES:
        raise ConfigError(
            "usage: ponder eval import reasoning-gym NAME [--n 50] [--seed 1] [--out FILE]",
            "the only source is reasoning-gym",
        )
    name = args.extra[1]
    try:
        tasks = tasks_from_reasoning_gym(name, args.n, args.seed)
    except ScorerMissing as exc:
        sys.stderr.write(f"ponder: {exc}\n")
        return 2
    path = Path(args.out or f"{name}.jsonl").expanduser()
    lines = [json.dumps(task, ensure_ascii=False) for task in tasks]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {len(tasks)} tasks to {printable(str(path))}\n")
    return 0
