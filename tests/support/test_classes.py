"""Per-class (講座・コマ) records: numbers, the staffing check, the CSV, the PDF table, the CLI.

The staffing rule is the report's one rule, ``kpi.required_staff``: one lecturer plus one
assistant per started four participants (lecturer included in the log's "helpers"). So a
class of 9 needs 4 staff and a class of 8 needs 3: 9 with 2 staff is below, 8 with 3 is
not, and 8 with 2 is below too (checked here, so a change of the rule shows).

docs/screenshots/support/report-classes.png is produced by this file:
``DXDESK_SCREENSHOT_DIR=docs/screenshots/support pytest tests/support/test_classes.py``
"""
from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from dxdesk.support import classes, kpi
from dxdesk.support.catalog import Catalog
from dxdesk.support.classes import ClassTotals
from dxdesk.support.csvio import CLASS_COLUMNS, write_classes_csv
from dxdesk.support.model import SupportSession
from dxdesk.support.periods import fiscal_year_range, month_range
from dxdesk.support.report import ReportOptions, write_report_pdf
from dxdesk.support.repository import SessionQuery

from tests.store.conftest import pg_binaries_available, pg_server, pg_url  # noqa: F401 (the PostgreSQL fixtures)

from .conftest import build_dataset, sid

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _class(n: int, participants: int, staff: int, topics: tuple[str, ...], **extra: object) -> SupportSession:
    return SupportSession(
        id=sid(100 + n), started_at=datetime(2026, 10, n, 10, 0), venue="中央公民館", venue_type="community_hall",
        topics=topics, device="android", age_band="75-79", attendees=participants, helpers=staff,
        duration_minutes=90, outcome="resolved", helper_role="講師・補助者", logged_by="tester", **extra,  # type: ignore[arg-type]
    )


def hand_built_log() -> list[SupportSession]:
    return [
        _class(1, 9, 2, ("line",)),  # needs 4: below
        _class(2, 8, 3, ("line", "maps")),  # needs 3: meets the rule
        _class(3, 8, 2, ("maps",)),  # needs 3: below
        _class(4, 9, 4, ("power",)),  # needs 4: meets the rule
        _class(5, 1, 1, ("line",)),  # one person: an individual consultation, not a class
        _class(6, 9, 1, ("line",), deleted=True),  # deleted: never counts
    ]


def test_the_rule_is_the_reports_rule():
    assert [kpi.required_staff(n) for n in (2, 4, 5, 8, 9, 12, 13)] == [2, 2, 3, 3, 4, 4, 5]
    flagged = {c.id: c.below_ratio for c in classes.classes_of(hand_built_log())}
    assert flagged == {sid(101): True, sid(102): False, sid(103): True, sid(104): False}
    # One definition: the KPI "understaffed" count of the classes equals the classes flagged here.
    live_classes = [s for s in hand_built_log() if classes.is_class(s)]
    assert len(kpi.understaffed_sessions(live_classes)) == sum(flagged.values())


def test_per_class_numbers_in_total_and_per_topic():
    summary = classes.summarize(hand_built_log())
    assert summary.total == ClassTotals(classes=4, participants=34, staff=11, below_ratio=2)
    assert summary.per_topic == {
        "line": ClassTotals(2, 17, 5, 1),
        "maps": ClassTotals(2, 16, 5, 1),
        "power": ClassTotals(1, 9, 4, 0),
    }


def test_sql_gives_the_same_numbers_and_rows_on_the_store():
    from dxdesk.store.database import open_database
    from dxdesk.support.sql_repository import SqlRepository

    db = open_database()
    try:
        repo = SqlRepository(db)
        repo.add_many([*hand_built_log(), *build_dataset()])
        everything = [*hand_built_log(), *build_dataset()]
        assert repo.class_summary() == classes.summarize(everything)
        october = SessionQuery(*month_range(2026, 10))
        assert repo.class_summary(october) == classes.summarize(hand_built_log())
        # Whole months with no other filter come from the monthly totals, anything else from GROUP BY: the same.
        from dxdesk.support import monthly_totals

        year = SessionQuery(*fiscal_year_range(2026))
        not_whole = SessionQuery(date(2026, 10, 2), date(2026, 10, 31))
        with db.session() as s:
            assert monthly_totals.class_rows(s, october) is not None and monthly_totals.class_rows(s, year)
            assert monthly_totals.class_rows(s, not_whole) is None
            for query in (october, year, not_whole, SessionQuery(*month_range(2026, 10), venue="中央公民館")):
                assert classes.summarize_stored(s, query) == classes.summarize_sql(s, query)
        in_year = [x for x in everything if year.matches(x)]
        assert repo.class_summary(year) == classes.summarize(in_year)
        assert repo.class_summary(not_whole) == classes.summarize(x for x in everything if not_whole.matches(x))
        streamed = list(repo.iter_classes(october))
        assert [c.id for c in streamed] == [sid(101), sid(102), sid(103), sid(104)]  # oldest first
        assert streamed == list(classes.classes_of(hand_built_log()))
    finally:
        db.close()


