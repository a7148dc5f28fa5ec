"""The visit state machine: steps, timing, suspension, identification paths, closing."""
from __future__ import annotations

import pytest

from dxdesk.counter import IdentifyMethod, Visit, VisitCardData, VisitError, VisitStep
from dxdesk.counter.timing import EventKind
from clerks import clerk_session
from dxdesk.cardreader.testdata import PERSON_KOKUTOU


def start(catalogue, clock, procedures=("juminhyo",), journal=None) -> Visit:
    return Visit.start(
        catalogue, session=clerk_session("clerk-7"), desk_id="desk-1", desk_name="1番窓口", procedures=procedures, clock=clock,
        journal=journal,
    )


def answer_all(visit: Visit, answers: dict) -> None:
    for qid, value in answers.items():
        visit.answer(qid, value)


JUMINHYO_ANSWERS = {"juminhyo_copies": 2, "scope": "household", "juminhyo_purpose": "bank", "requester": "self"}


def test_happy_path_with_per_step_durations(kit, catalogue, clock, journal):
    visit = start(catalogue, clock, journal=journal)
    assert visit.step is VisitStep.IDENTIFY and not visit.needs_my_number
    clock.advance(40)
    visit.identify(kit.card_with_pin())
    assert visit.step is VisitStep.INTERVIEW
    clock.advance(90)
    answer_all(visit, JUMINHYO_ANSWERS)
    visit.set_name_kana("こくとう みきや")
    visit.finish_interview()
    assert visit.step is VisitStep.CONFIRM
    clock.advance(30)
    visit.confirm()
    assert visit.step is VisitStep.PRINT
    assert visit.forms_to_print == ("juminhyo_request", "guide_sheet")
    clock.advance(20)
    visit.record_printed("juminhyo_request")
    visit.record_printed("juminhyo_request")  # a reprint is not a second form
    visit.record_printed("guide_sheet")
    clock.advance(5)
    record = visit.close()

    assert visit.step is VisitStep.CLOSED and visit.closed
    assert record.outcome == "completed"
    assert record.step_seconds == {"identify": 40, "interview": 90, "confirm": 30, "print": 25}
    assert record.total_seconds == 185 and record.active_seconds == 185 and record.suspended_seconds == 0
    assert record.procedures == ("juminhyo",)
    assert record.identify_method == "card_pin"
    assert record.forms_printed == ("juminhyo_request", "guide_sheet")
    assert record.card_items_read == ("name", "address", "birth_date", "sex")
    assert record.retained == {"name": kit.RESIDENT_NAME, "address": kit.RESIDENT_ADDRESS}
    assert (record.clerk_id, record.desk_id) == ("clerk-7", "desk-1")
    assert [e.step for e in visit.timeline if e.kind is EventKind.ENTER] == [
        VisitStep.IDENTIFY, VisitStep.INTERVIEW, VisitStep.CONFIRM, VisitStep.PRINT,
    ]


def test_suspend_and_resume_are_not_counted_in_steps(kit, catalogue, clock):
    visit = start(catalogue, clock)
    clock.advance(10)
    visit.identify(kit.card_with_pin())
    clock.advance(30)
    visit.suspend()
    assert visit.suspended
    clock.advance(600)  # the resident went to fetch a document
    with pytest.raises(VisitError) as info:
        visit.answer("juminhyo_copies", 1)
    assert info.value.code == "visit_suspended"
    visit.resume()
    clock.advance(20)
    answer_all(visit, JUMINHYO_ANSWERS)
    visit.finish_interview()
    clock.advance(5)
    visit.suspend("phone_call")
    clock.advance(100)
    visit.resume()
    clock.advance(5)
    visit.confirm()
    clock.advance(10)
    record = visit.close()
    assert record.step_seconds == {"identify": 10, "interview": 50, "confirm": 10, "print": 10}
    assert record.suspended_seconds == 700 and record.suspensions == 2
    assert record.active_seconds == 80
    assert record.total_seconds == 780
    assert [e.note for e in visit.timeline if e.kind is EventKind.SUSPEND] == ["resident_away", "phone_call"]


def test_times_of_an_open_visit_run_to_now(catalogue, clock):
    visit = start(catalogue, clock)
    clock.advance(12)
    assert visit.times().step_seconds["identify"] == 12
    visit.suspend()
    clock.advance(60)
    times = visit.times()
    assert times.step_seconds["identify"] == 12 and times.suspended_seconds == 60 and times.total_seconds == 72


