"""CSV export of sessions and KPIs, in the shape Excel opens correctly in Japan.

Format: UTF-8 with BOM (Excel otherwise guesses Shift_JIS and shows mojibake), CRLF
line ends, one row per session, columns in the fixed order of :data:`COLUMNS`,
Japanese headers by default (English on request; the importer reads both).
Codes are written for topics and choice fields so a file re-imports exactly; the
``topic_labels`` column is for human readers and ignored on import.

The follow-up contact is never exported: a CSV leaves the encrypted store and
ends up in mail and USB sticks. Deleted sessions are not exported either.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Protocol, TextIO, runtime_checkable

from dxdesk.csvfiles import atomic_text_file, spreadsheet_safe, write_text_atomic
from dxdesk.i18n import Msg
from dxdesk.support.catalog import AGE_BAND_LABELS, AGE_BANDS, DEVICE_LABELS, DEVICES, OUTCOME_LABELS, OUTCOMES, Catalog
from dxdesk.support import kpilabels
from dxdesk.support.kpi import KpiSummary
from dxdesk.support.model import SupportSession

if TYPE_CHECKING:
    from dxdesk.support.classes import ClassRecord
    from _csv import Writer as CsvWriter  # the type csv.writer() returns (no runtime name)


@dataclass(frozen=True)
class Column:
    key: str  # attribute / English header
    ja: str  # Japanese header


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID"),
    Column("started_at", "開始日時"),
    Column("venue", "会場"),
    Column("venue_type", "会場種別"),
    Column("topics", "トピック"),
    Column("topic_labels", "トピック名"),
    Column("note", "メモ"),
    Column("device", "端末"),
    Column("age_band", "年齢層"),
    Column("attendees", "参加者数"),
    Column("helpers", "支援者数"),
    Column("helper_role", "支援者の役割"),
    Column("duration_minutes", "所要時間(分)"),
    Column("outcome", "結果"),
    Column("follow_up_needed", "要フォローアップ"),
    Column("follow_up_closed_at", "フォローアップ完了日時"),
    Column("repeat_visitor", "再来"),
    Column("logged_by", "記録者"),
)
TOPIC_SEPARATOR = ";"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"  # Excel recognises it as a date-time; seconds are noise here


def header(language: str = "ja") -> list[str]:
    return [c.key if language == "en" else c.ja for c in COLUMNS]


def _fmt_dt(value: datetime | None) -> str:
    if value is None:
        return ""
    # Seconds only when present, so round trips are exact; sub-second parts are not kept.
    return value.strftime(DATETIME_FORMAT + (":%S" if value.second else ""))


def session_row(s: SupportSession, catalog: Catalog, language: str = "ja") -> list[str]:
    values = {
        "id": s.id,
        "started_at": _fmt_dt(s.started_at),
        "venue": s.venue,
        "venue_type": s.venue_type,
        "topics": TOPIC_SEPARATOR.join(s.topics),
        "topic_labels": TOPIC_SEPARATOR.join(catalog.topic_label(t, language) for t in s.topics),
        "note": s.note,
        "device": s.device,
        "age_band": s.age_band,
        "attendees": str(s.attendees),
        "helpers": str(s.helpers),
        "helper_role": s.helper_role,
        "duration_minutes": str(s.duration_minutes),
        "outcome": s.outcome,
        "follow_up_needed": "1" if s.follow_up_needed else "0",
        "follow_up_closed_at": _fmt_dt(s.follow_up_closed_at),
        "repeat_visitor": "1" if s.repeat_visitor else "0",
        "logged_by": s.logged_by,
    }
    return [spreadsheet_safe(values[c.key]) for c in COLUMNS]


def _writer(buffer: io.StringIO | TextIO) -> CsvWriter:
    return csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def sessions_csv_text(sessions: Iterable[SupportSession], catalog: Catalog, language: str = "ja") -> str:
    buffer = io.StringIO()
    w = _writer(buffer)
    w.writerow(header(language))
    w.writerows(session_rows(sessions, catalog, language))
    return buffer.getvalue()


@runtime_checkable
class CsvRowSource(Protocol):
    """Sessions that give their CSV rows themselves, as :func:`session_row` would make them (a stored
    scope does it straight from SQL, without a record per row: dxdesk.support.sql_export)."""

    def csv_rows(self, catalog: Catalog, language: str) -> Iterator[list[str]]: ...


def session_rows(sessions: Iterable[SupportSession], catalog: Catalog, language: str = "ja") -> Iterator[list[str]]:
    """The CSV rows of ``sessions``, deleted ones left out."""
    if isinstance(sessions, CsvRowSource):
        return sessions.csv_rows(catalog, language)
    return (session_row(s, catalog, language) for s in sessions if not s.deleted)


def write_sessions_csv(path: Path, sessions: Iterable[SupportSession], catalog: Catalog, language: str = "ja") -> Path:
    """Stream ``sessions`` to ``path`` row by row (memory stays flat at a million rows); atomic."""
    with atomic_text_file(path) as f:
        w = _writer(f)
        w.writerow(header(language))
        w.writerows(session_rows(sessions, catalog, language))
    return path


# --- classes (講座・コマ) ----------------------------------------------------------

# The class's where/what columns are the sessions CSV's own (same headers, same formats).
CLASS_COLUMNS: tuple[Column, ...] = (
    *(c for c in COLUMNS if c.key in ("id", "started_at", "venue", "venue_type", "topics", "topic_labels")),
    Column("participants", "参加者数"),
    Column("staff", "支援者数(講師含む)"),
    Column("staff_role", "支援者の役割"),
    Column("staff_required", "必要支援者数"),
    Column("below_ratio", "体制基準未満"),
    Column("duration_minutes", "所要時間(分)"),
)


def class_row(c: ClassRecord, catalog: Catalog, language: str = "ja") -> list[str]:
    values = {
        "id": c.id,
        "started_at": _fmt_dt(c.started_at),
        "venue": c.venue,
        "venue_type": c.venue_type,
        "topics": TOPIC_SEPARATOR.join(c.topics),
        "topic_labels": TOPIC_SEPARATOR.join(catalog.topic_label(t, language) for t in c.topics),
        "participants": str(c.participants),
        "staff": str(c.staff),
        "staff_role": c.staff_role,
        "staff_required": str(c.staff_required),
        "below_ratio": "1" if c.below_ratio else "0",
        "duration_minutes": str(c.duration_minutes),
    }
    return [spreadsheet_safe(values[col.key]) for col in CLASS_COLUMNS]


def write_classes_csv(path: Path, classes: Iterable[ClassRecord], catalog: Catalog, language: str = "ja") -> Path:
    """One row per class (コマ), streamed like the sessions CSV (UTF-8 BOM, CRLF, atomic, owner-only)."""
    with atomic_text_file(path) as f:
        w = _writer(f)
        w.writerow([c.key if language == "en" else c.ja for c in CLASS_COLUMNS])
        for c in classes:
            w.writerow(class_row(c, catalog, language))
    return path


# --- summary ----------------------------------------------------------------

SECTION_LABELS: dict[str, Msg] = {
    "total": Msg("合計", "Totals"),
    "topic": kpilabels.BY_TOPIC,
    "venue": Msg("会場別", "By venue"),
    "venue_type": kpilabels.BY_VENUE_TYPE,
    "month": Msg("月別", "By month"),
    "week": Msg("週別(ISO)", "By ISO week"),
    "attendees": Msg("参加者数", "Attendees"),
    "helpers": Msg("支援体制", "Staffing"),
    "age_band": kpilabels.BY_AGE,
    "outcome": kpilabels.BY_OUTCOME,
}


def _num(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def summary_rows(summary: KpiSummary, catalog: Catalog, language: str = "ja") -> list[tuple[str, str, str, str]]:
    """``(section, code, label, value)`` rows; shares are fractions 0-1, blanks mean "no data"."""
    L = language

    def vt(code: str) -> str:
        return catalog.venue_type_label(code, L)

    rows: list[tuple[str, str, str, str]] = []

    def add(section: str, code: str, label: Msg | str, value: float | int | None, digits: int = 3) -> None:
        text = label.text(L) if isinstance(label, Msg) else label
        rows.append((SECTION_LABELS[section].text(L), code, text, _num(value, digits)))

    # The KPI wording is the PDF's and the screen's (kpilabels).
    add("total", "sessions", kpilabels.SESSIONS, summary.sessions)
    add("total", "attendees", kpilabels.ATTENDEES, summary.attendees)
    add("total", "mean_duration_minutes", kpilabels.MEAN_DURATION, summary.mean_duration_minutes, 1)
    add("total", "repeat_visitor_share", kpilabels.REPEAT_VISITOR_SHARE, summary.repeat_visitor_share)
    add("total", "open_follow_ups", kpilabels.OPEN_FOLLOW_UPS, summary.open_follow_ups)
    for code, n in summary.per_topic.items():
        add("topic", code, catalog.topic_label(code, L), n)
    for name, n in summary.per_venue.items():
        add("venue", name, name, n)
    for code, n in summary.per_venue_type.items():
        add("venue_type", code, vt(code), n)
    for key, n in summary.per_month.items():
        add("month", key, key, n)
    for key, n in summary.per_iso_week.items():
        add("week", key, key, n)
    add("attendees", "mean", kpilabels.MEAN_ATTENDEES, summary.mean_attendees, 2)
    for code, m in summary.mean_attendees_per_venue_type.items():
        add("attendees", f"mean:{code}", Msg(f"平均参加者数({vt(code)})", f"Mean attendees ({vt(code)})"), m, 2)
    add("attendees", "single_share", kpilabels.SINGLE_ATTENDEE_SHARE, summary.single_attendee_share)
    for bucket, n in summary.attendee_distribution.items():
        add("attendees", f"dist:{bucket}", Msg(f"参加者{bucket}人の回数", f"Sessions with {bucket} attendees"), n)
    add("helpers", "per_attendee", kpilabels.HELPERS_PER_ATTENDEE, summary.helpers_per_attendee)
    for code, r in summary.helpers_per_attendee_per_venue_type.items():
        add("helpers", f"per_attendee:{code}", Msg(f"参加者1人あたり支援者数({vt(code)})", f"Helpers per attendee ({vt(code)})"), r)
    add("helpers", "understaffed", kpilabels.UNDERSTAFFED, summary.understaffed)
    for band, n in summary.age_band_counts.items():
        add("age_band", band, AGE_BAND_LABELS[band], n)
    for band, share in summary.age_band_shares.items():
        add("age_band", f"share:{band}", Msg(f"{AGE_BAND_LABELS[band].ja}の割合", f"Share {AGE_BAND_LABELS[band].en}"), share)
    for code, n in summary.outcome_counts.items():
        add("outcome", code, OUTCOME_LABELS[code], n)
    for code, share in summary.outcome_shares.items():
        add("outcome", f"share:{code}", Msg(f"{OUTCOME_LABELS[code].ja}の割合", f"Share {OUTCOME_LABELS[code].en}"), share)
    return rows


def summary_csv_text(summary: KpiSummary, catalog: Catalog, language: str = "ja") -> str:
    buffer = io.StringIO()
    w = _writer(buffer)
    w.writerow(["section", "code", "item", "value"] if language == "en" else ["区分", "コード", "項目", "値"])
    for row in summary_rows(summary, catalog, language):
        w.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()


def summary_path_for(csv_path: Path) -> Path:
    """``OUT.csv`` -> ``OUT_summary.csv`` (beside it)."""
    csv_path = Path(csv_path)
    return csv_path.with_name(f"{csv_path.stem}_summary{csv_path.suffix or '.csv'}")


def write_summary_csv(path: Path, summary: KpiSummary, catalog: Catalog, language: str = "ja") -> Path:
    return write_text_atomic(path, summary_csv_text(summary, catalog, language))


def write_csv_pair(
    path: Path, sessions: Iterable[SupportSession], summary: KpiSummary, catalog: Catalog, language: str = "ja"
) -> tuple[Path, Path]:
    """Sessions CSV at ``path`` plus the KPI summary at :func:`summary_path_for`."""
    return (
        write_sessions_csv(path, sessions, catalog, language),
        write_summary_csv(summary_path_for(path), summary, catalog, language),
    )


# Only real choices: the KPI-only "other/unknown" bucket is not something a CSV may record.
LABELS_FOR_IMPORT = {
    "device": {code: DEVICE_LABELS[code] for code in DEVICES},
    "age_band": {code: AGE_BAND_LABELS[code] for code in AGE_BANDS},
    "outcome": {code: OUTCOME_LABELS[code] for code in OUTCOMES},
}
