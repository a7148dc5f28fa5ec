"""``support import`` at scale: batches (one transaction and one audit event each), progress, row errors for
bad fields, warnings for unknown columns, and committed batches never reported as failed."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dxdesk.security.audit import AuditLog, EventType, load_records
from dxdesk.security.permissions import Role, Session
from dxdesk.store.database import open_database
from dxdesk.support.catalog import Catalog
from dxdesk.support.csv_import import import_csv, import_csv_text
from dxdesk.support.csvio import write_sessions_csv
from dxdesk.support.repository import InMemoryRepository
from dxdesk.support.service import SupportService
from dxdesk.support.sql_repository import SqlRepository

HEAD = "ID,開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果"


def row(day: int, **override: str) -> str:
    cells = {"id": "", "at": f"2026-10-{day:02d} 10:00", "topic": "power", "att": "1"} | override
    return f"{cells['id']},{cells['at']},中央公民館,community_hall,{cells['topic']},android,75-79,{cells['att']},1,20,resolved"


def supporter() -> Session:
    return Session("id-vol", "vol", "vol", Role.SUPPORTER, datetime(2026, 10, 1, tzinfo=timezone.utc))


def test_batches_are_committed_and_audited_one_by_one_with_progress(tmp_path, dataset):
    db = open_database()
    try:
        service = SupportService(SqlRepository(db), supporter(), AuditLog(db))
        src = tmp_path / "history.csv"
        write_sessions_csv(src, dataset, Catalog.seeded())  # 12 live sessions
        seen = []
        result = import_csv(src, service, batch_rows=5, progress=seen.append)
        assert result.ok and result.rows == 12 and len(result.imported) == 12 and not result.stopped
        assert [(p.rows, p.imported) for p in seen] == [(5, 5), (10, 10), (12, 12)]
        assert seen[-1].done_fraction == pytest.approx(1.0) and 0 < seen[0].done_fraction <= 1
        with db.session() as orm:
            details = [e.details for e in load_records(orm, event_type=EventType.SUPPORT_CHANGE.value)]
        assert details == [{"kind": "imported", "added": n, "already_present": 0} for n in (5, 5, 2)]
        again = import_csv(src, service, batch_rows=5)  # idempotent, batch by batch
        assert again.imported == [] and len(again.already_present) == 12
    finally:
        db.close()


def test_bad_fields_are_row_errors_and_the_rest_is_imported():
    huge = "x" * 200_000  # above the CSV reader's field limit
    text = "\r\n".join([
        HEAD,
        row(1),                                          # row 2: fine
        row(2, topic=huge),                              # row 3: a giant cell
        row(3, at="0001-01-01 10:00"),                   # row 4: year 0001
        row(4),                                          # row 5: fine
        row(5, att='1"2'),                               # row 6: a stray quote inside a cell
        row(6) + ',"unterminated',                       # row 7: an opening quote never closed (eats the rest)
        row(7),
    ]) + "\r\n"
    result = import_csv_text(text, InMemoryRepository())
    errors = {e.row: str(e) for e in result.errors}
    assert len(result.imported) == 2 and result.rows == 6
    assert "row 3" in errors[3] and "field larger than field limit" in errors[3]
    assert "cannot read date/time '0001-01-01 10:00'" in errors[4] and "years 2000-2099" in errors[4]
    assert "'1\"2' is not a whole number" in errors[6]
    assert "this row has 12 cells but the heading row has 11 (a stray quote or comma?)" in errors[7]
    assert "Traceback" not in "".join(errors.values())


def test_unknown_and_misspelt_columns_are_reported_not_silently_dropped():
    text = f"{HEAD},メモ欄,helpr_role,トピック名\r\n{row(1)},x,y,z\r\n"
    result = import_csv_text(text, InMemoryRepository())
    assert result.ok and len(result.imported) == 1
    warned = {w.column: str(w) for w in result.warnings}
    assert set(warned) == {"メモ欄", "helpr_role"}  # トピック名 is the export's own label column
    assert "did you mean 'helper_role'?" in warned["helpr_role"]
    assert warned["メモ欄"].startswith("row 1, column 'メモ欄': unknown column")


class FailsOnSecondBatch(InMemoryRepository):
    calls = 0

    def add_many(self, sessions, *, by=""):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 2:
            raise TimeoutError("the database stayed locked")
        return super().add_many(sessions, by=by)


def test_a_failing_batch_stops_the_import_but_keeps_and_counts_the_committed_ones():
    text = "\r\n".join([HEAD] + [row(d) for d in range(1, 8)]) + "\r\n"
    repo = FailsOnSecondBatch()
    result = import_csv_text(text, repo, batch_rows=3)
    assert len(result.imported) == 3 and len(repo.list()) == 3
    assert "TimeoutError: the database stayed locked" in result.stopped
    again = import_csv_text(text, InMemoryRepository(repo.list()), batch_rows=3)  # re-run continues
    assert len(again.already_present) == 3 and len(again.imported) == 4
