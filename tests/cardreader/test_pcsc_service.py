"""CardService flows with the in-process simulated backend (no pcscd needed).

Reader discovery is replaced through the service's ``list_reader_infos`` hook, so
these tests also cover the backend choice: training mode -> the fictional card; otherwise an error.
"""
from __future__ import annotations

import threading

import pytest
from clerks import clerk_session

from dxdesk.cardreader.errors import (
    InvalidPinFormatError,
    LowTriesError,
    NoReaderError,
    PinBlockedError,
    ReaderUnavailableError,
    SecurityStatusError,
    WrongPinError,
)
from dxdesk.cardreader.pcsc import ReaderInfo
from dxdesk.cardreader.service import (
    SIMULATED_LABEL,
    CardService,
    PinExchange,
    ReadCancelledError,
)
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.config import CardSettings


class Provider:
    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.calls: list[int] = []
        self.threads: set[str] = set()

    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        self.calls.append(tries_left)
        self.threads.add(threading.current_thread().name)
        return self.answers.pop(0)


def no_readers() -> list[ReaderInfo]:
    return []


def no_service() -> list[ReaderInfo]:
    raise ReaderUnavailableError()


def service(card: SimulatedCard | None = None, **settings) -> CardService:
    """Training mode: the in-process fictional card (no reader listed), a clerk signed in at the desk."""
    svc = CardService(CardSettings(**settings), list_reader_infos=no_readers, simulated_card=card, training=True)
    svc.bind_session(clerk_session())
    return svc


def unsimulated(list_reader_infos, *, training: bool) -> CardService:
    """A service over the given reader list, a clerk signed in at the desk."""
    svc = CardService(CardSettings(), list_reader_infos=list_reader_infos, training=training)
    svc.bind_session(clerk_session())
    return svc


def test_training_card_is_used_and_labelled_in_training_mode() -> None:
    with service() as svc:
        status = svc.status().result(5)
        result = svc.read_card(Provider("1234"), include_my_number=True).result(5)
    assert status.source.simulated and status.source.label == SIMULATED_LABEL
    assert status.source.label.ja == "研修用の模擬カード"
    assert status.card_present and status.tries_left == 3
    assert result.source.simulated
    assert result.holder == PERSON_KOKUTOU.holder
    assert "537686677188" not in repr(result)


def test_training_card_also_stands_in_when_pcscd_is_missing() -> None:
    with CardService(CardSettings(), list_reader_infos=no_service, training=True) as svc:
        assert svc.status().result(5).source.simulated


def test_training_mode_never_reads_a_real_reader() -> None:
    real = ReaderInfo("SONY FeliCa Port/PaSoRi 4.0 00 00", True, b"\x3b", False, False, False)
    vpcd = ReaderInfo("Virtual PCD 00 01", True, b"\x3b", False, False, False)
    with CardService(CardSettings(), list_reader_infos=lambda: [real], training=True) as svc:
        assert svc._choose() is None  # the in-process fictional card, not the resident's card
    with CardService(CardSettings(), list_reader_infos=lambda: [real, vpcd], training=True) as svc:
        assert svc._choose() == vpcd  # the simulator served through pcscd (dxdesk card sim)


def test_outside_training_no_reader_or_no_service_is_an_error_never_a_demo_card() -> None:
    with unsimulated(no_readers, training=False) as svc:
        assert svc.status().result(5).source is None
        with pytest.raises(NoReaderError):
            svc.read_card(Provider("1234")).result(5)
    with unsimulated(no_service, training=False) as svc:
        with pytest.raises(ReaderUnavailableError):
            svc.status().result(5)
        with pytest.raises(ReaderUnavailableError):
            svc.read_card(Provider("1234")).result(5)


def test_provider_runs_on_the_card_thread_with_tries_left() -> None:
    provider = Provider("1234")
    with service() as svc:
        svc.read_card(provider).result(5)
    assert provider.calls == [3]
    [name] = provider.threads
    assert name.startswith("card-io")


def test_wrong_pin_then_counter_persists_on_the_demo_card() -> None:
    card = SimulatedCard.from_person(PERSON_KOKUTOU)
    with service(card) as svc:
        with pytest.raises(WrongPinError) as info:
            svc.read_card(Provider("0000")).result(5)
        assert info.value.tries_left == 2
        provider = Provider("1234")
        svc.read_card(provider).result(5)
    assert provider.calls == [2]
    assert card.tries_left() == 3  # a good PIN resets the counter


