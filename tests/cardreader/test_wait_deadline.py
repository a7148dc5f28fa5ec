"""wait_for_card_state's timeout is one deadline, not a fresh timeout after every wake-up.

pcscd on the test machine wakes a waiter only on insert/remove, so the "unrelated
state changes keep coming" case is driven through the loop's seam: the PC/SC call
and the clock are passed in (the real call is covered by every pcsc fixture).
"""
from __future__ import annotations

import pytest
from smartcard import scard

from dxdesk.cardreader.pcsc import _wait_for_state

PRESENT_INUSE = scard.SCARD_STATE_PRESENT | scard.SCARD_STATE_INUSE | scard.SCARD_STATE_CHANGED
ATR = [0x3B, 0xE0, 0x00]


class BusyReader:
    """A card that stays in while other programs keep connecting: a wake-up every 0.4 s of fake time."""

    def __init__(self, interval_s: float = 0.4) -> None:
        self.now = 0.0
        self.interval_s = interval_s
        self.timeouts_ms: list[int] = []

    def clock(self) -> float:
        return self.now

    def get_status_change(self, state: int, timeout_ms: int):
        self.timeouts_ms.append(timeout_ms)
        if state == scard.SCARD_STATE_UNAWARE:
            return scard.SCARD_S_SUCCESS, [("R", PRESENT_INUSE, ATR)]
        if timeout_ms / 1000 < self.interval_s:  # the deadline comes before the next change
            self.now += timeout_ms / 1000
            return scard.SCARD_E_TIMEOUT, [("R", state, ATR)]
        self.now += self.interval_s
        toggled = 0 if state & scard.SCARD_STATE_INUSE else scard.SCARD_STATE_INUSE  # connected / disconnected
        return scard.SCARD_S_SUCCESS, [("R", scard.SCARD_STATE_PRESENT | scard.SCARD_STATE_CHANGED | toggled, ATR)]


def test_timeout_is_a_deadline_across_unrelated_changes() -> None:
    reader = BusyReader()
    with pytest.raises(TimeoutError, match="R: card not removed within 1.0 s"):
        _wait_for_state(reader.get_status_change, "R", present=False, timeout_s=1.0, clock=reader.clock)
    # Each wait asked only for what was left (1000, 1000, 600, 200), never the full second again.
    assert reader.timeouts_ms == [1000, 1000, 600, 200]
    assert reader.now == pytest.approx(1.0)


def test_awaited_state_before_the_deadline_returns_the_atr() -> None:
    reader = BusyReader()
    assert _wait_for_state(reader.get_status_change, "R", present=True, timeout_s=1.0, clock=reader.clock) \
        == bytes(ATR)


def test_zero_timeout_answers_from_the_current_state_without_spinning() -> None:
    reader = BusyReader()
    with pytest.raises(TimeoutError):
        _wait_for_state(reader.get_status_change, "R", present=False, timeout_s=0.0, clock=reader.clock)
    assert reader.timeouts_ms == [0]
