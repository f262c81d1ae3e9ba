"""``--report DIR``: the report as Markdown plus SVG charts to paste into a design doc.

``report.md`` holds the tables, the paired tests, the recommendation and the scaling curves as
text; ``accuracy_vs_cost.svg`` and ``accuracy_vs_reasoning.svg`` are drawn with pygal (the
optional extra ``ponder[report]``), imported only here. Without pygal the Markdown is still
written and says how to get the charts.
"""

from __future__ import annotations

from pathlib import Path

from backends.evals.decide import comparison_lines, recommendation_lines
from backends.evals.report import Report, format_table
from backends.evals.sweep import Curve, curve_table, report_curves

AXES = {"cost": "cost per query (USD)", "reasoning": "mean reasoning tokens per query"}


def svg_chart(curves: list[Curve], axis: str) -> bytes | None:
    """An SVG of accuracy (%) against ``axis``, one line per model; ``None`` without pygal."""
    try:
        import pygal
    except ImportError:
        return None
    approx = any(curve.approx for curve in curves)
    title = f"accuracy vs {AXES[axis]}" + (
        " (≈ local hardware-time estimate)" if approx and axis == "cost" else ""
    )
    chart = pygal.XY(
        title=title,
        x_title=AXES[axis],
        y_title="accuracy %",
        range=(0, 100),
        dots_size=4,
        show_legend=True,
        legend_at_bottom=True,
        disable_xml_declaration=False,
    )
    for curve in curves:
        pairs = curve.along(axis)
        if pairs:
            chart.add(curve.name, pairs)
    return bytes(chart.render())


def markdown(report: Report, source: str, charts: list[str]) -> str:
    """The report as Markdown (tables in fenced blocks keep their alignment)."""
    parts = [f"# ponder eval report\n\ntask set: `{Path(source).name}` · {report.tasks} tasks"]
    parts.append("## all tasks\n\n```\n" + format_table(report.overall) + "\n```")
    for tag, rows in report.by_tag.items():
        parts.append(f"## tag: {tag}\n\n```\n" + format_table(rows) + "\n```")
    pairs = comparison_lines(report)
    if pairs:
        parts.append("## paired tests (all tasks)\n\n" + "\n".join(pairs))
    parts.append("## recommendation\n\n" + "\n".join(recommendation_lines(report)))
    curves = report_curves(report)
    if curves:
        tables = "\n\n".join(curve_table(curve) for curve in curves)
        parts.append("## scaling curves\n\n```\n" + tables + "\n```")
    if charts:
        parts.append("\n".join(f"![{name}]({name})" for name in charts))
    else:
        parts.append("(charts need pygal: `pip install 'ponder[report]'`)")
    return "\n\n".join(parts) + "\n"


def write_report_dir(report: Report, directory: Path, source: str) -> list[Path]:
    """Write ``report.md`` and the charts into ``directory``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    curves = report_curves(report)
    written: list[Path] = []
    names: list[str] = []
    for axis in ("cost", "reasoning"):
        svg = svg_chart(curves, axis)
        if svg is not None:
            path = directory / f"accuracy_vs_{axis}.svg"
            path.write_bytes(svg)
            written.append(path)
            names.append(path.name)
    md = directory / "report.md"
    md.write_text(markdown(report, source, names), encoding="utf-8")
    return [md, *written]
