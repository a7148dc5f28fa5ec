"""The printable support report (A4 portrait PDF) with summary tables and B/W charts.

Uses the bundled BIZ UD Gothic (embedded as a subset) so Japanese prints on any PC.
Page header/footer carry the title, municipality and "page n / N"; the total page
count needs a second pass, done by :class:`_NumberedCanvas` (the usual ReportLab
recipe: keep each page's state, then stamp numbers on save).
"""
from __future__ import annotations

import os

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dxdesk import fonts, training
from dxdesk.support import kpilabels
from dxdesk.support.kpi import ReportData, summary_of
from dxdesk.support.kpi import _ratio
from dxdesk.support.catalog import AGE_BAND_LABELS, OUTCOME_LABELS, Catalog
from dxdesk.support.charts import ChartStyle, horizontal_bars, vertical_bars
from dxdesk.support.periods import DateRange, format_range_ja, iso_week_key, iso_week_start, month_key
from dxdesk.timeutil import local_today

if TYPE_CHECKING:
    from dxdesk.support.classes import ClassSummary, ClassTotals

FONT = fonts.GOTHIC.family
FONT_BOLD = fonts.GOTHIC_BOLD.family
MAX_WEEKS_IN_CHART = 14  # beyond this (e.g. a fiscal year) the time chart switches to months


