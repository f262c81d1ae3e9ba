"""Read back the key tables ponder shows (F1 help, the README) to compare them with the bindings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tui.chat.help import KEY_WIDTH

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass
class Row:
    key: str
    description: str
    binding_id: str


def help_rows(table: str) -> list[Row]:
    """The F1 table's rows: a key column, a description (wrapped lines joined), an id."""
    rows: list[Row] = []
    pending_key = ""
    for line in table.splitlines():
        key = line[:KEY_WIDTH].strip()
        match = re.fullmatch(r"(.*?)(?:\s{2,}([a-z_0-9]+))?", line[KEY_WIDTH:].rstrip())
        assert match is not None
        text, binding_id = match.group(1).strip(), match.group(2) or ""
        if key and not text:  # a long key list on a line of its own
            pending_key = key
            continue
        if not key and not pending_key and rows:  # a wrapped description line
            rows[-1].description += " " + text
            continue
        rows.append(Row(key or pending_key, text, binding_id))
        pending_key = ""
    return rows


def readme_rows(heading: str) -> list[Row]:
    """``| `id` | key | what |`` rows of the first table after the README line ``heading``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    rows = []
    for line in text[start:].splitlines()[1:]:
        match = re.fullmatch(r"\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|", line.strip())
        if match:
            rows.append(Row(match.group(2).strip(), match.group(3).strip(), match.group(1)))
        elif rows and not line.startswith("|"):
            break
    return rows
