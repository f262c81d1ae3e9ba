"""``ponder models``: the catalogue of reasoning GGUFs, what is on disk, and ``pull``.

``ponder models`` (also ``models catalogue`` and ``models list --all``) lists the catalogue with
each model's repository and file, size, memory needs and whether it fits this machine.
``ponder models list`` shows the pulled files; ``ponder models pull NAME`` downloads one (a
progress bar on stderr), after which ``llama:NAME`` runs it. huggingface_hub is imported only by
``pull``, so the other commands and ponder's start-up never pay for it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import IO, Any

from tui.safe_text import printable


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``models`` (with ``catalogue``, ``list`` and ``pull``) to the ``ponder`` command."""
    models = sub.add_parser(
        "models", help="reasoning models you can pull (catalogue), pulled ones (list), pull NAME"
    )
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(run=run_catalogue)
    actions = models.add_subparsers(dest="models_command", metavar="ACTION")
    cat = actions.add_parser("catalogue", aliases=["catalog"], help="the catalogue (the default)")
    cat.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cat.set_defaults(run=run_catalogue)
    listing = actions.add_parser("list", help="the models on disk (name, size, path)")
    listing.add_argument("--all", action="store_true", help="the whole catalogue instead")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(run=run_list)
    pull = actions.add_parser("pull", help="download a catalogue model (resumable, verified)")
    pull.add_argument("name", metavar="NAME", help="a name from `ponder models`")
    pull.set_defaults(run=run_pull)


def _entry(name: str) -> Any:
    from backends.errors import ConfigError
    from backends.local.catalog import CATALOG, find

    entry = find(name)
    if entry is None:
        names = ", ".join(e.name for e in CATALOG)
        raise ConfigError(f"unknown model {printable(name)!r}", f"pick one of: {names}")
    return entry


def _size(entry: Any) -> str:
    from backends.local.catalog import gb

    return ("" if entry.size_exact else "~") + gb(entry.size)


def catalogue_rows() -> list[dict[str, Any]]:
    """One dict per catalogue model: its data, estimates, fit and pulled path."""
    from backends.local.catalog import CATALOG, DEFAULT_CTX, fit, pulled_path, this_machine

    machine = this_machine()
    rows = []
    for entry in CATALOG:
        fits, why = fit(entry, machine)
        pulled = pulled_path(entry.name)
        rows.append(
            {
                "name": entry.name,
                "repo": entry.repo,
                "file": entry.file,
                "size_bytes": entry.size,
                "size_exact": entry.size_exact,
                "quant": entry.quant,
                "params": entry.params,
                "ram_bytes_estimate": entry.ram_needed(),
                "vram_bytes_estimate": entry.vram_needed(),
                "n_ctx": DEFAULT_CTX,
                "thinking_format": entry.thinking_format,
                "licence": entry.licence,
                "fits": fits,
                "fit": why,
                "pulled": str(pulled) if pulled else None,
            }
        )
    return rows


def run_catalogue(settings: Any, args: argparse.Namespace) -> int:
    """The catalogue table (or JSON); returns the exit code."""
    from backends.local.catalog import CATALOG, COMPUTE_ALLOWANCE, DEFAULT_CTX, gb

    rows = catalogue_rows()
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2))
        return 0
    head = f"{'NAME':<22}{'SIZE':>9} {'QUANT':<7}{'RAM*':>9}{'VRAM*':>9}  {'THINKING':<9}"
    print(f"{head}{'LICENCE':<12}FITS THIS MACHINE")
    for entry, row in zip(CATALOG, rows, strict=True):
        print(
            f"{entry.name:<22}{_size(entry):>9} {entry.quant:<7}"
            f"{gb(entry.ram_needed()):>9}{gb(entry.vram_needed()):>9}  "
            f"{entry.thinking_format:<9}{entry.licence:<12}{row['fit']}"
        )
        state = f"pulled: {printable(row['pulled'])}" if row["pulled"] else ""
        print(f"  {entry.repo}/{entry.file}  {state}".rstrip())
    print(
        f"\n* estimates: the file + the KV cache for a {DEFAULT_CTX}-token context + "
        f"{gb(COMPUTE_ALLOWANCE)} of compute buffers; ~ marks a size rounded from the model card."
    )
    print("pull one with `ponder models pull NAME`, then chat with `ponder -b llama:NAME`.")
    return 0