def test_classes_csv_columns_and_rows(tmp_path):
    out = write_classes_csv(tmp_path / "classes.csv", classes.classes_of(hand_built_log()), Catalog.seeded())
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # UTF-8 BOM and CRLF, as the other CSVs
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == ("ID,開始日時,会場,会場種別,トピック,トピック名,参加者数,支援者数(講師含む),支援者の役割,"
                        "必要支援者数,体制基準未満,所要時間(分)")
    assert len(lines) == 5  # four classes: no individual consultation, nothing deleted
    first = lines[1].split(",")
    assert first[0] == sid(101) and first[1] == "2026-10-01 10:00" and first[6:11] == ["9", "2", "講師・補助者", "4", "1"]
    assert lines[2].split(",")[6:11] == ["8", "3", "講師・補助者", "3", "0"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    english = write_classes_csv(tmp_path / "en.csv", [], Catalog.seeded(), "en")
    assert english.read_text(encoding="utf-8-sig").splitlines() == [",".join(c.key for c in CLASS_COLUMNS)]


def _pdf_with_classes(tmp_path: Path, sessions: list[SupportSession], period=month_range(2026, 10)) -> Path:
    options = ReportOptions(period=period, municipality="サンプル町", generated_on=date(2026, 11, 2),
                            classes=classes.summarize(sessions))
    return write_report_pdf(tmp_path / "report.pdf", sessions, Catalog.seeded(), options)


@poppler
def test_the_pdf_has_the_class_table_with_the_flag(tmp_path):
    pdf = _pdf_with_classes(tmp_path, hand_built_log())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    assert "講座（コマ）別" in text and "体制基準未満" in text
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    line_label, power_label = Catalog.seeded().topic_label("line"), Catalog.seeded().topic_label("power")
    assert rows[line_label] == ["2", "17", "5", "8.5", "▲", "1"]  # one class of 9 with 2 staff: flagged
    assert rows[power_label] == ["1", "9", "4", "9.0", "0"]  # 9 with 4 staff: not flagged
    assert rows["合計（コマ単位）"] == ["4", "34", "11", "8.5", "▲", "2"]
    no_table = write_report_pdf(tmp_path / "plain.pdf", hand_built_log(), Catalog.seeded(),
                                ReportOptions(period=month_range(2026, 10), municipality="サンプル町"))
    plain = subprocess.run(["pdftotext", str(no_table), "-"], check=True, capture_output=True, text=True,
                           timeout=60).stdout
    assert "講座（コマ）別" not in plain


@poppler
def test_render_the_class_table(tmp_path):
    """The page with the class table, as PNG; optionally kept as the docs screenshot."""
    pdf = _pdf_with_classes(tmp_path, [*hand_built_log(), *build_dataset()], fiscal_year_range(2026))
    pages = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    last = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", str(last), "-l", str(last), str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get("DXDESK_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, Path(target) / "report-classes.png")


def test_sql_summary_on_postgresql(request):
    """The same GROUP BY on a real PostgreSQL server (the suite's throw-away cluster)."""
    if not pg_binaries_available():
        pytest.skip("PostgreSQL server binaries not found")
    import dataclasses

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from dxdesk.store import models as m
    from dxdesk.store.server import parse_server_url, prepare_server_schema
    from dxdesk.support.sql_repository import _fill
    from dxdesk.timeutil import local_now

    engine = create_engine(parse_server_url(request.getfixturevalue("pg_url")))
    try:
        prepare_server_schema(engine)
        everything = [*hand_built_log(), *build_dataset()]
        with Session(engine) as s, s.begin():
            for session in everything:
                s.add(_fill(m.SupportSession(id=session.id, desk_id="desk-classes"),
                            dataclasses.replace(session, follow_up_contact=None), local_now()))
        with Session(engine) as s:
            assert classes.summarize_sql(s, SessionQuery()) == classes.summarize(everything)
            october = SessionQuery(*month_range(2026, 10))
            assert classes.summarize_sql(s, october) == classes.summarize(hand_built_log())
            # The server keeps no triggers (as for the KPIs): whole months go to the GROUP BY there, same numbers.
            from dxdesk.support import monthly_totals

            assert monthly_totals.class_rows(s, october) is None
            assert classes.summarize_stored(s, october) == classes.summarize(hand_built_log())
    finally:
        engine.dispose()
