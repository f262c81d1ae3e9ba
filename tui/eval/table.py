"""The eval report table: one row per strategy (backend x budget x samples) over one group."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from backends.evals.report import COLUMNS, StrategyStats, table_row
from backends.pricing import format_usd
from tui.safe_text import printable

UNKNOWN = "unknown"
FRONTIER = "★"

# (column key, header = the name of the same column in ``backends.evals.report.COLUMNS``)
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("strategy", "strategy"),
    ("n", "n"),
    ("acc", "acc"),
    ("ci", "95% CI"),
    ("cost", "cost/q"),
    ("total", "cost total"),
    ("reasoning", "reason tok/q"),
    ("cache", "cache hit"),
    ("p50", "p50 s"),
    ("p95", "p95 s"),
    ("ttft50", "TTFT p50"),
    ("ttft95", "TTFT p95"),
    ("ans50", "ans p50"),
    ("ans95", "ans p95"),
    ("echo", "echo"),
    ("errors", "errors"),
    ("frontier", "frontier"),
)


def cost_text(value: float | None, results: int, approx: bool = False) -> str:
    """``-`` before any result, ``unknown`` for an unknown cost, else ``$0.0012`` (``≈$...``
    for a local hardware-time estimate)."""
    if results == 0:
        return "-"
    return UNKNOWN if value is None else format_usd(value, approx=approx)


def frontier_text(row: StrategyStats) -> str:
    """``★`` on the cost/accuracy frontier, ``?`` not placed (cost unknown), else blank."""
    if row.results == 0:
        return ""
    return {True: FRONTIER, False: "", None: "?"}[row.frontier]


def row_cells(row: StrategyStats) -> dict[str, str]:
    """The text of every cell of ``row``, by column key (numbers as the text report has them)."""
    report = dict(zip(COLUMNS, table_row(row), strict=True))
    cells = {key: report[header] for key, header in TABLE_COLUMNS}
    cells["cost"] = cost_text(row.cost_per_query, row.results, row.cost_approx)
    cells["total"] = cost_text(row.cost_total, row.results, row.cost_approx)
    cells["frontier"] = frontier_text(row)
    return cells


def cell(key: str, text: str) -> Text:
    """A cell as plain text (never markup): the strategy left-aligned, numbers right."""
    if key in ("strategy", "frontier"):
        return Text(printable(text), justify="left")
    return Text(printable(text), justify="right")


class ReportTable(DataTable[Text]):
    """The live table. ``show(rows)`` updates cells in place so the cursor stays where it is.

    Row keys are strategy keys (``BACKEND:BUDGET``): a ``RowSelected`` names the strategy.
    """

    DEFAULT_CSS = """
    ReportTable { height: auto; max-height: 12; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._keys: list[str] = []

    def on_mount(self) -> None:
        for key, header in TABLE_COLUMNS:
            self.add_column(cell(key, header), key=key)

    def show(self, rows: Sequence[StrategyStats]) -> None:
        """Show ``rows``; the same strategies as before are updated in place."""
        keys = [row.strategy for row in rows]
        if keys != self._keys:
            self.clear()
            self._keys = keys
            for row in rows:
                cells = row_cells(row)
                self.add_row(*(cell(k, cells[k]) for k, _ in TABLE_COLUMNS), key=row.strategy)
            return
        for row in rows:
            for key, text in row_cells(row).items():
                self.update_cell(row.strategy, key, cell(key, text), update_width=True)

    @property
    def strategy_keys(self) -> list[str]:
        """The strategies shown, in row order."""
        return list(self._keys)
