"""The counter core checks roles itself: Visit steps and CardService reads refuse a role that may not do them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dxdesk.cardreader.service import CardService
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.config import CardSettings
from dxdesk.counter import Visit, VisitStep
from dxdesk.security.permissions import PermissionDeniedError, Role, Session


def session_for(role: Role) -> Session:
    return Session(f"id-{role.value}", role.value, role.value, role, datetime(2026, 4, 1, tzinfo=timezone.utc))


def start(catalogue, clock, session, procedures=("juminhyo",)) -> Visit:
    return Visit.start(catalogue, session=session, desk_id="desk-1", procedures=procedures, clock=clock)


@pytest.mark.parametrize("role", [Role.SUPPORTER, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_only_a_clerk_may_start_a_visit(catalogue, clock, role):
    with pytest.raises(PermissionDeniedError) as info:
        start(catalogue, clock, session_for(role))
    assert info.value.permission.name == "MANAGE_VISITS" and info.value.message.ja


def test_clerk_visit_takes_the_session_clerk_id(catalogue, clock, kit):
    visit = start(catalogue, clock, session_for(Role.CLERK), procedures=("tennyu",))
    assert visit.clerk_id == "id-clerk"
    visit.identify(kit.card_with_pin(with_number=True))
    assert visit.step is VisitStep.INTERVIEW


def test_each_step_checks_its_own_permission(catalogue, clock, kit):
    """A session swapped under an open visit (e.g. a different clerk at an unlocked desk) is checked per step."""
    visit = start(catalogue, clock, session_for(Role.CLERK), procedures=("tennyu",))
    visit.session = session_for(Role.SUPPORTER)
    with pytest.raises(PermissionDeniedError) as info:
        visit.identify(kit.card_with_pin(with_number=True))
    assert info.value.permission.name == "READ_CARD"
    assert visit.step is VisitStep.IDENTIFY and visit.card is None  # unchanged
    visit.session = session_for(Role.CLERK)
    visit.identify(kit.card_with_pin(with_number=False))
    visit.session = session_for(Role.SUPERVISOR)
    with pytest.raises(PermissionDeniedError) as info:
        visit.attach_my_number(kit.RESIDENT_NUMBER)
    assert info.value.permission.name == "READ_MY_NUMBER" and not visit.card.has_my_number
    with pytest.raises(PermissionDeniedError):
        visit.bind_session(session_for(Role.SUPPORTER))


def test_card_service_refuses_reads_without_the_permission():
    card = SimulatedCard.from_person(PERSON_KOKUTOU)

    class Pin:
        def request_pin(self, key_label: str, tries_left: int) -> str | None:
            return PERSON_KOKUTOU.pin

    # The default: no read without a signed-in session allowed to read cards.
    with CardService(CardSettings(), list_reader_infos=lambda: [], simulated_card=card, training=True) as service:
        with pytest.raises(PermissionDeniedError):  # nobody signed in
            service.read_card(Pin()).result(10)
        service.bind_session(session_for(Role.SUPPORTER))
        with pytest.raises(PermissionDeniedError) as info:
            service.read_card(Pin()).result(10)
        assert info.value.permission.name == "READ_CARD"
        with pytest.raises(PermissionDeniedError):  # an explicit session is checked the same way
            service.read_card(Pin(), include_my_number=True, session=session_for(Role.SUPERVISOR)).result(10)
        # The refused reads never reached the card: all PIN tries are left.
        assert card.tries_left() == 3
        service.bind_session(session_for(Role.CLERK))
        result = service.read_card(Pin(), include_my_number=True).result(10)
        assert result.holder.my_number == PERSON_KOKUTOU.my_number and result.source.simulated
        service.bind_session(None)
        with pytest.raises(PermissionDeniedError):  # signed out
            service.read_card(Pin()).result(10)


def test_a_visit_without_a_session_refuses_every_change(catalogue, clock, kit, journal):
    """Restored from the journal (which keeps no session), a visit is unchecked nowhere: it asks for a sign-in."""
    visit = start(catalogue, clock, session_for(Role.CLERK), procedures=("juminhyo",))
    visit.journal = journal
    visit._save()
    restored = journal.load(visit.id, catalogue, clock)
    assert restored.session is None and restored.suspended  # the crash counts as a suspension
    for change in (restored.resume, lambda: restored.cancel("x")):
        with pytest.raises(PermissionDeniedError) as info:
            change()
        assert info.value.message.en == "Please sign in first."
    assert restored.suspended and not restored.closed
    restored.session = None
    restored.bind_session(session_for(Role.CLERK))
    restored.resume()
    restored.session = None  # signed out again under an open visit
    with pytest.raises(PermissionDeniedError):
        restored.identify(kit.manual_card())
    assert restored.step is VisitStep.IDENTIFY and restored.card is None
    restored.bind_session(session_for(Role.CLERK))
    restored.identify(kit.manual_card())
    assert restored.step is VisitStep.INTERVIEW
