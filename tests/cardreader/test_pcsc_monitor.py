"""CardMonitor edge cases against the real stack (pcscd + vpcd): card swaps, restarts."""
from __future__ import annotations

import threading

import pytest

from dxdesk.cardreader.monitor import CardEvent, CardInserted, CardMonitor, CardRemoved, ReaderAdded

pytestmark = pytest.mark.pcsc

READER0 = "Virtual PCD 00 00"
ATR = bytes.fromhex("3BE000FF8131FE4514")  # every My Number card answers the same ATR


class EchoCard:
    def __init__(self) -> None:
        self.atr = ATR

    def power_on(self) -> None:
        pass

    def power_off(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def process(self, apdu: bytes) -> bytes:
        return apdu[::-1] + b"\x90\x00"


class Recorder:
    """Collects monitor events; ``wait_for`` blocks on a condition, never sleeps."""

    def __init__(self) -> None:
        self.events: list[CardEvent] = []
        self.cond = threading.Condition()
        self.hold_first_insert: threading.Event | None = None
        self.holding = threading.Event()

    def __call__(self, event: CardEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()
        first_insert = isinstance(event, CardInserted) and sum(isinstance(e, CardInserted) for e in self.events) == 1
        if first_insert and self.hold_first_insert is not None:
            # Keep the monitor thread busy in the callback, as a slow listener would.
            self.holding.set()
            assert self.hold_first_insert.wait(20)

    def wait_for(self, predicate, timeout: float = 10.0) -> list[CardEvent]:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self.events), timeout), self.events
            return list(self.events)


def _card_events(events: list[CardEvent]) -> list[CardEvent]:
    return [e for e in events if isinstance(e, (CardInserted, CardRemoved)) and e.reader == READER0]


def test_card_swapped_between_two_wakeups_is_reported_as_removed_and_inserted(pcscd_service, insert_card) -> None:
    recorder = Recorder()
    recorder.hold_first_insert = threading.Event()
    with CardMonitor(recorder, wait_timeout_ms=500) as monitor:
        assert monitor.started.wait(5)
        first = insert_card(EchoCard())
        assert recorder.holding.wait(10)  # the monitor thread now sits in our callback
        # One resident's card out, the next one's in, before the monitor looks again: it sees
        # "present" both times, with the same ATR; only pcscd's event counter moved.
        first.remove()
        insert_card(EchoCard())
        recorder.hold_first_insert.set()
        events = recorder.wait_for(lambda ev: len(_card_events(ev)) >= 3)
    assert _card_events(events)[:3] == [CardInserted(READER0, ATR), CardRemoved(READER0), CardInserted(READER0, ATR)]


def test_monitor_can_be_started_again_after_stop(pcscd_service, insert_card) -> None:
    recorder = Recorder()
    monitor = CardMonitor(recorder, wait_timeout_ms=500)
    monitor.start()
    assert monitor.started.wait(5)
    first_thread = monitor._thread
    monitor.stop()
    assert first_thread is not None and not first_thread.is_alive()

    monitor.start()  # used to raise "already started"
    try:
        assert monitor.started.wait(5)
        assert monitor._thread is not first_thread and monitor._thread.is_alive()
        # The restarted monitor works: it reports a card inserted after the restart.
        insert_card(EchoCard())
        recorder.wait_for(lambda ev: CardInserted(READER0, ATR) in ev)
        # The readers were already known from the first run: not announced twice.
        assert recorder.events.count(ReaderAdded(READER0)) == 1
        with pytest.raises(RuntimeError, match="already running"):
            monitor.start()
    finally:
        monitor.stop()
    assert not monitor._thread.is_alive()
