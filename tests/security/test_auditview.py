from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from dxdesk.security.audit import AuditEntry, EventType, Item
from dxdesk.security.auditview import CSV_COLUMNS, AuditService
from dxdesk.security.permissions import PermissionDeniedError, Role

from .conftest import raw_connection

NUMBER = "123456789018"


@pytest.fixture
def service(db, audit):
    return AuditService(db, audit)


@pytest.mark.parametrize("role", [Role.CLERK, Role.SUPPORTER, Role.ADMINISTRATOR])
def test_only_supervisors_see_verify_and_export(service, sessions, role, tmp_path):
    session = sessions[role]
    for call in (lambda: service.list_events(session), lambda: service.verify(session),
                 lambda: service.export_csv(session, tmp_path / "out.csv")):
        with pytest.raises(PermissionDeniedError):
            call()
    assert not (tmp_path / "out.csv").exists()


def test_list_shows_logins_and_filters_by_time(service, audit, sessions, clock):
    sup = sessions[Role.SUPERVISOR]
    clerk = sessions[Role.CLERK]
    start = clock.advance(hours=1)
    audit.append(AuditEntry(EventType.CARD_READ, clerk.clerk_id, items=(Item.BASIC4,)))
    clock.advance(hours=1)
    audit.append(AuditEntry(EventType.PRINT, clerk.clerk_id))
    rows = service.list_events(sup, start=start, end=start + timedelta(minutes=30))
    assert [(r.record.event_type, r.actor_login) for r in rows] == [("card.read", "clerk")]
    assert [r.record.event_type for r in service.list_events(sup, event_type="form.print")] == ["form.print"]


def test_export_is_bom_csv_and_is_itself_audited(service, audit, sessions, tmp_path):
    sup = sessions[Role.SUPERVISOR]
    audit.append(AuditEntry(EventType.CARD_READ, sessions[Role.CLERK].clerk_id, jimu_type="税",
                            reason="=HYPERLINK(\"http://x\")", items=(Item.BASIC4, Item.MY_NUMBER)))
    out = tmp_path / "audit.csv"
    count = service.export_csv(sup, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == count + 1
    read = [r for r in rows[1:] if r[6] == "card.read"][0]
    assert read[5] == "clerk" and read[9] == "basic4;my_number" and read[7] == "税"
    assert read[8].startswith("'=")  # formula injection neutralised
    last = service.list_events(sup)[-1].record
    assert (last.event_type, last.actor, last.details["rows"]) == ("data.export", sup.clerk_id, count)


def test_my_number_never_reaches_the_audit_table(db, audit, sessions, service, tmp_path):
    """Drive every path that handles a number, then search the raw audit rows and the database bytes."""
    from dxdesk.security.mynumber import ReadPurpose, reveal_my_number, visit_loader
    from dxdesk.store.models import Visit

    clerk = sessions[Role.CLERK]
    visit_id = db.writer.run(lambda orm: _add_visit(orm, Visit))
    audit.append(AuditEntry(EventType.CARD_READ, clerk.clerk_id, jimu_type="社会保障", reason="児童手当",
                            items=(Item.BASIC4, Item.MY_NUMBER), details={"visit_id": visit_id}))
    assert reveal_my_number(clerk, visit_id, ReadPurpose("税", "申告"), audit=audit, load=visit_loader(db)) == NUMBER
    service.export_csv(sessions[Role.SUPERVISOR], tmp_path / "audit.csv")

    conn = raw_connection(db)
    conn.execute("PRAGMA wal_checkpoint(FULL)")
    dump = "\n".join(conn.iterdump())
    audit_rows = [str(row) for row in conn.execute("SELECT * FROM audit_events")]
    conn.close()
    assert len(audit_rows) > 5
    for variant in (NUMBER, "1234 5678 9018", "1234-5678-9018", "山田"):
        assert not any(variant in row for row in audit_rows)
        assert variant not in dump  # nowhere in the database in clear: the visit column is encrypted
    for path in db.path.parent.glob(db.path.name + "*"):
        data = path.read_bytes()
        assert NUMBER.encode() not in data and "山田".encode() not in data
    assert NUMBER not in (tmp_path / "audit.csv").read_text(encoding="utf-8-sig")


def _add_visit(orm, visit_cls):
    visit = visit_cls(procedures=["jidou_teate"], resident_name="山田 花子", my_number=NUMBER)
    orm.add(visit)
    orm.flush()
    return visit.id