def register_fonts() -> None:
    """Register the bundled Gothic faces with ReportLab once per process."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for face in (fonts.GOTHIC, fonts.GOTHIC_BOLD):
        if face.family not in registered:
            pdfmetrics.registerFont(TTFont(face.family, str(face.path)))


@dataclass(frozen=True)
class ReportOptions:
    period: DateRange
    municipality: str
    venue: str | None = None  # report limited to one venue (shown in the heading)
    generated_on: date | None = None  # default today; fixed in tests
    classes: ClassSummary | None = None  # the per-class (講座・コマ) table; None leaves it out

    @property
    def title(self) -> str:
        return f"{self.municipality} デジタル活用支援 実施報告"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _dec(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def time_series(data: ReportData, period: DateRange) -> tuple[str, list[str], list[int]]:
    """Sessions per ISO week over the whole period (empty weeks shown as 0), or per month when long."""
    summary = summary_of(data)
    first, last = period
    weeks = []
    monday = iso_week_start(first)
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    if len(weeks) <= MAX_WEEKS_IN_CHART:
        counts = summary.per_iso_week
        return ("週別セッション数（月曜始まり）", [f"{m.month}/{m.day}〜" for m in weeks],
                [counts.get(iso_week_key(m), 0) for m in weeks])
    months: list[date] = []
    cursor = first.replace(day=1)
    while cursor <= last:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    counts = summary.per_month
    return ("月別セッション数", [f"{m.month}月" for m in months], [counts.get(month_key(m), 0) for m in months])


def _table(rows: list[list[str]], widths: list[float], *, header: bool = True) -> Table:
    t = Table(rows, colWidths=widths, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header:
        style += [("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5), ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
                  ("ALIGN", (0, 0), (-1, 0), "CENTER")]
    t.setStyle(TableStyle(style))
    return t


def build_story(data: ReportData, catalog: Catalog, options: ReportOptions) -> list[Any]:
    """The report's flowables, from the aggregates alone (no per-session loop)."""
    s = summary_of(data)
    cs = ChartStyle(FONT, FONT_BOLD)
    h1 = ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=15, leading=20, alignment=TA_LEFT)
    h2 = ParagraphStyle("h2", fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=3 * mm, spaceAfter=1.5 * mm)
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=12)
    note = ParagraphStyle("note", fontName=FONT, fontSize=7, leading=9.5, textColor=colors.Color(0.2, 0.2, 0.2))
    generated = options.generated_on or local_today()

    story: list[Any] = [Paragraph(options.title, h1), Spacer(0, 1.5 * mm)]
    heading = f"対象期間: {format_range_ja(options.period)}　会場: {options.venue or '全会場'}"
    story.append(Paragraph(heading, body))
    story.append(Paragraph(f"作成日: {generated.year}年{generated.month}月{generated.day}日", body))

    kpi_values = {"sessions": f"{s.sessions:,}", "attendees": f"{s.attendees:,}", "mean_attendees": _dec(s.mean_attendees),
              "single_attendee_share": _pct(s.single_attendee_share),
              "helpers_per_attendee": _dec(s.helpers_per_attendee), "understaffed": f"{s.understaffed:,}",
              "mean_duration_minutes": _dec(s.mean_duration_minutes, 1),
              "repeat_visitor_share": _pct(s.repeat_visitor_share), "open_follow_ups": f"{s.open_follow_ups:,}"}
    notes = {"understaffed": " ※2"}  # the staffing rule, explained under the charts
    summary_rows = [["項目", "値"]] + [[label.ja + notes.get(key, ""), kpi_values[key]]
                                       for key, label in kpilabels.SUMMARY_LABELS.items()]
    vt_rows = [[kpilabels.VENUE_TYPE.ja, kpilabels.COUNT_HEADER.ja, kpilabels.VENUE_MEAN_ATTENDEES.ja, "支援者/参加者"]]
    for code, n in s.per_venue_type.items():
        vt_rows.append([catalog.venue_type_label(code), f"{n:,}", _dec(s.mean_attendees_per_venue_type[code]),
                        _dec(s.helpers_per_attendee_per_venue_type[code])])
    side_by_side = Table(
        [[_table(summary_rows, [44 * mm, 24 * mm]), _table(vt_rows, [30 * mm, 14 * mm, 22 * mm, 22 * mm])]],
        colWidths=[74 * mm, 106 * mm], hAlign="LEFT",
    )
    side_by_side.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Paragraph("概要", h2), side_by_side]

    # Topics in menu order (national menu first), plus any code found in records but missing from the catalog.
    codes = [t.code for t in catalog.sorted_topics() if t.active or s.per_topic.get(t.code)]
    codes += [c for c in s.per_topic if c not in codes]
    story.append(Spacer(0, 3 * mm))
    story.append(horizontal_bars(f"{kpilabels.BY_TOPIC.ja}セッション数 ※1", [catalog.topic_label(c) for c in codes],
                                 [s.per_topic.get(c, 0) for c in codes], cs))

    title, labels, values = time_series(s, options.period)
    story.append(Spacer(0, 2 * mm))
    story.append(_pair(
        vertical_bars(title, labels, values, cs, label_angle=45 if len(labels) > 6 else 0),
        vertical_bars(f"{kpilabels.BY_AGE.ja}セッション数", [AGE_BAND_LABELS[b].ja for b in s.age_band_counts],
                      list(s.age_band_counts.values()), cs, fill=colors.Color(0.45, 0.45, 0.45)),
    ))
    story.append(_pair(
        vertical_bars(f"{kpilabels.BY_OUTCOME.ja}セッション数", [OUTCOME_LABELS[o].ja for o in s.outcome_counts],
                      list(s.outcome_counts.values()), cs, distinct_greys=True),
        vertical_bars("参加者数別セッション数（人）", list(s.attendee_distribution),
                      list(s.attendee_distribution.values()), cs, fill=colors.Color(0.7, 0.7, 0.7)),
    ))
    # Venue types without sessions are left out: a 0 bar would read as "no helpers".
    hpa = {c: v for c, v in s.helpers_per_attendee_per_venue_type.items() if s.per_venue_type[c]}
    mpv = {c: s.mean_attendees_per_venue_type[c] for c in hpa}
    story.append(_pair(
        vertical_bars(f"{kpilabels.BY_VENUE_TYPE.ja} {kpilabels.HELPERS_PER_ATTENDEE.ja}", [catalog.venue_type_label(c) for c in hpa],
                      [v or 0.0 for v in hpa.values()], cs, decimals=2, distinct_greys=True, label_angle=30),
        vertical_bars(f"{kpilabels.BY_VENUE_TYPE.ja} {kpilabels.MEAN_ATTENDEES.ja}", [catalog.venue_type_label(c) for c in hpa],
                      [v or 0.0 for v in mpv.values()], cs, decimals=1,
                      distinct_greys=True, label_angle=30),
    ))

    venue_rows = [["会場", kpilabels.COUNT_HEADER.ja, "参加者数"]]
    for name, n in s.per_venue.items():
        venue_rows.append([name, f"{n:,}", f"{s.attendees_per_venue.get(name, 0):,}"])
    if len(venue_rows) == 1:
        venue_rows.append(["（記録なし）", "0", "0"])
    story.append(KeepTogether([Paragraph("会場別", h2), _table(venue_rows, [90 * mm, 20 * mm, 24 * mm])]))

    if options.classes is not None:
        story.append(_classes_table(options.classes, catalog, h2))

    story.append(Spacer(0, 3 * mm))
    story.append(Paragraph(
        "※1 複数の相談内容を扱った回は、相談内容ごとに1回として数えます（合計はセッション数を上回ることがあります）。"
        "年齢層・結果・端末・再来は1回ごとの記録で、割合はセッション数に対する割合です。削除された記録は含みません。", note))
    story.append(Paragraph(
        "※2 体制基準: 講師1名に加え、参加者4名ごとに補助者1名（支援者数＝講師を含む全員）。参加者1名の個別相談は1名で可。"
        "必要人数 = 1 + 参加者数÷4（端数切り上げ）（参加者2名以上）。", note))
    if options.classes is not None:
        story.append(Paragraph(
            "※3 講座（コマ）: 参加者2名以上の回。複数の相談内容を扱ったコマは相談内容ごとに数えます。"
            "「体制基準未満」は※2の必要人数に支援者数が満たないコマの数で、1件以上の行に▲を付けて網掛けしています。"
            "コマごとの一覧は --classes-csv で出力できます。", note))
    return story


