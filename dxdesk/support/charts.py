"""Bar charts for the support report, drawn with reportlab.graphics.

Designed for town-hall printers, which are black and white: bars are filled with
distinct greys (never colour as the only cue), outlined in black, and every bar
carries its value label, so a chart still reads after a poor photocopy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

# Greys from dark to light; neighbours differ enough to tell apart on a photocopy.
GREYS = (colors.Color(0.25, 0.25, 0.25), colors.Color(0.55, 0.55, 0.55), colors.Color(0.8, 0.8, 0.8),
         colors.Color(0.4, 0.4, 0.4), colors.Color(0.68, 0.68, 0.68), colors.Color(0.92, 0.92, 0.92))


@dataclass(frozen=True)
class ChartStyle:
    font: str  # a registered TTF name (Japanese labels)
    font_bold: str
    title_size: float = 9.5
    label_size: float = 7.0


def _nice_max(values: Sequence[float]) -> float:
    top = max(values, default=0)
    return top * 1.18 if top > 0 else 1.0  # headroom for the value labels; never a zero-height axis


def _title(d: Drawing, text: str, style: ChartStyle) -> None:
    d.add(String(0, d.height - style.title_size, text, fontName=style.font_bold, fontSize=style.title_size))


def _label_format(decimals: int) -> str:
    return "%d" if decimals == 0 else f"%.{decimals}f"


def _integer_axis(values: Sequence[float], decimals: int) -> float | None:
    """A value step that keeps tick labels whole numbers for counts (avoids 0.5-session ticks)."""
    if decimals:
        return None
    top = max(values, default=0)
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if top / step <= 6:
            return step
    return None



def _value_axis_and_bars(chart: HorizontalBarChart | VerticalBarChart, values: Sequence[float], style: ChartStyle,
                         decimals: int, fill: colors.Color) -> None:
    """What both bar charts share: a zero-based value axis with a light grid, outlined bars, value labels."""
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(values)
    step = _integer_axis(values, decimals)
    if step:
        chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = style.font
    chart.valueAxis.labels.fontSize = style.label_size
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.Color(0.85, 0.85, 0.85)
    chart.valueAxis.gridStrokeDashArray = (1, 2)
    chart.bars[0].fillColor = fill
    chart.bars[0].strokeColor = colors.black
    chart.bars[0].strokeWidth = 0.5
    chart.barLabelFormat = _label_format(decimals)
    chart.barLabels.fontName = style.font
    chart.barLabels.fontSize = style.label_size


def horizontal_bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    style: ChartStyle,
    *,
    width: float = 180 * mm,
    row_height: float = 4.6 * mm,
    label_width: float = 62 * mm,
    decimals: int = 0,
    fill: colors.Color = GREYS[1],
) -> Drawing:
    """One bar per row (long Japanese category names read left to right)."""
    n = max(len(labels), 1)
    plot_h = n * row_height
    height = plot_h + 12 * mm
    d = Drawing(width, height, initialFontName=style.font)  # else Helvetica is referenced, unembedded
    _title(d, title, style)
    chart = HorizontalBarChart()
    chart.x = label_width  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.y = 6 * mm  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.width = width - label_width - 8 * mm  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.height = plot_h  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    # reportlab draws the first category at the bottom; reverse so the list reads top-down.
    chart.data = [list(reversed([float(v) for v in values]))] if values else [[0.0]]
    chart.categoryAxis.categoryNames = list(reversed(labels)) if labels else [""]
    chart.categoryAxis.labels.fontName = style.font
    chart.categoryAxis.labels.fontSize = style.label_size
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -5
    chart.categoryAxis.tickLeft = 0  # ticks would run into the right-aligned labels
    _value_axis_and_bars(chart, values, style, decimals, fill)
    chart.barWidth = row_height * 0.6  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    d.add(chart)
    return d


def vertical_bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    style: ChartStyle,
    *,
    width: float = 88 * mm,
    height: float = 50 * mm,
    decimals: int = 0,
    distinct_greys: bool = False,
    fill: colors.Color = GREYS[1],
    label_angle: int = 0,
) -> Drawing:
    """Columns with value labels; ``distinct_greys`` gives each category its own grey."""
    d = Drawing(width, height, initialFontName=style.font)  # else Helvetica is referenced, unembedded
    _title(d, title, style)
    chart = VerticalBarChart()
    bottom = 14 * mm if label_angle else 9 * mm
    chart.x = 10 * mm  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.y = bottom  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.width = width - 13 * mm  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.height = height - bottom - 9 * mm  # type: ignore[assignment]  # stubs say int; ReportLab takes any number
    chart.data = [[float(v) for v in values]] if values else [[0.0]]
    chart.categoryAxis.categoryNames = list(labels) if labels else [""]
    chart.categoryAxis.labels.fontName = style.font
    chart.categoryAxis.labels.fontSize = style.label_size
    if label_angle:
        chart.categoryAxis.labels.angle = label_angle
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dy = -2
    _value_axis_and_bars(chart, values, style, decimals, fill)
    if distinct_greys:
        for i in range(len(values)):
            chart.bars[(0, i)].fillColor = GREYS[i % len(GREYS)]
    chart.barLabels.nudge = 5
    d.add(chart)
    return d