def run_list(settings: Any, args: argparse.Namespace) -> int:
    """``ponder models list``: pulled models (``--all``: the catalogue)."""
    if args.all:
        return run_catalogue(settings, args)
    from backends.local.catalog import CATALOG, gb, pulled_models
    from backends.local.pull import part_path

    pulled = pulled_models()
    partial = [(e, part_path(e)) for e in CATALOG if part_path(e).is_file()]
    if args.json:
        rows = [{"name": p.name, "size_bytes": p.size, "path": str(p.path)} for p in pulled]
        print(json.dumps(rows, indent=2))
        return 0
    if not pulled and not partial:
        print("no models pulled yet — see `ponder models`, then `ponder models pull NAME`")
        return 0
    for model in pulled:
        print(f"{printable(model.name):<22}{gb(model.size):>9}  {printable(str(model.path))}")
    for entry, part in partial:
        have = gb(part.stat().st_size)
        print(f"{entry.name:<22}{have:>9}  partial: `ponder models pull {entry.name}` resumes it")
    return 0


def run_pull(settings: Any, args: argparse.Namespace) -> int:
    """``ponder models pull NAME``: download with a progress bar on stderr, verify, report."""
    from backends.local.catalog import gb, pulled_path
    from backends.local.pull import pull

    entry = _entry(args.name)
    already = pulled_path(entry.name)
    if already is not None:
        print(f"{entry.name} is already pulled: {printable(str(already))}")
        print(f"use it with: ponder -b llama:{entry.name}")
        return 0
    print(f"pulling {entry.name} from {entry.repo}/{entry.file}", file=sys.stderr)
    bar = StderrProgress(entry.name)
    try:
        model = pull(entry, bar, on_stage=bar.stage)
    except KeyboardInterrupt:
        bar.close()
        print(
            f"ponder: pull stopped — `ponder models pull {entry.name}` resumes it", file=sys.stderr
        )
        raise
    finally:
        bar.close()
    print(f"pulled {entry.name} ({gb(model.size)}, SHA-256 verified): {printable(str(model.path))}")
    print(f"use it with: ponder -b llama:{entry.name}")
    return 0


class StderrProgress:
    """A download bar on stderr: redrawn in place on a terminal, one line per 10% otherwise."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic()
        self.first: int | None = None
        self.last_draw = 0.0
        self.last_decile = -1
        self.open_line = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = done
        finished = total is not None and done >= total
        if self.tty:
            if finished or now - self.last_draw >= 0.1:
                self.stream.write("\r" + self.line(done, total, now))
                self.open_line = True
                self.last_draw = now
        else:
            decile = 10 * done // total if total else 0
            if decile > self.last_decile:
                self.stream.write(self.line(done, total, now) + "\n")
                self.last_decile = decile
        self.stream.flush()

    def line(self, done: int, total: int | None, now: float) -> str:
        from backends.local.catalog import gb

        rate = (done - (self.first or 0)) / max(now - self.start, 1e-6)
        if not total:
            return f"{self.label}  {gb(done)}  {rate / 1e6:.1f} MB/s"
        width = 24
        filled = width * done // total
        bar = "█" * filled + "░" * (width - filled)
        return (
            f"{self.label}  {bar} {done / total:4.0%}  {gb(done)} / {gb(total)}"
            f"  {rate / 1e6:.1f} MB/s"
        )

    def stage(self, what: str) -> None:
        self.close()
        self.stream.write(f"{what}…\n")
        self.stream.flush()

    def close(self) -> None:
        if self.open_line:
            self.stream.write("\n")
            self.open_line = False