def test_low_tries_never_asks_and_blocked_is_reported() -> None:
    provider = Provider("1234")
    with service(SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=1)) as svc:
        with pytest.raises(LowTriesError):
            svc.read_card(provider).result(5)
    with service(SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=0)) as svc:
        with pytest.raises(PinBlockedError):
            svc.read_card(provider).result(5)
    assert provider.calls == []


def test_last_try_allowed_when_policy_says_one() -> None:
    card = SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=1)
    provider = Provider("1234")
    with service(card, min_tries_for_pin=1) as svc:
        svc.read_card(provider).result(5)
    assert provider.calls == [1]


def test_bad_pin_format_costs_nothing() -> None:
    card = SimulatedCard.from_person(PERSON_KOKUTOU)
    with service(card) as svc:
        with pytest.raises(InvalidPinFormatError):
            svc.read_card(Provider("12a4")).result(5)
    assert card.tries_left() == 3


def test_code_b_reads_without_asking_and_refuses_my_number() -> None:
    provider = Provider()
    with service() as svc:
        result = svc.read_card(provider, code_b=PERSON_KOKUTOU.code_b).result(5)
        with pytest.raises(SecurityStatusError):
            svc.read_card(provider, include_my_number=True, code_b=PERSON_KOKUTOU.code_b).result(5)
    assert result.holder == PERSON_KOKUTOU.holder.without_my_number()
    assert provider.calls == []


def test_cancel_wakes_a_pending_pin_request() -> None:
    asked = threading.Event()
    with service() as svc:

        class WaitingProvider:
            def request_pin(self, key_label: str, tries_left: int) -> str | None:
                exchange = svc.new_pin_exchange()
                asked.set()
                return exchange.wait(timeout=30)

        future = svc.read_card(WaitingProvider())
        assert asked.wait(5)
        svc.cancel()
        with pytest.raises(ReadCancelledError):
            future.result(5)


def test_pin_exchange_hands_over_the_answer_once() -> None:
    exchange = PinExchange()
    got: list[str | None] = []
    thread = threading.Thread(target=lambda: got.append(exchange.wait(5)))
    thread.start()
    exchange.answer("1234")
    exchange.answer("9999")  # a second answer is ignored
    thread.join(5)
    assert got == ["1234"]
    assert PinExchange().wait(timeout=0.01) is None  # nobody answered


def test_jobs_run_one_at_a_time_on_one_thread() -> None:
    names: list[str] = []
    with service() as svc:
        futures = [svc.submit(lambda: names.append(threading.current_thread().name)) for _ in range(5)]
        for f in futures:
            f.result(5)
    assert len(set(names)) == 1


def test_a_new_read_does_not_uncancel_an_earlier_queued_read() -> None:
    gate = threading.Event()
    first, second = Provider("1234"), Provider("1234")
    with service() as svc:
        busy = svc.submit(lambda: gate.wait(10))  # the card thread is busy: both reads queue up
        earlier = svc.read_card(first)
        svc.cancel()  # the clerk cancels the first read while it still waits in the queue
        later = svc.read_card(second)  # ... and starts over with the next resident
        gate.set()
        assert busy.result(5)
        with pytest.raises(ReadCancelledError):
            earlier.result(5)
        assert later.result(5).holder == PERSON_KOKUTOU.holder.without_my_number()
    assert first.calls == []  # the cancelled read never asked for a PIN
    assert second.calls == [3]


def test_cancel_does_not_reach_reads_asked_for_afterwards() -> None:
    with service() as svc:
        svc.cancel()
        assert svc.read_card(Provider("1234")).result(5).holder == PERSON_KOKUTOU.holder.without_my_number()


def test_training_mode_keeps_only_the_fictional_people() -> None:
    # A card that is not one of the built-in people (e.g. a real card relayed into a vpcd slot).
    import dataclasses

    from dxdesk.cardreader.errors import NotTrainingCardError
    from dxdesk.cardreader.testdata import _person

    stranger = _person("stranger", "山田　花子", "北海道サンプル町1-1", PERSON_KOKUTOU.holder.birth_date,
                       PERSON_KOKUTOU.holder.sex, PERSON_KOKUTOU.my_number, pin="1234", expiry_year=2030,
                       security_code="1234", sign_password="ABC123")
    with service(SimulatedCard.from_person(stranger)) as svc:
        with pytest.raises(NotTrainingCardError):
            svc.read_card(Provider("1234")).result(5)
    with service(SimulatedCard.from_person(dataclasses.replace(PERSON_KOKUTOU))) as svc:
        assert svc.read_card(Provider("1234")).result(5).holder == PERSON_KOKUTOU.holder.without_my_number()
