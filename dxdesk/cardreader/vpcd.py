"""Card side of vsmartcard's vpcd protocol: plug a simulated card into a real pcscd.

vpcd (the PC/SC driver from ``vsmartcard-vpcd``) listens on TCP port 35963 + slot
and the card connects to it: connecting is "insert", closing the socket is
"remove" (docs mynumber-card.md §7.1). Every message in both directions is a
2-byte big-endian length followed by the payload. A 1-byte payload from vpcd is a
control code (00 power off, 01 power on, 02 reset, 04 get ATR); anything longer is
a command APDU whose reply is the response APDU (data + SW1 SW2).

This is hand-written rather than using Debian's ``python3-virtualsmartcard``
because that package installs outside ``sys.path`` and its receive path assumes a
single ``recv`` returns a whole frame.

Nothing here logs APDU contents: a simulated card still carries (fictional)
personal data and the same code paths must stay safe for real traces.
"""
from __future__ import annotations

import logging
import select
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

VPCD_PORT = 35963  # slot 0 ("Virtual PCD 00 00"); slot n listens on VPCD_PORT + n

CTRL_POWER_OFF = 0x00
CTRL_POWER_ON = 0x01
CTRL_RESET = 0x02
CTRL_GET_ATR = 0x04

# "No precise diagnosis": what a card answers when it fails internally.
_SW_INTERNAL_ERROR = b"\x6f\x00"
# How often an idle loop looks at stop_event. vpcd itself sends a get-ATR roughly
# every 400 ms (presence polling), so the loop wakes up anyway; this only bounds
# how late a stop request is noticed when nothing else happens.
_IDLE_CHECK_S = 0.2


class VirtualCard(Protocol):
    """What vpcd needs from a card (``simcard.SimulatedCard`` has these members)."""

    @property
    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def process(self, apdu: bytes) -> bytes: ...


class VpcdConnectionError(ConnectionError):
    """vpcd is not reachable (pcscd not running, or vpcd not installed)."""


@dataclass
class ServeResult:
    apdus: int  # command APDUs answered
    reason: str  # "stopped", "vpcd closed", "removed after N APDUs"


def _set_low_latency(sock: socket.socket) -> None:
    # Without these each APDU round trip waits for a delayed ACK (~40-50 ms through pcscd).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _rearm_quickack(sock)


def _rearm_quickack(sock: socket.socket) -> None:
    # Linux clears TCP_QUICKACK after it fires, so it is set again before every receive.
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
        except OSError:  # not every platform/socket supports it; NODELAY alone still helps
            pass


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Read exactly ``n`` bytes; a TCP read may return any part of a frame."""
    buf = bytearray()
    while len(buf) < n:
        _rearm_quickack(sock)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("vpcd closed the connection")
        buf += chunk
    return bytes(buf)


def send_frame(sock: socket.socket, payload: bytes) -> None:
    if len(payload) > 0xFFFF:
        raise ValueError(f"vpcd frame too long: {len(payload)} bytes")
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def recv_frame(sock: socket.socket) -> bytes:
    (length,) = struct.unpack(">H", recv_exact(sock, 2))
    return recv_exact(sock, length)


class VpcdCardServer:
    """One card inserted into one vpcd slot.

    ``serve()`` runs the message loop on the calling thread until ``stop()`` is
    called (from any thread), vpcd closes the connection, or ``remove_after``
    APDUs were answered (used by tests to pull the card out mid-read).
    """

    def __init__(
        self,
        card: VirtualCard,
        host: str = "127.0.0.1",
        port: int = VPCD_PORT,
        *,
        remove_after: int | None = None,
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.remove_after = remove_after
        self.connected = threading.Event()  # set once the card is "inserted"
        self.finished = threading.Event()  # set when serve() returns
        self.apdus = 0
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def connect(self, timeout: float = 5.0) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            raise VpcdConnectionError(
                f"cannot reach vpcd on {self.host}:{self.port} ({exc.strerror or exc}); "
                "is pcscd running with vsmartcard-vpcd installed?"
            ) from exc
        sock.settimeout(None)
        _set_low_latency(sock)
        with self._lock:
            self._sock = sock
        self.connected.set()
        log.info("simulated card inserted into vpcd %s:%d", self.host, self.port)

    def stop(self) -> None:
        """Remove the card: ends serve() promptly, even while it waits for vpcd."""
        self._stop.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv at once
            except OSError:
                pass

    def serve(self, stop_event: threading.Event | None = None) -> ServeResult:
        if self._sock is None:
            self.connect()
        sock = self._sock
        assert sock is not None
        reason = "stopped"
        try:
            while not self._should_stop(stop_event):
                if not self._wait_readable(sock, stop_event):
                    break
                try:
                    message = recv_frame(sock)
                except (EOFError, OSError):
                    reason = "stopped" if self._should_stop(stop_event) else "vpcd closed"
                    break
                reply = self._handle(message)
                if reply is not None:
                    try:
                        send_frame(sock, reply)
                    except OSError:
                        reason = "stopped" if self._should_stop(stop_event) else "vpcd closed"
                        break
                if self.remove_after is not None and self.apdus >= self.remove_after:
                    reason = f"removed after {self.apdus} APDUs"
                    break
        finally:
            with self._lock:
                self._sock = None
            sock.close()
            self.finished.set()
            log.info("simulated card removed from vpcd %s:%d (%s)", self.host, self.port, reason)
        return ServeResult(self.apdus, reason)

    def _should_stop(self, stop_event: threading.Event | None) -> bool:
        return self._stop.is_set() or (stop_event is not None and stop_event.is_set())

    def _wait_readable(self, sock: socket.socket, stop_event: threading.Event | None) -> bool:
        """Wait for the next frame; False if a stop was requested meanwhile."""
        while True:
            try:
                readable, _, _ = select.select([sock], [], [], _IDLE_CHECK_S)
            except (OSError, ValueError):  # socket shut down by stop()
                return False
            if self._should_stop(stop_event):
                return False
            if readable:
                return True

    def _handle(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            code = message[0]
            if code == CTRL_GET_ATR:
                return bytes(self.card.atr)
            if code == CTRL_POWER_ON:
                self.card.power_on()
            elif code == CTRL_POWER_OFF:
                self.card.power_off()
            elif code == CTRL_RESET:
                self.card.reset()
            else:
                log.warning("vpcd sent unknown control code %02X; ignored", code)
            return None  # control codes other than get-ATR have no reply
        self.apdus += 1
        try:
            response = self.card.process(message)
        except Exception as exc:  # a card bug must not hang the reader slot
            log.error("simulated card failed on an APDU (%s); answering 6F00", type(exc).__name__)
            return _SW_INTERNAL_ERROR
        if len(response) < 2:
            log.error("simulated card returned %d bytes (no status word); answering 6F00", len(response))
            return _SW_INTERNAL_ERROR
        return response


def serve_card(
    card: VirtualCard,
    host: str = "127.0.0.1",
    port: int = VPCD_PORT,
    stop_event: threading.Event | None = None,
    *,
    remove_after: int | None = None,
) -> ServeResult:
    """Insert ``card`` into vpcd and answer it until ``stop_event`` is set or vpcd hangs up.

    Raises :class:`VpcdConnectionError` when vpcd is not listening.
    """
    server = VpcdCardServer(card, host, port, remove_after=remove_after)
    server.connect()
    return server.serve(stop_event)
