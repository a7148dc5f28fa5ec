"""Card generations behind one interface, told apart by which applications the card selects.

The card issued since 2016 has four APs (text, 券面事項確認, JPKI, 住基/共通) and 照合番号B of 14
digits. The next generation (announced for around FY2028) merges them into two and replaces
照合番号B with a 6-digit number; its AIDs are not public yet (docs/cardreader.md, "Card
generations"). Adding it is a new module with a class that has the :class:`CardProfile` members,
listed in :data:`PROFILES` before the older ones; nothing else changes.

Detection never looks at the ATR: the same card has different ATRs in different readers and
contactless ATRs are synthesised by the reader (docs/mynumber-card.md §6.1).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from dxdesk.cardreader.errors import NotMyNumberCardError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from dxdesk.cardreader.apdu import Transport
    from dxdesk.cardreader.cardface import FacePhoto
    from dxdesk.cardreader.chipcheck import ChipCheck
    from dxdesk.cardreader.model import CardHolder
    from dxdesk.cardreader.mynumber import MyNumberCard


@dataclass(frozen=True, repr=False)
class IdentityExtras:
    """What the identify step reads beyond the four items. ``photo`` lives in memory only."""

    profile: str
    card_expiry: dt.date | None  # from the chip (券面事項確認AP); None on the PIN route
    photo: "FacePhoto | None"
    auth_cert_not_after: dt.datetime | None  # UTC
    chip: "ChipCheck | None"

    def __repr__(self) -> str:
        return (f"IdentityExtras(profile={self.profile!r}, card_expiry={self.card_expiry}, "
                f"photo={'yes' if self.photo else 'no'}, chip={self.chip.status.value if self.chip else None})")


@dataclass(frozen=True, repr=False)
class IdentityRead:
    holder: "CardHolder"
    extras: IdentityExtras

    def __repr__(self) -> str:
        return f"IdentityRead({self.holder!r}, {self.extras!r})"


class CardProfile(Protocol):
    """One card generation. Instances are bound to one connected transport (card thread only)."""

    name: str

    def read_identity(
        self, *, pin: str | None = None, code_b: str | None = None, include_my_number: bool = False,
        allow_last_try: bool = False, anchors: "list[rsa.RSAPublicKey] | None" = None,
    ) -> IdentityRead: ...

    def read_extras(
        self, card: "MyNumberCard", *, code_b: str | None = None, anchors: "list[rsa.RSAPublicKey] | None" = None,
        allow_last_try: bool = False,
    ) -> IdentityExtras:
        """The extras after ``card`` read the four items the usual way (so that read's APDUs stay as they were)."""
        ...

    def auth_cert_not_after(self) -> dt.datetime: ...


class ProfileFactory(Protocol):
    def __call__(self, transport: "Transport") -> CardProfile: ...

    def matches(self, transport: "Transport") -> bool: ...


def profiles() -> list[ProfileFactory]:
    """Newest generation first, so a card that answered for several is read the newest way."""
    from dxdesk.cardreader.card2016 import Card2016

    return [Card2016]


def detect_profile(transport: "Transport") -> CardProfile:
    """The profile whose applications the card selects; NotMyNumberCardError when none does."""
    for factory in profiles():
        if factory.matches(transport):
            return factory(transport)
    raise NotMyNumberCardError()
