"""A record a crash left in the journal is stored at the next start, and forgotten only once stored."""
from __future__ import annotations

from dxdesk.counter import InMemoryKeyProvider, Visit, VisitJournal, load_catalogue
from dxdesk.store.models import Visit as VisitRow
from clerks import clerk_session


def _crashed_record(tmp_path) -> tuple[VisitJournal, str]:
    journal = VisitJournal(InMemoryKeyProvider(), tmp_path / "visits")
    visit = Visit.start(load_catalogue(), session=clerk_session("clerk-before-crash"), desk_id="d", procedures=["juminhyo"], journal=journal)
    visit.cancel("clerk_cancelled")  # closed, but the app died before the store took it
    assert [r.visit_id for r in journal.unstored_records()] == [visit.id]
    return journal, visit.id


def test_unstored_record_is_stored_then_forgotten(qtbot, make_kit, tmp_path):
    journal, visit_id = _crashed_record(tmp_path)
    kit = make_kit(with_card=False, journal=journal)
    kit.page.show()
    qtbot.waitUntil(lambda: journal.unstored_records() == [], timeout=5000)
    with kit.database.session() as orm:
        assert orm.get(VisitRow, visit_id) is not None


def test_unstored_record_survives_a_failed_write(qtbot, make_kit, tmp_path, monkeypatch):
    journal, visit_id = _crashed_record(tmp_path)
    kit = make_kit(with_card=False, journal=journal)
    writer = kit.database.writer
    real_submit = writer.submit

    def failing_job(_session):
        raise OSError("disk full")

    # The write is accepted, then fails on the writer thread (disk full, locked file...).
    monkeypatch.setattr(writer, "submit", lambda _job: real_submit(failing_job))
    kit.page.show()
    qtbot.waitUntil(lambda: kit.page.status.isVisible() and kit.page.status.text() != "", timeout=5000)
    assert [r.visit_id for r in journal.unstored_records()] == [visit_id]


def test_storing_a_record_twice_is_harmless(make_kit, tmp_path):
    """The journal may outlive a successful write (app closed before the answer): the retry must not fail."""
    from dxdesk.security.audit import load_records

    journal, visit_id = _crashed_record(tmp_path)
    kit = make_kit(with_card=False, journal=journal)
    [record] = journal.unstored_records()
    for _ in range(2):
        assert kit.services.visits.store(kit.services.session, record).result(10) == visit_id
    with kit.database.session() as orm:
        closes = load_records(orm, event_type="visit.close")
    assert [(e.actor, e.details["visit_id"], e.details["outcome"]) for e in closes] == [
        (kit.services.session.clerk_id, visit_id, "abandoned")]  # stored once, audited once


def test_a_visit_started_before_the_check_is_not_offered_for_resume(qtbot, make_kit, tmp_path):
    """The pending check is posted when the page first shows; a visit started before it runs is the one at
    the desk, not a leftover: offering it (破棄 would cancel it) was seen in the 1366 screenshots (#14)."""
    journal = VisitJournal(InMemoryKeyProvider(), tmp_path / "visits")
    kit = make_kit(with_card=False, journal=journal)
    kit.page.show()
    kit.page.start_visit(["juminhyo"])  # before the posted check runs
    assert [p.visit_id for p in journal.pending()] == [kit.page.visit.id]
    kit.page.check_pending()  # what the posted check does when it runs
    assert kit.page.resume_dialog is None
    assert kit.page.current_step() == "identify"
