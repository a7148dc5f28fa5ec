"""The sessions CSV straight from SQL (dxdesk.support.sql_export) writes the rows csvio.session_row defines.

Same dataset as the KPI oracle, stored on SQLite (with and without the monthly totals) and on
PostgreSQL, plus the awkward cases: seconds, formula-looking text, unknown topic codes, another
desk's zone with daylight saving time, and the CLI's own report file.
"""
from __future__ import annotations

import csv
import dataclasses
from datetime import datetime

import pytest

from dxdesk.config import load_settings, save_settings
from dxdesk.support.catalog import Catalog
from dxdesk.support.csvio import CsvRowSource, session_row, write_sessions_csv
from dxdesk.support.model import SupportSession

from tests.store.conftest import pg_binaries_available, pg_server, pg_url  # noqa: F401 (the PostgreSQL fixtures)

from .test_kpi_sql import dataset  # noqa: F401 (the stored scopes: SQLite, monthly totals, PostgreSQL)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.seeded()


def _reference(scope, catalog, language):
    """What the export wrote before: a record per row, then session_row."""
    return [session_row(s, catalog, language) for s in scope if not s.deleted]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_rows_from_sql_are_the_rows_session_row_makes(dataset, catalog, language):  # noqa: F811
    assert isinstance(dataset, CsvRowSource)
    rows = list(dataset.csv_rows(catalog, language))
    assert len(rows) == 12  # the deleted session is left out
    assert rows == _reference(dataset, catalog, language)


def _odd(n: int, when: datetime, **extra: object) -> SupportSession:
    values: dict[str, object] = dict(
        id=f"00000000-0000-4000-8000-{n:012d}", started_at=when, venue="=HYPERLINK(\"x\")", venue_type="counter",
        topics=("line", "phone_camera"), device="android", age_band="75-79", attendees=1, helpers=1,
        duration_minutes=20, outcome="resolved", helper_role="+role", logged_by="@someone", note="-1, \"引用\"\r\n改行")
    values.update(extra)
    return SupportSession(**values)  # type: ignore[arg-type]


def test_seconds_formulas_unknown_topics_and_a_zone_with_daylight_saving(tmp_path, catalog):
    from dxdesk.store.database import open_database
    from dxdesk.support.sql_repository import SqlRepository

    settings = load_settings()
    settings.general.time_zone = "Europe/Berlin"  # 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00
    save_settings(settings)
    sessions = [
        _odd(1, datetime(2026, 3, 29, 1, 59, 59)),
        _odd(2, datetime(2026, 3, 29, 3, 0, 0), follow_up_needed=True, follow_up_closed_at=datetime(2026, 10, 25, 2, 30, 1)),
        _odd(3, datetime(2026, 10, 25, 1, 30), topics=("etax",)),
        _odd(4, datetime(2026, 12, 31, 23, 59, 30), repeat_visitor=True, note="\t先頭タブ"),
    ]
    db = open_database()
    try:
        repo = SqlRepository(db)
        repo.add_many(sessions)
        scope = repo.scope()
        # A topic since removed from the town's list: its code stands for the label.
        catalog = dataclasses.replace(catalog, topics=tuple(t for t in catalog.topics if t.code != "line"))
        for language in ("ja", "en"):
            rows = list(scope.csv_rows(catalog, language))
            assert rows == _reference(scope, catalog, language)
        assert rows[0][1] == "2026-03-29 01:59:59" and rows[1][15] == "2026-10-25 02:30:01"
        assert rows[0][5] == "line;Calls and camera"
        assert rows[0][2].startswith("'=") and rows[0][11] == "'+role" and rows[0][17] == "'@someone"
        out = write_sessions_csv(tmp_path / "s.csv", scope, catalog)
        with open(out, encoding="utf-8-sig", newline="") as f:
            assert list(csv.reader(f))[1:] == _reference(scope, catalog, "ja")
    finally:
        db.close()
