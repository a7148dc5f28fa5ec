"""My Number reads through the real PC/SC stack: MyNumberCard -> PcscTransport -> pcscd -> vpcd -> SimulatedCard."""
from __future__ import annotations

import threading

import pytest
from clerks import clerk_session

from dxdesk.cardreader.errors import LowTriesError, WrongPinError
from dxdesk.cardreader.mynumber import MyNumberCard
from dxdesk.cardreader.pcsc import PcscTransport
from dxdesk.cardreader.service import CardService
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU, PERSON_VERY_LONG_ADDRESS
from dxdesk.config import CardSettings

pytestmark = pytest.mark.pcsc

READER0 = "Virtual PCD 00 00"


class RecordingPinProvider:
    def __init__(self, pin: str | None) -> None:
        self.pin = pin
        self.calls: list[tuple[str, int, str]] = []

    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        self.calls.append((key_label, tries_left, threading.current_thread().name))
        return self.pin


def test_status_query_spends_no_try(insert_card) -> None:
    card = SimulatedCard.from_person(PERSON_KOKUTOU)
    insert_card(card)
    for _ in range(2):
        with PcscTransport(READER0) as transport:
            assert MyNumberCard(transport).remaining_tries() == 3
    assert card.tries_left() == 3


def test_full_read_of_the_test_vector(insert_card) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    with PcscTransport(READER0) as transport:
        holder = MyNumberCard(transport).read(pin="1234", include_my_number=True)
    assert holder == PERSON_KOKUTOU.holder
    assert holder.name == "黒桐\u3000幹也"
    assert holder.my_number == "537686677188"


def test_basic_info_over_256_bytes_in_chunks(insert_card) -> None:
    person = PERSON_VERY_LONG_ADDRESS
    insert_card(SimulatedCard.from_person(person))
    with PcscTransport(READER0) as transport:
        holder = MyNumberCard(transport).read(pin=person.pin)
    assert holder == person.holder.without_my_number()


def test_wrong_pin_through_the_stack_reduces_tries(insert_card) -> None:
    card = SimulatedCard.from_person(PERSON_KOKUTOU)
    insert_card(card)
    with PcscTransport(READER0) as transport:
        with pytest.raises(WrongPinError) as info:
            MyNumberCard(transport).read(pin="9999")
    assert info.value.tries_left == 2
    with PcscTransport(READER0) as transport:
        assert MyNumberCard(transport).remaining_tries() == 2
    assert card.tries_left() == 2


def test_service_reads_on_its_own_thread_and_passes_tries_left(insert_card) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    provider = RecordingPinProvider("1234")
    with CardService(CardSettings(reader_prefix=READER0)) as service:
        service.bind_session(clerk_session())  # a clerk signed in at the desk
        status = service.status().result(timeout=10)
        assert status.card_present and status.tries_left == 3
        assert not status.source.simulated and status.source.reader == READER0
        result = service.read_card(provider).result(timeout=10)
    assert result.holder == PERSON_KOKUTOU.holder.without_my_number()
    assert not result.source.simulated
    [(label, tries, thread_name)] = provider.calls
    assert tries == 3 and "暗証番号" in label
    assert thread_name.startswith("card-io") and thread_name != threading.current_thread().name


def test_service_with_one_try_left_never_asks_for_the_pin(insert_card) -> None:
    card = SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=1)
    insert_card(card)
    provider = RecordingPinProvider("1234")
    with CardService(CardSettings(reader_prefix=READER0, min_tries_for_pin=2)) as service:
        service.bind_session(clerk_session())
        future = service.read_card(provider)
        with pytest.raises(LowTriesError) as info:
            future.result(timeout=10)
    assert info.value.tries_left == 1
    assert provider.calls == []
    assert card.tries_left() == 1
