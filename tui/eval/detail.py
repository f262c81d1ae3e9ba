"""The full messages behind one strategy's row: prompt, expected, thinking, answer, verdict.

Model text (answer, thinking, error messages) is data: it goes into ``Content`` objects with
control characters made visible, never through markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from backends.evals.results import TaskResult
from backends.evals.tasks import Task
from backends.meter_lines import format_seconds
from backends.pricing import format_usd
from tui.safe_text import printable


def verdict(result: TaskResult) -> str:
    """``✓ correct``, ``✗ wrong``, or ``! error: Kind: message``."""
    if result.error is not None:
        return f"! error: {result.error.kind}: {result.error.message}"
    flag = f" ({result.flag})" if result.flag else ""
    return "✓ correct" if result.correct else f"✗ wrong{flag}"


def meter_text(result: TaskResult) -> str:
    """``in 42 · out 10 · reasoning 5 · $0.0001 · TTFT 0.12s · 1.30s · stop``."""
    usage, meters = result.usage, result.meters
    parts = [f"in {usage.input}", f"out {usage.output}"]
    if usage.reasoning is not None:
        parts.append(f"reasoning {usage.reasoning}")
    cost = format_usd(meters.cost_usd, estimated=meters.cost_estimated, approx=meters.cost_approx)
    parts.append(cost)
    if meters.ttft_s is not None:
        parts.append(f"TTFT {format_seconds(meters.ttft_s, 2)}")
    if meters.first_answer_s is not None:
        parts.append(f"answer {format_seconds(meters.first_answer_s, 2)}")
    if result.votes:
        parts.append("votes " + "/".join(vote or "-" for vote in result.votes))
    if meters.total_s is not None:
        parts.append(format_seconds(meters.total_s, 2))
    parts.append(result.stop_reason)
    return " · ".join(parts)


def field(label: str, body: str) -> Content:
    """``label`` in bold, then ``body`` as literal text."""
    return Content.assemble((f"{label}: ", "bold"), printable(body))


class ResultView(Vertical):
    """One task's result for one strategy."""

    DEFAULT_CSS = """
    ResultView { height: auto; margin: 0 0 1 0; padding: 0 1; border-left: wide $user-border; }
    ResultView.-wrong { border-left: wide $error-fg; }
    ResultView .eval-verdict { text-style: bold; }
    ResultView .eval-thinking {
        color: $thinking-fg; background: $thinking-bg; border-left: wide $thinking-border;
        padding: 0 1;
    }
    ResultView .eval-answer { color: $answer-fg; }
    ResultView .eval-meter { color: $meter-fg; }
    """

    def __init__(self, task: Task | None, result: TaskResult) -> None:
        super().__init__(classes="" if result.correct else "-wrong")
        self.eval_task = task
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        yield Static(
            Content(f"{printable(result.task_id)}  {printable(verdict(result))}"),
            classes="eval-verdict",
        )
        if self.eval_task is not None:
            if self.eval_task.system:
                yield Static(field("system", self.eval_task.system))
            yield Static(field("prompt", self.eval_task.prompt))
        extracted = "" if result.extracted is None else f" · extracted {result.extracted}"
        yield Static(field("expected", f"{result.expected} ({result.check}){extracted}"))
        if result.thinking:
            tokens = "" if result.usage.reasoning is None else f" ({result.usage.reasoning} tok)"
            yield Static(field(f"thinking{tokens}", result.thinking), classes="eval-thinking")
        yield Static(field("answer", result.text or "(empty)"), classes="eval-answer")
        yield Static(Content(printable(meter_text(result))), classes="eval-meter")


def results_heading(strategy: str, group: str, results: Sequence[TaskResult]) -> Content:
    """``local:256 · all tasks · 5/8 correct · 0 errors`` (plain text)."""
    correct = sum(1 for result in results if result.correct)
    errors = sum(1 for result in results if result.error is not None)
    where = "all tasks" if group == "all" else f"tag {group}"
    return Content(
        f"{printable(strategy)} · {printable(where)} · {correct}/{len(results)} correct · "
        f"{errors} errors"
    )
