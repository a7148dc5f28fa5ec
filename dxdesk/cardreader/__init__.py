"""My Number Card reading: APDUs, BER-TLV, the text-AP protocol, errors and a simulated card.

This package is Qt-free. The protocol layer (``mynumber.MyNumberCard``) talks to any
``apdu.Transport``: the PC/SC backend for real readers, or ``simcard.SimulatedTransport``
in tests. See docs/cardreader.md.
"""
from __future__ import annotations

from dxdesk.cardreader.apdu import CommandAPDU, ResponseAPDU, TracingTransport, Transport
from dxdesk.cardreader.errors import CardError
from dxdesk.cardreader.model import CardHolder, Sex, mask_my_number
from dxdesk.cardreader.mynumber import MyNumberCard

__all__ = [
    "CardError",
    "CardHolder",
    "CommandAPDU",
    "MyNumberCard",
    "ResponseAPDU",
    "Sex",
    "TracingTransport",
    "Transport",
    "mask_my_number",
]