def test_back_to_interview_adds_to_the_interview_step(kit, catalogue, clock):
    visit = start(catalogue, clock)
    visit.identify(kit.card_with_pin())
    clock.advance(10)
    answer_all(visit, JUMINHYO_ANSWERS)
    visit.finish_interview()
    clock.advance(5)
    visit.reopen_interview()
    clock.advance(7)
    visit.finish_interview()
    clock.advance(3)
    visit.confirm()
    times = visit.times()
    assert times.step_seconds["interview"] == 17 and times.step_seconds["confirm"] == 8


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (lambda v: v.finish_interview(), "invalid_transition"),
        (lambda v: v.confirm(), "invalid_transition"),
        (lambda v: v.close(), "invalid_transition"),
        (lambda v: v.record_printed("guide_sheet"), "invalid_transition"),
        (lambda v: v.answer("juminhyo_copies", 1), "invalid_transition"),
        (lambda v: v.reopen_interview(), "invalid_transition"),
        (lambda v: v.resume(), "invalid_transition"),
    ],
)
def test_invalid_transitions_from_identify(catalogue, clock, action, code):
    visit = start(catalogue, clock)
    with pytest.raises(VisitError) as info:
        action(visit)
    assert info.value.code == code
    assert "Identification" in info.value.message.en or "not suspended" in info.value.message.en
    assert info.value.message.ja
    assert visit.step is VisitStep.IDENTIFY and len(visit.timeline) == 1  # unchanged


def test_cannot_identify_twice_or_act_after_close(kit, catalogue, clock):
    visit = start(catalogue, clock)
    visit.identify(kit.card_with_pin())
    with pytest.raises(VisitError) as info:
        visit.identify(kit.card_with_pin())
    assert "Interview" in info.value.message.en and "聞き取り" in info.value.message.ja
    visit.cancel("resident left")
    for action in (visit.suspend, visit.resume, lambda: visit.answer("scope", "household"), visit.cancel):
        with pytest.raises(VisitError) as info:
            action()
        assert info.value.code == "visit_closed"


def test_finish_interview_reports_missing_answers(kit, catalogue, clock):
    visit = start(catalogue, clock)
    visit.identify(kit.card_with_pin())
    visit.answer("juminhyo_copies", 1)
    with pytest.raises(VisitError) as info:
        visit.finish_interview()
    assert info.value.code == "missing_answers"
    assert "Who should be listed" in info.value.message.en and "記載する人" in info.value.message.ja


def test_answers_edited_during_confirmation_are_rechecked(kit, catalogue, clock):
    visit = start(catalogue, clock)
    visit.identify(kit.card_with_pin())
    answer_all(visit, JUMINHYO_ANSWERS)
    visit.finish_interview()
    visit.answer("scope", "some")  # the resident asks for some members only: a new question appears
    with pytest.raises(VisitError) as info:
        visit.confirm()
    assert info.value.code == "missing_answers"
    visit.answer("listed_people", "黒桐幹也")
    visit.confirm()


def test_manual_identification_path(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("zei_shomei",))
    clock.advance(120)  # the card PIN is nearly locked: the clerk types from a driving licence
    visit.identify(kit.manual_card())
    answer_all(visit, {"tax_certificate_types": ["shotoku"], "fiscal_year": 2025, "tax_copies": 1, "tax_purpose": "bank",
                       "requester": "self"})
    visit.finish_interview()
    visit.confirm()
    visit.record_printed("tax_certificate_request")
    record = visit.close()
    assert record.identify_method == "manual"
    assert record.card_items_read == ()  # nothing came off a card
    assert record.retained == {"name": "山田\u3000花子", "address": "北海道白老町大町１丁目１番地", "birth_date": "1948-03-09"}
    assert record.step_seconds["identify"] == 120


def test_matching_b_cannot_carry_a_number(kit, catalogue, clock):
    with pytest.raises(VisitError):
        VisitCardData(IdentifyMethod.CARD_MATCHING_B, name="a", address="b", birth_date=kit.manual_card().birth_date, sex="1",
                      my_number=kit.RESIDENT_NUMBER)


def test_matching_b_visit_takes_the_number_from_a_later_pin_read(kit, catalogue, clock, journal):
    """照合番号B identifies; a procedure needs the number: a separate PIN read adds it to the same visit."""
    visit = start(catalogue, clock, procedures=("kokuho_kanyu",), journal=journal)
    card = VisitCardData.from_card_holder(IdentifyMethod.CARD_MATCHING_B, PERSON_KOKUTOU.holder.without_my_number())
    card.mark_face_checked()
    visit.identify(card)
    visit.attach_my_number(kit.RESIDENT_NUMBER)
    assert visit.identify_method is IdentifyMethod.CARD_MATCHING_B  # the identity is still the B one
    assert visit.card.masked_my_number() == "**** **** 7188"
    assert visit.card.items_read == ("name", "address", "birth_date", "sex", "face_photo", "my_number")
    # A crash now: the journal brings the visit back with the number (the B + number rule holds on load).
    restored = journal.load(visit.id, catalogue, clock=clock)
    assert restored.card.has_my_number and restored.card.number_added_later
    assert restored.card.items_read == visit.card.items_read
    # The same read can still not carry the number: only a later, separate read adds it.
    with pytest.raises(VisitError):
        VisitCardData.from_card_holder(IdentifyMethod.CARD_MATCHING_B, PERSON_KOKUTOU.holder)


