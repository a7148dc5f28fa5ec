"""CardService: every card conversation happens on one worker thread.

PC/SC handles and the card's security state belong together, and a half-finished
VERIFY/READ sequence must never interleave with another one, so all card I/O is
queued onto a single thread (a one-worker executor). Callers get a
``concurrent.futures.Future``; the UI turns its completion into a queued signal.

Reading needs a PIN from the clerk's screen while the card thread waits. The UI
implements :class:`PinProvider`; ``request_pin`` runs on the card thread and
typically posts a request to the UI and blocks on a :class:`PinExchange` (from
:meth:`CardService.new_pin_exchange`), which :meth:`CardService.cancel` wakes.

Backend: a real reader through :class:`~dxdesk.cardreader.pcsc.PcscTransport`. A missing
reader or a stopped PC/SC service is an error (NoReaderError, ReaderServiceNotRunningError),
never a stand-in card. Only in training mode (:mod:`dxdesk.training`) are the built-in fictional
cards used: the simulator in a vpcd slot when pcscd shows one, else an in-process simulated
card; real readers are then ignored, so no resident's card can be read into training records.
A simulated read is labelled "研修用の模擬カード" in :class:`CardSource`.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from dxdesk.cardreader.apdu import TracingTransport, Transport
from dxdesk.cardreader.errors import (
    CardError,
    Credential,
    LowTriesError,
    NoCardError,
    NoReaderError,
    NotTrainingCardError,
    PinBlockedError,
    ReaderUnavailableError,
    SecurityStatusError,
)
from dxdesk.cardreader.generations import IdentityExtras, detect_profile
from dxdesk.cardreader.model import CardHolder
from dxdesk.cardreader.mynumber import MyNumberCard
from dxdesk.cardreader.pcsc import PcscTransport, ReaderInfo, choose_reader, reader_infos
from dxdesk.config import CardSettings
from dxdesk.i18n import Msg

if TYPE_CHECKING:
    from dxdesk.cardreader.simcard import SimulatedCard
    from dxdesk.security.permissions import Session

log = logging.getLogger(__name__)

T = TypeVar("T")

SIMULATED_LABEL = Msg("研修用の模擬カード", "training card (fictional, not a real card)")
# The simulator served through pcscd by `dxdesk card sim` sits in a vpcd slot ("Virtual PCD 00 00").
VPCD_READER_PREFIX = "Virtual PCD"
SIMULATED_READER = "dxdesk simulated card"


class ReadCancelledError(CardError):
    default_message = Msg("読み取りを取り消しました。", "Card read cancelled.")


class PinProvider(Protocol):
    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        """Called on the card thread; return the PIN, or None when the clerk cancels."""
        ...


class PinExchange:
    """Hands one PIN from the UI thread to the waiting card thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._done = False
        self._value: str | None = None

    def answer(self, pin: str | None) -> None:
        with self._cond:
            if not self._done:
                self._done, self._value = True, pin
                self._cond.notify_all()

    def cancel(self) -> None:
        self.answer(None)

    def wait(self, timeout: float | None = None) -> str | None:
        """The PIN, or None when cancelled or when ``timeout`` passes (clerk walked away)."""
        with self._cond:
            self._cond.wait_for(lambda: self._done, timeout)
            value, self._value = self._value, None  # keep the PIN in as few places as possible
            self._done = True
            return value


@dataclass(frozen=True)
class CardSource:
    reader: str
    simulated: bool

    @property
    def label(self) -> Msg:
        return SIMULATED_LABEL if self.simulated else Msg(self.reader, self.reader)


@dataclass(frozen=True)
class CardStatus:
    source: CardSource | None  # None: no reader at all
    card_present: bool
    tries_left: int | None  # None when no card, or not a My Number card
    problem: Msg | None = None  # why tries_left is unknown, if a card is there
    # JPKI 利用者証明用 certificate's notAfter (UTC), when asked for with status(with_auth_cert=True).
    auth_cert_not_after: dt.datetime | None = None


@dataclass(frozen=True, repr=False)
class CardReadResult:
    holder: CardHolder
    source: CardSource
    # read_card(identity=True): photo (in memory only), card and certificate expiry, chip check.
    extras: IdentityExtras | None = None

    def __repr__(self) -> str:
        return f"CardReadResult({self.holder!r}, simulated={self.source.simulated}, extras={self.extras!r})"


