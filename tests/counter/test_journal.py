"""The journal: crash recovery, encryption at rest, file permissions, pending list."""
from __future__ import annotations

import json
import os
import stat

import pytest

from dxdesk.counter import InMemoryKeyProvider, JournalError, Visit, VisitJournal, VisitStep
from dxdesk.counter.timing import EventKind
from dxdesk.paths import app_paths
from clerks import clerk_session

JUMINHYO_ANSWERS = {"juminhyo_copies": 2, "scope": "household", "juminhyo_purpose": "bank", "requester": "self"}


def start(catalogue, clock, journal, procedures=("juminhyo",)) -> Visit:
    return Visit.start(catalogue, session=clerk_session("clerk-7"), desk_id="desk-1", procedures=procedures, clock=clock, journal=journal)


def test_journal_lives_under_data_dir_with_owner_only_file(kit, catalogue, clock, journal):
    visit = start(catalogue, clock, journal)
    path = app_paths().data_dir / "visits" / f"{visit.id}.json"
    assert journal.directory == app_paths().data_dir / "visits"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]  # temp files renamed into place


def test_crash_recovery(kit, catalogue, clock, key_provider):
    journal = VisitJournal(key_provider)
    visit = start(catalogue, clock, journal)
    visit_id = visit.id
    clock.advance(30)
    visit.identify(kit.card_with_pin())
    clock.advance(20)
    visit.answer("juminhyo_copies", "３")
    visit.set_name_kana("こくとう みきや")
    clock.advance(10)
    del visit, journal  # the app crashes here: nothing in memory survives

    clock.advance(300)  # restart takes five minutes
    journal = VisitJournal(key_provider)
    [pending] = journal.pending()
    assert pending.visit_id == visit_id and pending.step is VisitStep.INTERVIEW and not pending.suspended
    restored = journal.load(visit_id, catalogue, clock=clock)
    restored.bind_session(clerk_session())  # the journal keeps no session: the resuming clerk signs in
    # Back as suspended from the last save: the dead time is not billed to the interview.
    assert restored.suspended and restored.timeline[-1].note == "interrupted"
    assert restored.card.name == kit.RESIDENT_NAME and restored.card.name_kana == "コクトウ\u3000ミキヤ"
    assert restored.interview.raw_answers() == {"juminhyo_copies": 3}
    restored.resume()
    clock.advance(15)
    for qid, value in JUMINHYO_ANSWERS.items():
        restored.answer(qid, value)
    restored.finish_interview()
    restored.confirm()
    restored.record_printed("juminhyo_request")
    record = restored.close()
    assert record.step_seconds["identify"] == 30
    assert record.step_seconds["interview"] == 20 + 15  # the 10 s after the last save are unknowable, so not counted
    assert record.suspended_seconds == 310
    assert journal.pending() == []


def test_journal_contains_no_plaintext_personal_data(kit, catalogue, clock, journal):
    visit = start(catalogue, clock, journal, procedures=("kokuho_kanyu",))
    visit.identify(kit.card_with_pin(with_number=True))
    visit.answer("phone", "090-8765-4321")
    visit.set_name_kana("こくとう みきや")
    raw = (journal.directory / f"{visit.id}.json").read_bytes()
    # Only long strings: short digit runs could occur by chance in uuids and base64.
    for secret in (kit.RESIDENT_NAME, "黒桐", "幹也", kit.RESIDENT_ADDRESS, "清瀬", kit.RESIDENT_NUMBER, "090-8765-4321",
                   "コクトウ", "1980-02-17", "19800217"):
        assert secret.encode("utf-8") not in raw, secret
        assert json.dumps(secret).strip('"').encode() not in raw, secret  # nor \\u-escaped
    doc = json.loads(raw)
    assert set(doc["personal"]) == {"v", "nonce", "ct"}
    # After closing, the retained number lives only inside the envelope too.
    visit.answer("kokuho_reason", "move_in")
    visit.answer("kokuho_start_on", "2026-04-01")
    visit.answer("kokuho_members", 1)
    visit.finish_interview()
    visit.confirm()
    visit.close()
    raw = (journal.directory / f"{visit.id}.json").read_bytes()
    assert kit.RESIDENT_NUMBER.encode() not in raw and kit.RESIDENT_NAME.encode() not in raw