def test_my_number_only_when_a_procedure_requires_it(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("juminhyo",))
    with pytest.raises(VisitError) as info:
        visit.identify(kit.card_with_pin(with_number=True))
    assert info.value.code == "my_number_not_allowed"
    assert kit.RESIDENT_NUMBER not in str(info.value)

    visit = start(catalogue, clock, procedures=("kokuho_kanyu",))
    assert visit.needs_my_number
    visit.identify(kit.card_with_pin(with_number=False))
    visit.answer("kokuho_reason", "move_in")
    visit.answer("kokuho_start_on", "2026-04-01")
    visit.answer("kokuho_members", 1)
    visit.answer("phone", "0144-82-2111")
    with pytest.raises(VisitError) as info:
        visit.finish_interview()
    assert info.value.code == "my_number_missing"
    visit.attach_my_number(kit.RESIDENT_NUMBER)
    assert visit.card.masked_my_number() == "**** **** 7188"
    visit.finish_interview()


def test_dropping_the_procedure_drops_the_number(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("juminhyo", "kokuho_kanyu"))
    visit.identify(kit.card_with_pin(with_number=True))
    assert visit.card.has_my_number
    visit.set_procedures(["juminhyo"])
    assert not visit.card.has_my_number
    with pytest.raises(VisitError):
        visit.card.my_number()


def test_close_discards_card_data_and_keeps_only_required_fields(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("kokuho_kanyu", "juminhyo"))
    card = kit.card_with_pin(with_number=True)
    visit.identify(card)
    answer_all(visit, JUMINHYO_ANSWERS)
    answer_all(visit, {"kokuho_reason": "move_in", "kokuho_start_on": "2026-04-01", "kokuho_members": 1, "phone": "0144822111"})
    visit.set_name_kana("コクトウ　ミキヤ")
    visit.finish_interview()
    visit.confirm()
    record = visit.close()
    assert card.discarded and not card.has_my_number
    with pytest.raises(VisitError) as info:
        _ = card.name
    assert info.value.code == "card_data_discarded"
    assert "discarded" in repr(card) and kit.RESIDENT_NAME not in repr(card)
    # 国保 keeps the number for qualification management (requires_my_number + retain).
    assert record.retained["my_number"] == kit.RESIDENT_NUMBER
    assert record.retained["name_kana"] == "コクトウ\u3000ミキヤ"
    assert record.card_items_read == ("name", "address", "birth_date", "sex", "my_number")
    assert visit.interview.raw_answers() == {}  # answers went onto the forms, not into the record


def test_record_has_no_personal_data_when_nothing_is_retained(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("tenko",))
    visit.identify(kit.card_with_pin())
    record = visit.cancel("resident will come back tomorrow")
    assert record.outcome == "cancelled" and record.cancel_reason == "resident will come back tomorrow"
    assert record.retained == {"name": kit.RESIDENT_NAME, "address": kit.RESIDENT_ADDRESS}
    visit = start(catalogue, clock, procedures=())
    record = visit.cancel()
    assert record.retained == {} and record.identify_method is None and record.card_items_read == ()
    flat = repr(record.to_json())
    assert kit.RESIDENT_NAME not in flat


def test_cancel_while_suspended_counts_the_suspension(catalogue, clock):
    visit = start(catalogue, clock)
    clock.advance(10)
    visit.suspend()
    clock.advance(50)
    record = visit.cancel()
    assert record.step_seconds["identify"] == 10 and record.suspended_seconds == 50 and record.total_seconds == 60


def test_unknown_form_cannot_be_recorded(kit, catalogue, clock):
    visit = start(catalogue, clock)
    visit.identify(kit.card_with_pin())
    answer_all(visit, JUMINHYO_ANSWERS)
    visit.finish_interview()
    visit.confirm()
    with pytest.raises(VisitError) as info:
        visit.record_printed("koseki_request")
    assert info.value.code == "unknown_form"


def test_start_needs_clerk_and_desk(catalogue, clock):
    with pytest.raises(VisitError):
        Visit.start(catalogue, session=clerk_session(""), desk_id="d", clock=clock)


def test_tennyu_full_interview(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("tennyu",))
    visit.identify(kit.card_with_pin(with_number=True))
    answer_all(visit, kit.TENNYU_ANSWERS)
    visit.finish_interview()
    assert [p.id for p in visit.interview.suggested_follow_ons()] == ["inkan_toroku", "mynacard_jusho"]
    visit.confirm()
    visit.record_printed("idou_todoke")
    record = visit.close()
    assert "my_number" not in record.retained  # 転入届 needs the number on the form, not in our records
    assert "my_number" in record.card_items_read


def test_mistyped_number_is_refused_without_echoing_it(kit, catalogue, clock):
    visit = start(catalogue, clock, procedures=("kokuho_kanyu",))
    visit.identify(kit.manual_card())
    wrong = kit.RESIDENT_NUMBER[:-1] + str((int(kit.RESIDENT_NUMBER[-1]) + 1) % 10)
    with pytest.raises(VisitError) as info:
        visit.attach_my_number(wrong)
    assert info.value.code == "bad_card_data" and wrong not in str(info.value)
    assert not visit.card.has_my_number
