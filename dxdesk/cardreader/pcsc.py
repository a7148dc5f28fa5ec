"""PC/SC access through pyscard's low-level ``smartcard.scard`` API.

The low-level API is used (rather than ``smartcard.System``/``CardConnection``)
because dxdesk needs the raw PC/SC return codes: each one is mapped to a
:class:`~dxdesk.cardreader.errors.CardError` subclass whose message tells the
clerk what to do, and nothing above this module ever sees a pyscard exception.

Every PC/SC context belongs to one thread (pcsc-lite contexts are not meant to be
shared): a :class:`PcscTransport` owns its own context and is used only on the
card service thread.

Privacy: APDUs and responses are never logged here; errors carry only PC/SC
return codes and reader names.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from smartcard import scard

from dxdesk.cardreader.apdu import SECRET_INS, CommandAPDU
from dxdesk.cardreader.errors import (
    CardError,
    CardRemovedError,
    NoCardError,
    NoReaderError,
    ReaderBusyError,
    ReaderServiceNotRunningError,
    ReaderUnavailableError,
)
from dxdesk.i18n import Msg

log = logging.getLogger(__name__)

_MASK = 0xFFFFFFFF

# PC/SC codes meaning "no service to talk to": pcscd (or Windows' Smart Card service) is not running.
_SERVICE_NOT_RUNNING = {
    scard.SCARD_E_NO_SERVICE & _MASK,
    scard.SCARD_E_SERVICE_STOPPED & _MASK,
}
# PC/SC codes meaning "the service is gone" (pcscd stopped/restarted, socket missing).
_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE & _MASK,
    scard.SCARD_E_SERVICE_STOPPED & _MASK,
    scard.SCARD_E_INVALID_HANDLE & _MASK,  # our handle died with a pcscd restart
}
_READER_GONE = {scard.SCARD_E_READER_UNAVAILABLE & _MASK, scard.SCARD_E_UNKNOWN_READER & _MASK}
# During a session these mean our card session is lost (card pulled, reset, or went mute).
_SESSION_LOST = {
    scard.SCARD_W_REMOVED_CARD & _MASK,
    scard.SCARD_W_RESET_CARD & _MASK,
    scard.SCARD_W_UNPOWERED_CARD & _MASK,
    scard.SCARD_E_NO_SMARTCARD & _MASK,
    scard.SCARD_E_NOT_TRANSACTED & _MASK,  # vpcd/CCID: the exchange failed because the card left
    scard.SCARD_W_UNRESPONSIVE_CARD & _MASK,
}

# Power-up failures that a second attempt usually clears.
_SETTLING = {
    scard.SCARD_W_REMOVED_CARD & _MASK,
    scard.SCARD_W_UNRESPONSIVE_CARD & _MASK,
    scard.SCARD_W_UNPOWERED_CARD & _MASK,
}

MUTE_CARD = Msg(
    "カードが応答しません。カードの向きと置き方を確かめて、置き直してください。",
    "The card does not respond (mute card or placed wrongly).",
)


def code_name(hresult: int) -> str:
    """``SCARD_E_NO_SERVICE (0x8010001D)``: safe for logs, helps support."""
    value = hresult & _MASK
    for name in dir(scard):
        if name.startswith(("SCARD_E_", "SCARD_W_", "SCARD_F_")) and getattr(scard, name) & _MASK == value:
            return f"{name} (0x{value:08X})"
    return f"0x{value:08X}"


def error_for(hresult: int, operation: str, *, in_session: bool = False) -> CardError:
    """Map a PC/SC return code to the CardError a user can act on.

    ``in_session`` distinguishes "no card" at connect time (NoCardError) from the
    same code while talking to a card we already had (CardRemovedError).
    """
    value = hresult & _MASK
    log.info("PC/SC %s failed: %s", operation, code_name(hresult))
    if value in _SERVICE_NOT_RUNNING:
        return ReaderServiceNotRunningError()
    if value in _SERVICE_GONE:
        return ReaderUnavailableError()
    if value == scard.SCARD_E_NO_READERS_AVAILABLE & _MASK:
        return NoReaderError()
    if value in _READER_GONE:
        return ReaderUnavailableError()
    if value == scard.SCARD_E_SHARING_VIOLATION & _MASK:
        return ReaderBusyError()
    if in_session and value in _SESSION_LOST:
        return CardRemovedError()
    if value in (scard.SCARD_E_NO_SMARTCARD & _MASK, scard.SCARD_W_REMOVED_CARD & _MASK):
        return NoCardError()
    if value in (scard.SCARD_W_UNRESPONSIVE_CARD & _MASK, scard.SCARD_W_UNPOWERED_CARD & _MASK):
        return CardError(MUTE_CARD)
    default = CardError.default_message
    return CardError(Msg(default.ja, f"PC/SC {operation} failed: {code_name(hresult)}."))


# GET RESPONSE rounds for one command: 61xx chains more than 64 x 256 bytes long are not a My Number card.
_MAX_GET_RESPONSE = 64


def _with_le(apdu: bytes, le: int) -> bytes | None:
    """``apdu`` resent with a new short Le, or None when it must not be resent.

    Only a command that carried a short Le (case 2 or 4) is rewritten: its last byte
    is Le. Anything else (case 1/3, extended, unparsable) is left alone, and so is a
    command whose data is a secret: resending a VERIFY with its last byte replaced
    would present a wrong PIN and spend one of the card's three tries.
    """
    try:
        command = CommandAPDU.from_bytes(apdu)
    except ValueError:
        return None
    if command.ins in SECRET_INS or command.le is None or command.is_extended:
        return None
    return dataclasses.replace(command, le=le or 256).to_bytes()


def _ok(hresult: int) -> bool:
    return hresult == int(scard.SCARD_S_SUCCESS)


class PcscContext:
    """An owned PC/SC context (one per thread); closes itself when used with ``with``."""

    def __init__(self) -> None:
        hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if not _ok(hresult):
            raise error_for(hresult, "SCardEstablishContext")
        self.handle = handle

    def list_readers(self) -> list[str]:
        hresult, readers = scard.SCardListReaders(self.handle, [])
        if hresult & _MASK == scard.SCARD_E_NO_READERS_AVAILABLE & _MASK:
            return []
        if not _ok(hresult):
            raise error_for(hresult, "SCardListReaders")
        return list(readers)

    def is_valid(self) -> bool:
        return _ok(scard.SCardIsValidContext(self.handle))

    def release(self) -> None:
        if self.handle is not None:
            scard.SCardReleaseContext(self.handle)  # result ignored: nothing useful to do on failure
            self.handle = None

    def __enter__(self) -> "PcscContext":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True)
class ReaderInfo:
    name: str
    card_present: bool
    atr: bytes  # empty when no card
    in_use: bool  # another connection is open (shared or exclusive)
    exclusive: bool  # another program holds the card exclusively
    mute: bool  # a card is there but did not answer the reset


def list_readers() -> list[str]:
    """Names of the attached readers; [] when none. Raises ReaderUnavailableError without pcscd."""
    with PcscContext() as ctx:
        return ctx.list_readers()


def reader_infos(readers: Iterable[str] | None = None) -> list[ReaderInfo]:
    """Current state of each reader, without connecting to (or powering) any card."""
    with PcscContext() as ctx:
        names = list(readers) if readers is not None else ctx.list_readers()
        if not names:
            return []
        states = [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        hresult, result = scard.SCardGetStatusChange(ctx.handle, 0, states)
        if not _ok(hresult):
            raise error_for(hresult, "SCardGetStatusChange")
        infos = []
        for name, event_state, atr in result:
            infos.append(
                ReaderInfo(
                    name=name,
                    card_present=bool(event_state & scard.SCARD_STATE_PRESENT),
                    atr=bytes(atr or b""),
                    in_use=bool(event_state & scard.SCARD_STATE_INUSE),
                    exclusive=bool(event_state & scard.SCARD_STATE_EXCLUSIVE),
                    mute=bool(event_state & scard.SCARD_STATE_MUTE),
                )
            )
        return infos


def choose_reader(prefix: str = "", infos: list[ReaderInfo] | None = None) -> ReaderInfo:
    """The reader to use: matching ``prefix``; among several, prefer one holding a card."""
    infos = reader_infos() if infos is None else infos
    if not infos:
        raise NoReaderError()
    matching = [info for info in infos if info.name.startswith(prefix)] if prefix else infos
    if not matching:
        available = ", ".join(info.name for info in infos)
        base = NoReaderError.default_message
        raise NoReaderError(Msg(base.ja, f"No card reader whose name starts with {prefix!r} (found: {available})."))
    with_card = [info for info in matching if info.card_present]
    return (with_card or matching)[0]


class PcscTransport:
    """The Transport for a real reader: ``transmit(apdu) -> (data, sw)``.

    Connects exclusively (SCARD_SHARE_EXCLUSIVE) so no other program can talk to
    the card between our VERIFY and our reads, and disconnects with
    SCARD_UNPOWER_CARD so the verified PIN state does not outlive the read (a warm
    reset or a plain disconnect keeps it on real cards, mynumber-card.md §6.4).
    """

    def __init__(self, reader: str, *, exclusive: bool = True) -> None:
        self.reader = reader
        self.exclusive = exclusive
        self._context: PcscContext | None = None
        self._card: int | None = None
        self._protocol: int = 0
        self.atr: bytes = b""

    @classmethod
    def open(cls, prefix: str = "", *, exclusive: bool = True) -> "PcscTransport":
        """Choose a reader by name prefix and connect to the card in it."""
        transport = cls(choose_reader(prefix).name, exclusive=exclusive)
        transport.connect()
        return transport

    @property
    def connected(self) -> bool:
        return self._card is not None

    def connect(self) -> None:
        if self._card is not None:
            # A second connect must not orphan the first handle: pcscd would keep the reader
            # locked (exclusive) and the card powered with its PIN state until this process exits.
            self.close(unpower=True)
        if self._context is None or not self._context.is_valid():
            self._drop_context()
            self._context = PcscContext()
        try:
            self._connect_card()
        except BaseException:
            # No card, busy reader, pcscd gone: release the context now. Each context is a
            # socket and a thread in pcscd, and status polls connect every few seconds with no
            # card present: one leaked per failed attempt would pile up for the whole day.
            self._drop_context()
            raise

    def _connect_card(self) -> None:
        assert self._context is not None
        share = scard.SCARD_SHARE_EXCLUSIVE if self.exclusive else scard.SCARD_SHARE_SHARED
        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        hresult, card, protocol = scard.SCardConnect(self._context.handle, self.reader, share, protocols)
        if hresult & _MASK in _SETTLING:
            # A card still settling (a contactless field, or a power cycle just requested by
            # the previous session's SCARD_UNPOWER_CARD) can fail the power-up once; pcscd
            # then answers the next attempt normally. One retry, never a loop.
            log.info("SCardConnect(%s): %s; retrying once", self.reader, code_name(hresult))
            hresult, card, protocol = scard.SCardConnect(self._context.handle, self.reader, share, protocols)
        if not _ok(hresult):
            raise error_for(hresult, f"SCardConnect({self.reader})")
        self._card, self._protocol = card, protocol
        hresult, _reader, _state, _protocol, atr = scard.SCardStatus(card)
        self.atr = bytes(atr) if _ok(hresult) else b""
        log.info("connected to card in %r (T=%d, %s)", self.reader, 1 if protocol == scard.SCARD_PROTOCOL_T1 else 0,
                 "exclusive" if self.exclusive else "shared")

    def reconnect(self) -> None:
        """Start over after a reader replug or a pcscd restart: new context, new connection.

        A USB reader that comes back may get another index ("… 00 00" -> "… 01 00"),
        so the reader is chosen again by its name without the index.
        """
        self.close(unpower=False)
        self._drop_context()
        base = self.reader.rsplit(" ", 2)[0] if self.reader.count(" ") >= 2 else self.reader
        self.reader = choose_reader(base).name
        self.connect()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self._card is None:
            self.connect()
        data, sw = self._transmit_once(apdu)
        # T=0 style continuation, handled here so the protocol layer sees whole responses.
        # The My Number card is T=1 and never does this, but some readers translate.
        if sw >> 8 == 0x6C:  # wrong Le: resend with the Le the card asked for
            retry = _with_le(apdu, sw & 0xFF)
            if retry is not None:
                data, sw = self._transmit_once(retry)
        for _ in range(_MAX_GET_RESPONSE):
            if sw >> 8 != 0x61:
                break
            more, sw = self._transmit_once(bytes([apdu[0], 0xC0, 0x00, 0x00, sw & 0xFF]))
            data += more
        else:
            if sw >> 8 == 0x61:  # a card that never stops asking would hold the card thread forever
                raise CardError(MUTE_CARD)
        return data, sw

    def _transmit_once(self, apdu: bytes) -> tuple[bytes, int]:
        hresult, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if not _ok(hresult):
            # The handle stays ours until close() disconnects it; leaking it would leave
            # pcscd holding an exclusive lock on the reader.
            raise error_for(hresult, "SCardTransmit", in_session=True)
        if len(response) < 2:
            raise CardRemovedError()
        body = bytes(response)
        return body[:-2], (body[-2] << 8) | body[-1]

    def close(self, unpower: bool = True) -> None:
        if self._card is not None:
            disposition = scard.SCARD_UNPOWER_CARD if unpower else scard.SCARD_LEAVE_CARD
            hresult = scard.SCardDisconnect(self._card, disposition)
            if not _ok(hresult):
                log.debug("SCardDisconnect: %s", code_name(hresult))
            self._card = None
        self._drop_context()

    def _drop_context(self) -> None:
        if self._context is not None:
            self._context.release()
            self._context = None

    def __enter__(self) -> "PcscTransport":
        if self._card is None:
            self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_card_state(reader: str, present: bool, timeout_s: float = 5.0) -> bytes:
    """Block in SCardGetStatusChange until ``reader`` holds (or no longer holds) a card.

    Returns the ATR (empty when waiting for removal); TimeoutError after ``timeout_s``
    in all, however many unrelated state changes wake the wait in between.
    """
    with PcscContext() as ctx:
        def get_status_change(state: int, timeout_ms: int) -> tuple[int, list[tuple[str, int, list[int]]]]:
            result: tuple[int, list[tuple[str, int, list[int]]]] = scard.SCardGetStatusChange(
                ctx.handle, timeout_ms, [(reader, state)])
            return result

        return _wait_for_state(get_status_change, reader, present, timeout_s)


StatusChange = Callable[[int, int], tuple[int, list[tuple[str, int, list[int]]]]]


def _wait_for_state(
    get_status_change: StatusChange, reader: str, present: bool, timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The loop of :func:`wait_for_card_state`, with the PC/SC call and the clock passed in.

    The timeout is one deadline for the whole wait: every wake-up that is not the
    awaited state (another program connecting, a mute card, an event-counter
    change) waits only for what is left, instead of starting the full timeout again.
    """
    deadline = clock() + timeout_s
    late = f"{reader}: card {'not inserted' if present else 'not removed'} within {timeout_s} s"
    state = scard.SCARD_STATE_UNAWARE
    while True:
        remaining_ms = max(0, math.ceil((deadline - clock()) * 1000))  # up, so never a 0 ms spin early
        hresult, result = get_status_change(state, remaining_ms)
        if hresult & _MASK == scard.SCARD_E_TIMEOUT & _MASK:
            raise TimeoutError(late)
        if not _ok(hresult):
            raise error_for(hresult, "SCardGetStatusChange")
        _name, event_state, atr = result[0]
        if bool(event_state & scard.SCARD_STATE_PRESENT) == present:
            return bytes(atr or b"")
        if remaining_ms == 0:
            # Already past the deadline: a timeout-0 call answers at once, so looping on
            # would spin instead of reporting the timeout.
            raise TimeoutError(late)
        state = event_state & ~scard.SCARD_STATE_CHANGED
