from __future__ import annotations

import pytest
from sqlalchemy import select

from dxdesk.security.audit import EventType
from dxdesk.security.mynumber import (
    JimuType, MaskedNumber, MyNumberNotStoredError, ReadPurpose, ReasonError, is_valid_my_number,
    mask_my_number, my_number_check_digit, reveal_my_number, visit_loader,
)
from dxdesk.security.permissions import PermissionDeniedError, Role
from dxdesk.store.models import AuditEvent, Visit

NUMBER = "123456789018"  # valid check digit, not a real person's number


def test_masked_number_never_prints_the_value():
    masked = MaskedNumber.of("1234 5678 9018")
    assert str(masked) == "**** **** 9018" == f"{masked}" == mask_my_number("１２３４-５６７８-９０１８")
    assert NUMBER not in repr(masked) and NUMBER not in str([masked]) and NUMBER not in f"{masked!r}"
    assert masked.last4 == "9018"


def test_bad_numbers_are_refused_without_echo():
    with pytest.raises(ValueError) as info:
        MaskedNumber.of("12345")
    assert "12345" not in str(info.value)
    assert is_valid_my_number(NUMBER)
    assert not is_valid_my_number("123456789019")


def test_check_digit_known_values_and_wants_ascii():
    # 537686677188 is the card document's test number; 123456789018 is valid by the same rule
    # (6*1+5*2+4*3+3*4+2*5+7*6+6*7+5*8+4*9+3*0+2*1 = 212, 212 % 11 = 3, 11 - 3 = 8).
    assert my_number_check_digit("53768667718") == 8
    assert my_number_check_digit("12345678901") == 8
    assert my_number_check_digit("00000000000") == 0
    with pytest.raises(ValueError):
        my_number_check_digit("１２３４５６７８９０１")  # full-width: normalize_my_number first


def test_read_purpose_validation():
    assert ReadPurpose("税", "  確定申告   の 添付 ").validated() == ReadPurpose(JimuType.TAX, "確定申告 の 添付")
    assert ReadPurpose("独自事務", "条例").validated().jimu_text == "独自事務"
    with pytest.raises(ReasonError):
        ReadPurpose(JimuType.TAX, "   ").validated()
    assert {j.value for j in JimuType} >= {"住民票関係", "税", "社会保障", "災害対策"}


@pytest.fixture
def visit_id(db):
    def job(orm):
        visit = Visit(procedures=["juminhyo"], resident_name="山田 太郎", my_number=NUMBER)
        orm.add(visit)
        orm.flush()
        return visit.id

    return db.writer.run(job)


def _reveal_events(db):
    with db.session() as orm:
        return orm.scalars(select(AuditEvent).where(
            AuditEvent.event_type == EventType.MY_NUMBER_REVEAL.value).order_by(AuditEvent.seq)).all()


def test_reveal_is_audited_before_the_value_is_returned(db, audit, sessions, visit_id):
    clerk = sessions[Role.CLERK]
    value = reveal_my_number(clerk, visit_id, ReadPurpose(JimuType.SOCIAL_SECURITY, "児童手当の申請"),
                             audit=audit, load=visit_loader(db))
    assert value == NUMBER
    [event] = _reveal_events(db)
    assert (event.actor, event.result, event.jimu_type, event.reason) == (
        clerk.clerk_id, "success", "社会保障", "児童手当の申請")
    assert event.items == ["my_number"] and event.details == {"visit_id": visit_id}


def test_reveal_needs_a_reason(db, audit, sessions, visit_id):
    with pytest.raises(ReasonError):
        reveal_my_number(sessions[Role.CLERK], visit_id, "", audit=audit, load=visit_loader(db))
    assert _reveal_events(db) == []


@pytest.mark.parametrize("role", [Role.SUPPORTER, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_other_roles_cannot_reveal_and_the_attempt_is_audited(db, audit, sessions, visit_id, role):
    loads = []
    with pytest.raises(PermissionDeniedError):
        reveal_my_number(sessions[role], visit_id, "確認", audit=audit, load=lambda v: loads.append(v) or NUMBER)
    assert loads == []  # the number was never even decrypted
    [event] = _reveal_events(db)
    assert (event.actor, event.result) == (sessions[role].clerk_id, "denied")


def test_reveal_of_a_visit_without_a_number(db, audit, sessions):
    with pytest.raises(MyNumberNotStoredError):
        reveal_my_number(sessions[Role.CLERK], "no-such-visit", "確認", audit=audit, load=visit_loader(db))
    assert _reveal_events(db)[0].result == "failure"
