"""Card thread ↔ GUI thread: the PIN prompt and reader/card events.

``CardService`` calls :meth:`QtPinProvider.request_pin` on its card thread. We must
not touch widgets there, so the request is posted to the GUI thread by a queued
signal and the card thread waits on a ``PinExchange`` (from the service), which the
GUI answers with the PIN, or cancels; ``CardService.cancel()`` wakes it too. The
same idea carries monitor events (reader/card inserted/removed) to the GUI.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

if TYPE_CHECKING:
    from dxdesk.cardreader.service import CardService, PinExchange

log = logging.getLogger(__name__)

PIN_WAIT_SECONDS = 180.0  # the resident may need a while; afterwards the read is abandoned, never the card


class QtPinProvider(QObject):
    """Implements ``dxdesk.cardreader.service.PinProvider`` for the Qt UI.

    Connect :attr:`pin_requested` to a GUI slot that shows the PIN pad and later calls
    ``exchange.answer(pin)`` or ``exchange.cancel()``.
    """

    pin_requested = Signal(str, int, object)  # key label, tries left, PinExchange

    def __init__(self, card_service: "CardService", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = card_service

    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        """Card thread: ask the GUI and wait (no busy loop: the exchange is a condition variable)."""
        exchange = self._service.new_pin_exchange()
        self.pin_requested.emit(key_label, tries_left, exchange)  # queued: this object lives on the GUI thread
        pin = exchange.wait(PIN_WAIT_SECONDS)
        if pin is None:
            log.info("PIN entry cancelled or timed out")
        return pin


class CardEventBridge(QObject):
    """``post`` may be called from any thread; ``card_event`` is emitted on the GUI thread."""

    # Not named ``event``: that would hide QObject.event(), which Qt calls for every event sent to the object.
    card_event = Signal(object)
    _incoming = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._incoming.connect(self.card_event.emit, Qt.ConnectionType.QueuedConnection)

    def post(self, card_event: Any) -> None:
        self._incoming.emit(card_event)


def answer_exchange(exchange: "PinExchange", pin: str | None) -> None:
    """Hand the PIN over and drop our reference at once."""
    exchange.answer(pin)
    del pin