def _classes_table(summary: ClassSummary, catalog: Catalog, h2: ParagraphStyle) -> Any:
    """Classes, participants and staff per curriculum topic; rows with classes below the ratio flagged (▲, shaded)."""
    def cells(label: str, t: ClassTotals) -> list[str]:
        mark = "▲ " if t.below_ratio else ""
        return [label, f"{t.classes:,}", f"{t.participants:,}", f"{t.staff:,}", _dec(_ratio(t.participants, t.classes), 1),
                f"{mark}{t.below_ratio:,}"]

    k = kpilabels
    rows = [[k.TOPIC.ja, k.CLASSES.ja, k.PARTICIPANTS.ja, k.STAFF.ja, "1コマ平均参加者", f"{k.BELOW_RULE.ja} ※2"]]
    codes = [t.code for t in catalog.sorted_topics() if t.code in summary.per_topic]
    codes += [c for c in summary.per_topic if c not in codes]
    rows += [cells(catalog.topic_label(c), summary.per_topic[c]) for c in codes]
    rows.append(cells(k.CLASS_TOTAL.ja, summary.total))
    table = _table(rows, [56 * mm, 18 * mm, 20 * mm, 20 * mm, 30 * mm, 30 * mm])
    shade = [("BACKGROUND", (0, i), (-1, i), colors.Color(0.85, 0.85, 0.85))
             for i, row in enumerate(rows[1:], start=1) if row[-1].startswith("▲")]
    table.setStyle(TableStyle([*shade, ("FONT", (0, len(rows) - 1), (-1, len(rows) - 1), FONT_BOLD, 8.5),
                               ("LINEABOVE", (0, len(rows) - 1), (-1, len(rows) - 1), 1.0, colors.black)]))
    return KeepTogether([Paragraph(f"{k.BY_CLASS.ja} ※3", h2), table])


def _pair(left, right) -> Table:  # type: ignore[no-untyped-def]
    t = Table([[left, right]], colWidths=[90 * mm, 90 * mm], hAlign="LEFT")
    # Layout-only table; its FONT still matters (the default, Helvetica, would be listed unembedded).
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


class _NumberedCanvas(pdfcanvas.Canvas):
    """Defers page output so the footer can say "n / N"."""

    footer_left = ""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab API)
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's own page reset, not in its stubs

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.Color(0.3, 0.3, 0.3))
            self.drawString(15 * mm, 9 * mm, self.footer_left)
            self.drawRightString(A4[0] - 15 * mm, 9 * mm, f"{self.getPageNumber()} / {total}")
            if training.active():  # 研修モード: a training desk's report is a sample, never a filing
                training.draw_sample_mark(self, *A4)
            super().showPage()
        super().save()


def write_report_pdf(path: Path, data: ReportData, catalog: Catalog, options: ReportOptions) -> Path:
    """Write the report of ``data`` (sessions, a stored scope or their summary) to ``path``
    (atomically, owner-only; never over dxdesk's own files) and return it."""
    from dxdesk.outputfiles import refuse_protected

    register_fonts()
    path = Path(path)
    refuse_protected(path)
    tmp = path.with_name(path.name + ".part")
    doc = SimpleDocTemplate(
        str(tmp), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm, bottomMargin=16 * mm,
        title=options.title, author=options.municipality, subject=format_range_ja(options.period),
        creator="dxdesk",
        initialFontName=FONT,  # else the canvas starts in Helvetica, listed in the PDF unembedded
    )
    footer = f"{options.title}　{format_range_ja(options.period)}"

    class ReportCanvas(_NumberedCanvas):
        footer_left = footer

    try:
        # Owner-only from the start (it names venues and may quote notes); reportlab then reuses the file.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        doc.build(build_story(data, catalog, options), canvasmaker=ReportCanvas)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)  # no half-written report left beside the one the user asked for
        if isinstance(exc, OSError) and exc.filename == str(tmp):
            exc.filename = str(path)  # the message names the file the person chose, not the temporary
        raise
    return path
