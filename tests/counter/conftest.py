"""Fixtures for the counter tests: a fake clock, the shipped catalogue, a keyed journal, fictional residents."""
from __future__ import annotations

from datetime import date

import pytest

from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.counter import IdentifyMethod, InMemoryKeyProvider, VisitCardData, VisitJournal, load_catalogue
from fakeclock import FakeClock



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture
def key_provider() -> InMemoryKeyProvider:
    return InMemoryKeyProvider()


@pytest.fixture
def journal(key_provider) -> VisitJournal:
    return VisitJournal(key_provider)


RESIDENT_NAME = PERSON_KOKUTOU.holder.name
RESIDENT_ADDRESS = PERSON_KOKUTOU.holder.address
RESIDENT_NUMBER = PERSON_KOKUTOU.my_number


def card_with_pin(with_number: bool = False) -> VisitCardData:
    holder = PERSON_KOKUTOU.holder if with_number else PERSON_KOKUTOU.holder.without_my_number()
    return VisitCardData.from_card_holder(IdentifyMethod.CARD_PIN, holder)


def manual_card() -> VisitCardData:
    return VisitCardData(
        IdentifyMethod.MANUAL, name="山田\u3000花子", address="北海道白老町大町１丁目１番地", birth_date=date(1948, 3, 9), sex="2",
    )


# Answers that complete the 転入届 interview for a single person with no children.
TENNYU_ANSWERS = {
    "moved_on": "令和8年3月28日",
    "previous_address": "東京都清瀬市観布子南１２－７－２０２",
    "new_postal_code": "0590902",
    "new_address": "北海道白老町大町１丁目１番地",
    "special_move_in": False,
    "household": "new",
    "members_moving": "1",
    "insurance": "employer",
    "has_children_under_18": "no",
    "has_member_65_plus": False,
    "phone": "09012345678",
}


@pytest.fixture
def kit():
    """Helpers and constants for test modules (importlib import mode: tests cannot import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        RESIDENT_NAME=RESIDENT_NAME, RESIDENT_ADDRESS=RESIDENT_ADDRESS, RESIDENT_NUMBER=RESIDENT_NUMBER,
        TENNYU_ANSWERS=TENNYU_ANSWERS, card_with_pin=card_with_pin, manual_card=manual_card,
    )
