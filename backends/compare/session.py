"""The columns of one compare view and its rounds: what a compare screen (or the CLI) holds.

Columns are added, removed and reordered between rounds; each keeps its own budget and
conversation. Columns built from the same backend spec share one backend object, so a local
model is loaded once (and its columns take turns; see ``schedule``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from backends.budget import Budget
from backends.compare.column import Column
from backends.compare.runner import (
    CompareRound,
    EventCallback,
    RoundResult,
    StatusCallback,
)
from backends.compare.schedule import LocalScheduler, Policy
from backends.compare.spec import parse_column_spec
from backends.config import Settings
from backends.pool import BackendPool
from backends.pricing import PriceBook
from backends.request import Message, RequestOptions


class CompareSession:
    """Columns plus the rounds run on them.

    ``start_round`` returns the ``CompareRound`` (keep it to ``stop_all``); ``ask`` runs one
    to the end. Changing the columns while a round runs raises ``RuntimeError`` (the screen
    disables those keys meanwhile). ``clock`` times every round's meters (a fixed one in tests).
    ``pool`` holds the columns' backends; a column's backend it does not hold yet is adopted
    (closed by ``aclose``).
    """

    def __init__(
        self,
        columns: Sequence[Column] = (),
        *,
        prices: PriceBook | None = None,
        policy: Policy = "auto",
        cores: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        pool: BackendPool | None = None,
    ) -> None:
        self.clock = clock
        self.columns: list[Column] = list(columns)
        self.pool = pool or BackendPool()
        for column in self.columns:
            self.pool.adopt(column.backend)
        self.prices = prices or PriceBook()
        self.scheduler = LocalScheduler(cores, policy)
        self.rounds: list[RoundResult] = []
        self.current: CompareRound | None = None

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.running

    def _check_idle(self) -> None:
        if self.running:
            raise RuntimeError("columns cannot change while a round is running")

    def add(self, column: Column, index: int | None = None) -> None:
        """Insert ``column`` at ``index`` (default: at the end)."""
        self._check_idle()
        self.pool.adopt(column.backend)
        self.columns.insert(len(self.columns) if index is None else index, column)

    def remove(self, index: int) -> Column:
        """Remove and return the column at ``index`` (its backend stays open; see ``aclose``)."""
        self._check_idle()
        return self.columns.pop(index)

    def move(self, index: int, new_index: int) -> None:
        """Move the column at ``index`` to ``new_index`` (clamped to the ends)."""
        self._check_idle()
        column = self.columns.pop(index)
        self.columns.insert(max(0, min(new_index, len(self.columns))), column)

    def start_round(
        self,
        prompt: str,
        *,
        on_event: EventCallback | None = None,
        on_status: StatusCallback | None = None,
        options: RequestOptions | None = None,
    ) -> CompareRound:
        """Prepare a round on the current columns; ``await round.run()`` to run it."""
        self._check_idle()
        self.current = CompareRound(
            self.columns,
            prompt,
            on_event=on_event,
            on_status=on_status,
            options=options,
            prices=self.prices,
            scheduler=self.scheduler,
            clock=self.clock,
        )
        return self.current

    async def ask(self, prompt: str, **round_args: object) -> RoundResult:
        """Run one round to the end, remember it and return it (arguments: see ``start_round``)."""
        result = await self.start_round(prompt, **round_args).run()  # type: ignore[arg-type]
        self.rounds.append(result)
        return result

    def stop_all(self) -> None:
        """Stop every column of the running round (partial replies are kept)."""
        if self.current is not None:
            self.current.stop_all()

    async def aclose(self) -> None:
        """Close the pool: every backend of the columns (also ones removed earlier) that was
        built or adopted there, never a borrowed one (see ``BackendPool``)."""
        await self.pool.aclose()


def build_columns(
    settings: Settings,
    specs: Sequence[str],
    *,
    default_budget: int | None = 0,
    history: Sequence[Message] = (),
    pool: BackendPool | None = None,
) -> list[Column]:
    """Build one column per ``SPEC[:BUDGET]``; the same backend spec shares one backend.

    ``default_budget`` is used where a spec gives none (``None`` = auto); ``history`` seeds every
    column's conversation (a chat opened in compare). The backends are built in ``pool`` (default:
    a new one for ``settings``); give the same pool to ``CompareSession`` to close them. Raises
    ``ConfigError`` for a bad spec.
    """
    pool = pool or BackendPool.for_settings(settings)
    columns = []
    for text in specs:
        spec = parse_column_spec(text, settings.backends)
        limit = spec.budget if spec.budget_given else default_budget
        columns.append(Column(pool.build(spec.backend), Budget(limit), list(history)))
    return columns
