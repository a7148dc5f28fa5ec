"""Reader and card presence events from one dedicated thread.

The thread blocks in ``SCardGetStatusChange`` (pcscd wakes it on any change; the
timeout only bounds how long a stop request can go unnoticed when ``SCardCancel``
is unavailable), so nothing is polled in a sleep loop. It watches every reader
plus pcsc-lite's ``\\\\?PnP?\\Notification`` pseudo-reader, which changes when a
reader is plugged in or out.

Events are plain dataclasses passed to a callback on the monitor thread; the UI
marshals them to its own thread (e.g. a queued Qt signal). If pcscd goes away the
monitor reports :class:`ServiceUnavailable` once, then re-establishes its context
with a backoff and reports the readers again when pcscd is back.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from smartcard import scard

from dxdesk.cardreader.pcsc import code_name

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
_MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class ReaderAdded:
    reader: str


@dataclass(frozen=True)
class ReaderRemoved:
    reader: str


@dataclass(frozen=True)
class CardInserted:
    reader: str
    atr: bytes


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class ServiceUnavailable:
    """pcscd is not running (or stopped); the monitor keeps retrying."""

    detail: str


@dataclass(frozen=True)
class ServiceAvailable:
    """pcscd answered (again); reader/card events follow."""


CardEvent = ReaderAdded | ReaderRemoved | CardInserted | CardRemoved | ServiceUnavailable | ServiceAvailable


def _code(hresult: int) -> int:
    return hresult & _MASK


class CardMonitor:
    """Start with :meth:`start`, stop with :meth:`stop` (or ``with CardMonitor(cb):``)."""

    def __init__(
        self,
        callback: Callable[[CardEvent], None],
        *,
        wait_timeout_ms: int = 1000,
        retry_delays_s: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0),
    ) -> None:
        self._callback = callback
        self._timeout_ms = wait_timeout_ms
        self._retry_delays = retry_delays_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: int | None = None
        self._context_lock = threading.Lock()
        # reader -> whether a card is present, as last reported
        self._present: dict[str, bool] = {}
        # reader -> pcsc-lite's card event counter (upper 16 bits of dwEventState) last seen. It
        # grows on every insertion and removal, so a card swapped while this thread was busy (one
        # resident's card out, the next one's in) shows up as "present -> present, counter moved".
        self._counters: dict[str, int] = {}
        self._service_down_reported = False
        self.started = threading.Event()  # set after the first full state was reported

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the monitor thread; after :meth:`stop` this starts a fresh thread.

        The reader/card state seen so far is kept, so a restart reports only what
        changed while the monitor was stopped (a card pulled meanwhile -> CardRemoved),
        and the callback's picture of the readers stays consistent.
        """
        if self._thread is not None:
            if self._thread.is_alive():
                raise RuntimeError("CardMonitor is already running (or its stop() timed out); stop it first")
            self._thread = None
        self._stop.clear()
        self.started.clear()
        self._thread = threading.Thread(target=self._run, name="card-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is None:
            return
        # SCardCancel wakes a waiting SCardGetStatusChange at once, but a cancel that
        # lands just before the thread enters the call is lost, so it is repeated
        # until the thread has gone.
        rounds = max(1, int(timeout / 0.1))
        for _ in range(rounds):
            with self._context_lock:
                if self._context is not None:
                    scard.SCardCancel(self._context)
            self._thread.join(0.1)
            if not self._thread.is_alive():
                return
        log.warning("card monitor thread did not stop within %.1f s", timeout)

    def __enter__(self) -> "CardMonitor":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def present(self) -> dict[str, bool]:
        """Snapshot of reader -> card present, as the monitor last saw it."""
        return dict(self._present)

    # -- thread ----------------------------------------------------------------------

    def _emit(self, event: CardEvent) -> None:
        try:
            self._callback(event)
        except Exception:  # a broken listener must not kill reader monitoring
            log.exception("card monitor callback failed on %s", type(event).__name__)

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                self._service_down(code_name(hresult))
                self.started.set()  # "started" also covers "started and found no service"
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                attempt += 1
                self._stop.wait(delay)  # the back-off itself is interruptible by stop()
                continue
            with self._context_lock:
                self._context = context
            try:
                attempt = 0
                self._watch(context)
            finally:
                with self._context_lock:
                    self._context = None
                scard.SCardReleaseContext(context)
            # _watch only returns on stop or on a dead context; pause before starting over so
            # an error that repeats at once cannot turn this thread into a busy loop.
            self._stop.wait(self._retry_delays[0])

    def _service_down(self, detail: str) -> None:
        for reader, present in list(self._present.items()):
            if present:
                self._emit(CardRemoved(reader))
            self._emit(ReaderRemoved(reader))
        self._present.clear()
        self._counters.clear()  # a restarted pcscd counts from zero again
        if not self._service_down_reported:
            log.info("PC/SC service unavailable: %s", detail)
            self._service_down_reported = True
            self._emit(ServiceUnavailable(detail))

    def _sync_readers(self, readers: list[str]) -> None:
        if self._service_down_reported:
            self._service_down_reported = False
            log.info("PC/SC service available")
            self._emit(ServiceAvailable())
        for reader in [r for r in self._present if r not in readers]:
            self._counters.pop(reader, None)
            if self._present.pop(reader):
                self._emit(CardRemoved(reader))
            self._emit(ReaderRemoved(reader))
        for reader in readers:
            if reader not in self._present:
                self._present[reader] = False
                self._emit(ReaderAdded(reader))

    def _list(self, context: int) -> list[str] | None:
        hresult, readers = scard.SCardListReaders(context, [])
        if _code(hresult) == _code(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            self._service_down(code_name(hresult))
            return None
        return list(readers)

    def _watch(self, context: int) -> None:
        """Follow changes on one context until it dies or stop() is called."""
        readers = self._list(context)
        if readers is None:
            return
        self._sync_readers(readers)
        states: dict[str, int] = {reader: scard.SCARD_STATE_UNAWARE for reader in readers}
        # The PnP pseudo-reader's state counts reader plug events in its upper 16 bits.
        pnp_state = scard.SCARD_STATE_UNAWARE
        first = True
        while not self._stop.is_set():
            query = [(reader, state) for reader, state in states.items()]
            query.append((PNP_NOTIFICATION, pnp_state))
            # The first call uses timeout 0 so the initial card states are reported at once.
            hresult, result = scard.SCardGetStatusChange(context, 0 if first else self._timeout_ms, query)
            code = _code(hresult)
            if code == _code(scard.SCARD_E_TIMEOUT):
                if first:
                    first = False
                    self.started.set()
                continue
            if code == _code(scard.SCARD_E_CANCELLED):
                continue  # stop() cancelled us; the loop condition ends the thread
            if code == _code(scard.SCARD_E_UNKNOWN_READER):
                # A reader vanished between listing and waiting: list again.
                readers = self._list(context)
                if readers is None:
                    return
                self._sync_readers(readers)
                states = {r: states.get(r, scard.SCARD_STATE_UNAWARE) for r in readers}
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                self._service_down(code_name(hresult))
                return
            reader_changed = False
            for name, event_state, atr in result:
                if name == PNP_NOTIFICATION:
                    if not first and event_state & scard.SCARD_STATE_CHANGED:
                        reader_changed = True
                    pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
                    continue
                states[name] = event_state & ~scard.SCARD_STATE_CHANGED
                self._update_card(name, event_state, bytes(atr or b""))
            if first:
                first = False
                self.started.set()
            if reader_changed:
                readers = self._list(context)
                if readers is None:
                    return
                self._sync_readers(readers)
                states = {r: states.get(r, scard.SCARD_STATE_UNAWARE) for r in readers}

    def _update_card(self, reader: str, event_state: int, atr: bytes) -> None:
        if event_state & (scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_UNKNOWN):
            return  # the reader is going away; the PnP change reports it
        # A mute card still counts as inserted: reading it then explains "the card does not respond".
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        was_present = self._present.get(reader, False)
        counter = (event_state >> 16) & 0xFFFF
        previous = self._counters.get(reader)
        self._counters[reader] = counter
        if present and not was_present:
            self._present[reader] = True
            self._emit(CardInserted(reader, atr))
        elif not present and was_present:
            self._present[reader] = False
            self._emit(CardRemoved(reader))
        elif present and previous is not None and counter != previous:
            # Removed and another card (or the same one) inserted between two wake-ups: the
            # listener must drop what it read from the old card, so report both halves.
            self._emit(CardRemoved(reader))
            self._emit(CardInserted(reader, atr))