def test_closed_records_survive_until_forgotten(kit, catalogue, clock, key_provider):
    journal = VisitJournal(key_provider)
    visit = start(catalogue, clock, journal)
    visit.identify(kit.card_with_pin())
    record = visit.cancel()
    assert journal.pending() == []
    # The app died before the store took the record: it is handed back on the next start.
    [again] = VisitJournal(key_provider).unstored_records()
    assert again == record and again.retained["name"] == kit.RESIDENT_NAME
    journal.forget(visit.id)
    assert journal.unstored_records() == []


def test_reloading_a_suspended_visit_keeps_its_suspension(kit, catalogue, clock, journal):
    visit = start(catalogue, clock, journal)
    clock.advance(5)
    visit.suspend()
    clock.advance(100)
    restored = journal.load(visit.id, catalogue, clock=clock)
    restored.bind_session(clerk_session())
    assert [e.kind for e in restored.timeline].count(EventKind.SUSPEND) == 1
    restored.resume()
    assert restored.times().suspended_seconds == 100


def test_wrong_key_is_a_clear_error(kit, catalogue, clock, journal):
    visit = start(catalogue, clock, journal)
    visit.identify(kit.card_with_pin())
    other = VisitJournal(InMemoryKeyProvider())
    with pytest.raises(JournalError) as info:
        other.load(visit.id, catalogue)
    assert "decrypt" in info.value.message.en and info.value.message.ja


def test_swapped_envelope_does_not_decrypt(kit, catalogue, clock, journal):
    # The visit id is bound into the ciphertext: copying one visit's data into another file fails.
    a = start(catalogue, clock, journal)
    b = start(catalogue, clock, journal)
    a.identify(kit.card_with_pin())
    doc_a = json.loads((journal.directory / f"{a.id}.json").read_text())
    path_b = journal.directory / f"{b.id}.json"
    doc_b = json.loads(path_b.read_text())
    doc_b["personal"] = doc_a["personal"]
    path_b.write_text(json.dumps(doc_b))
    with pytest.raises(JournalError):
        journal.load(b.id, catalogue)


def test_bad_key_length(catalogue, clock):
    journal = VisitJournal(InMemoryKeyProvider(b"short"))
    with pytest.raises(JournalError) as info:
        start(catalogue, clock, journal)
    assert "16, 24 or 32" in info.value.message.en


def test_pending_skips_damaged_files_and_needs_no_key(kit, catalogue, clock, journal, caplog):
    first = start(catalogue, clock, journal)
    clock.advance(60)
    second = start(catalogue, clock, journal, procedures=("tennyu",))
    second.suspend()
    (journal.directory / "broken.json").write_text("{not json")
    pending = VisitJournal().pending()  # the CLI lists without a key
    assert [p.visit_id for p in pending] == [first.id, second.id]
    assert pending[1].suspended and pending[1].procedures == ("tennyu",)
    assert "broken.json" in caplog.text


def test_load_rejects_path_like_ids_and_missing_visits(catalogue, journal):
    with pytest.raises(JournalError):
        journal.load("../../etc/passwd", catalogue)
    with pytest.raises(JournalError):
        journal.load("0000", catalogue)


def test_save_without_key_provider(catalogue, clock):
    with pytest.raises(JournalError) as info:
        start(catalogue, clock, VisitJournal())
    assert "key" in info.value.message.en


def test_unwritable_journal_dir_is_a_clear_error(catalogue, clock, key_provider, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    journal = VisitJournal(key_provider, directory=blocker / "visits")
    with pytest.raises(JournalError) as info:
        start(catalogue, clock, journal)
    assert "Cannot write the visit journal" in info.value.message.en
    assert os.listdir(tmp_path) == ["file"]


def test_a_damaged_closed_record_does_not_hold_back_the_others(kit, catalogue, clock, key_provider, caplog):
    journal = VisitJournal(key_provider)
    good = start(catalogue, clock, journal)
    good.identify(kit.card_with_pin())
    good_record = good.cancel()
    bad = start(catalogue, clock, journal)
    bad.cancel()
    path = journal.directory / f"{bad.id}.json"
    doc = json.loads(path.read_text())
    doc["personal"]["ct"] = doc["personal"]["ct"][:-8] + "AAAAAAA="  # tampered / truncated ciphertext
    path.write_text(json.dumps(doc))
    assert VisitJournal(key_provider).unstored_records() == [good_record]
    assert bad.id in caplog.text and path.exists()  # kept for an administrator


def test_unstored_records_without_a_key_is_a_clear_error(kit, catalogue, clock, key_provider):
    journal = VisitJournal(key_provider)
    start(catalogue, clock, journal).cancel()
    with pytest.raises(JournalError) as info:
        VisitJournal().unstored_records()
    assert "key" in info.value.message.en