class CardService:
    """Owns the card thread. ``close()`` (or ``with``) stops it."""

    def __init__(
        self,
        settings: CardSettings | None = None,
        *,
        reader_prefix: str | None = None,
        list_reader_infos: Callable[[], list[ReaderInfo]] = reader_infos,
        simulated_card: SimulatedCard | None = None,
        require_session: bool = True,
        training: bool | None = None,
    ) -> None:
        self.settings = settings or CardSettings()
        # Training mode: fictional cards only (None: whatever this process is in, dxdesk.training).
        if training is None:
            from dxdesk import training as training_mode

            training = training_mode.active()
        self.training = training
        # A read needs a signed-in session (the bound clerk, or the one passed to read_card), so it is
        # refused at this layer for nobody or a role without READ_CARD (READ_MY_NUMBER for the number),
        # whatever the screen does. The app binds the clerk at sign-in; `dxdesk card read` passes the
        # account given with --as. require_session=False only checks a session when there is one.
        self.require_session = require_session
        self._session: "Session | None" = None
        self.reader_prefix = self.settings.reader_prefix if reader_prefix is None else reader_prefix
        self._list_reader_infos = list_reader_infos
        # One persistent demo card, so its PIN counter behaves like a real card's between reads.
        self._sim_card = simulated_card
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-io")
        # One cancel token per read_card() call, so a new read never un-cancels an older one still
        # queued behind it (a single shared flag, cleared by each new read, did exactly that).
        # cancel() sets every outstanding token; a read drops its own when it ends.
        self._tokens: set[threading.Event] = set()
        self._current: threading.Event | None = None  # the token of the read on the card thread now
        self._exchanges: list[PinExchange] = []
        self._lock = threading.Lock()

    # -- public API (any thread) -----------------------------------------------------

    def submit(self, job: Callable[[], T]) -> Future[T]:
        """Run ``job`` on the card thread."""
        return self._executor.submit(job)

    def status(self, *, with_auth_cert: bool = False) -> Future[CardStatus]:
        """Reader, card and tries left; ``with_auth_cert`` also reads the JPKI certificate's expiry (no PIN)."""
        return self.submit(lambda: self._status(with_auth_cert))

    def bind_session(self, session: "Session | None") -> None:
        """The clerk now signed in at this desk (None after sign-out)."""
        self._session = session

    def read_card(
        self, pin_provider: PinProvider, include_my_number: bool = False, code_b: str | None = None,
        *, session: "Session | None" = None, identity: bool = False,
    ) -> Future[CardReadResult]:
        """Tries left -> policy -> ask PIN -> VERIFY -> read. With ``code_b`` no PIN is asked.

        ``identity`` also reads, through the card's generation profile: the chip's face photo and
        the card's expiry (照合番号B route), the JPKI certificate's expiry and the chip signature check.

        ``session`` (default: the bound one) must have READ_CARD, and READ_MY_NUMBER with
        ``include_my_number``; a refusal is the future's PermissionDeniedError, before the card is touched.
        """
        session = session or self._session
        if session is not None or self.require_session:
            from dxdesk.security.permissions import Permission, PermissionDeniedError, require

            try:
                require(session, Permission.READ_CARD)
                if include_my_number:
                    require(session, Permission.READ_MY_NUMBER)
            except PermissionDeniedError as exc:
                refused: Future[CardReadResult] = Future()
                refused.set_exception(exc)
                return refused
        token = threading.Event()
        with self._lock:
            self._tokens.add(token)
        future = self.submit(lambda: self._run_read(token, pin_provider, include_my_number, code_b, identity))
        # A read cancelled before it ran (close() with queued jobs) never gets to drop its token.
        future.add_done_callback(lambda _f: self._drop_token(token))
        return future

    def new_pin_exchange(self) -> PinExchange:
        """For ``PinProvider.request_pin`` (card thread): cancelled already if the read it serves is."""
        exchange = PinExchange()
        with self._lock:
            self._exchanges.append(exchange)
            cancelled = self._current is not None and self._current.is_set()
        if cancelled:
            exchange.cancel()
        return exchange

    def cancel(self) -> None:
        """Abort every read asked for so far (running: at its next step; queued: before it starts).

        Wakes a pending PIN request. Reads asked for after this call are not affected.
        """
        with self._lock:
            for token in self._tokens:
                token.set()
            exchanges, self._exchanges = self._exchanges, []
        for exchange in exchanges:
            exchange.cancel()

    def close(self) -> None:
        self.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "CardService":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- card thread ---------------------------------------------------------------

    def _simulated(self) -> tuple[Transport, CardSource]:
        # Imported here: the simulator's certificates (cryptography.x509) cost a real reader's start-up.
        from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
        from dxdesk.cardreader.testdata import PERSON_KOKUTOU

        if self._sim_card is None:
            self._sim_card = SimulatedCard.from_person(PERSON_KOKUTOU)
        log.info("training mode: using the built-in fictional card")
        return SimulatedTransport(self._sim_card), CardSource(SIMULATED_READER, simulated=True)

    def _choose(self) -> ReaderInfo | None:
        """The reader to use; None (training mode only) when the in-process card stands in."""
        if self.training:
            return self._training_reader()
        return choose_reader(self.reader_prefix, self._list_reader_infos())

    def _training_reader(self) -> ReaderInfo | None:
        """The simulator's vpcd slot holding a card, if pcscd shows one; never a real reader."""
        try:
            infos = self._list_reader_infos()
        except CardError:  # no pcscd: the in-process card is the training card
            return None
        virtual = [i for i in infos if i.name.startswith(VPCD_READER_PREFIX) and i.card_present]
        preferred = [i for i in virtual if self.reader_prefix and i.name.startswith(self.reader_prefix)]
        candidates = preferred or virtual
        return candidates[0] if candidates else None

    def _open(self) -> tuple[Transport, CardSource]:
        info = self._choose()
        if info is None:
            return self._simulated()
        transport = PcscTransport(info.name, exclusive=True)
        transport.connect()
        return transport, CardSource(info.name, simulated=self.training)

    def _close(self, transport: Transport) -> None:
        if isinstance(transport, PcscTransport):
            transport.close(unpower=True)
            return
        from dxdesk.cardreader.simcard import SimulatedTransport  # loaded already: only it made one

        if isinstance(transport, SimulatedTransport):
            transport.card.power_off()  # like SCARD_UNPOWER_CARD: no verified state survives

    def _anchors(self) -> list[Any]:
        """The configured chip trust anchors; an unreadable file is logged loudly and counts as none."""
        path = self.settings.chip_trust_anchor
        if not path:
            return []
        from dxdesk.cardreader.chipcheck import load_trust_anchors

        try:
            return list(load_trust_anchors(path))
        except (OSError, ValueError) as exc:
            log.error("chip trust anchor %s unusable (%s): chips cannot be verified", path, type(exc).__name__)
            return []

    def _status(self, with_auth_cert: bool = False) -> CardStatus:
        try:
            transport, source = self._open()
        except NoCardError:
            info = self._choose()
            return CardStatus(CardSource(info.name, False) if info else None, card_present=False, tries_left=None)
        except NoReaderError:
            return CardStatus(None, card_present=False, tries_left=None)
        try:
            card = MyNumberCard(TracingTransport(transport, log))
            try:
                tries = card.remaining_tries()
            except CardError as exc:
                if isinstance(exc, (ReaderUnavailableError,)):
                    raise
                return CardStatus(source, card_present=True, tries_left=None, problem=exc.message)
            not_after = None
            if with_auth_cert:
                try:
                    not_after = detect_profile(TracingTransport(transport, log)).auth_cert_not_after()
                except CardError as exc:
                    if isinstance(exc, ReaderUnavailableError):
                        raise
                    return CardStatus(source, True, tries, problem=exc.message)
            return CardStatus(source, card_present=True, tries_left=tries, auth_cert_not_after=not_after)
        finally:
            self._close(transport)

    def _check_training_card(self, holder: CardHolder) -> None:
        """Training mode keeps only the built-in fictional people: a vpcd slot can also relay a real card
        (vsmartcard's remote reader app), and a resident's data must never enter training records."""
        if not self.training:
            return
        from dxdesk.cardreader.testdata import PERSONS

        fictional = {(p.holder.name, p.holder.birth_date) for p in PERSONS.values()}
        if (holder.name, holder.birth_date) not in fictional:
            raise NotTrainingCardError()

    def _drop_token(self, token: threading.Event) -> None:
        with self._lock:
            self._tokens.discard(token)

    def _run_read(
        self, token: threading.Event, provider: PinProvider, include_my_number: bool, code_b: str | None,
        identity: bool = False,
    ) -> CardReadResult:
        with self._lock:
            self._current = token
        try:
            self._check_cancel()  # cancelled while queued: do not even power the card
            return self._read(provider, include_my_number, code_b, identity)
        finally:
            with self._lock:
                self._current = None
                self._tokens.discard(token)

    def _check_cancel(self) -> None:
        with self._lock:
            cancelled = self._current is not None and self._current.is_set()
        if cancelled:
            raise ReadCancelledError()

    def _read(
        self, provider: PinProvider, include_my_number: bool, code_b: str | None, identity: bool = False,
    ) -> CardReadResult:
        if code_b is not None and include_my_number:
            # 照合番号B opens the four basic items only; refuse before touching the card.
            raise SecurityStatusError()
        transport, source = self._open()
        try:
            traced = TracingTransport(transport, log)
            card = MyNumberCard(traced)
            if code_b is not None:
                holder = card.read(code_b=code_b)
                self._check_training_card(holder)
                # The extras come after the usual read, whose APDUs stay exactly as they were.
                extras = detect_profile(traced).read_extras(card, code_b=code_b, anchors=self._anchors()) \
                    if identity else None
                return CardReadResult(holder, source, extras)
            tries = card.remaining_tries()
            if tries == 0:
                raise PinBlockedError(Credential.TEXT_PIN)
            minimum = max(1, self.settings.min_tries_for_pin)
            if tries < minimum:
                # Never even ask: one more wrong entry would lock the card (offer 照合番号B instead).
                raise LowTriesError(tries, Credential.TEXT_PIN)
            self._check_cancel()
            label = Msg(Credential.TEXT_PIN.ja, Credential.TEXT_PIN.en).text()
            pin = provider.request_pin(label, tries)
            self._check_cancel()
            if pin is None:
                raise ReadCancelledError()
            try:
                holder = card.read(pin=pin, include_my_number=include_my_number, allow_last_try=minimum <= 1)
            finally:
                pin = None
            self._check_training_card(holder)
            extras = detect_profile(traced).read_extras(card, anchors=self._anchors()) if identity else None
            log.info("card read done (%s)", "simulated" if source.simulated else "reader")
            return CardReadResult(holder, source, extras)
        finally:
            self._close(transport)
