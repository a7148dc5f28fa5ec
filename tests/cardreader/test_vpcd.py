"""vpcd framing, tested against a local socket that plays vpcd's part (no pcscd needed)."""
from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from dxdesk.cardreader import vpcd
from dxdesk.cardreader.vpcd import VpcdCardServer, VpcdConnectionError, recv_frame, send_frame

ATR = bytes.fromhex("3BE000FF8131FE4514")


class FakeCard:
    """Minimal card with the five members vpcd uses; records what happened."""

    def __init__(self) -> None:
        self.atr = ATR
        self.events: list[str] = []

    def power_on(self) -> None:
        self.events.append("on")

    def power_off(self) -> None:
        self.events.append("off")

    def reset(self) -> None:
        self.events.append("reset")

    def process(self, apdu: bytes) -> bytes:
        self.events.append("apdu")
        if apdu[:2] == b"\xde\xad":
            raise RuntimeError("card bug")
        if apdu[:2] == b"\xbe\xef":
            return b""
        return apdu[::-1] + b"\x90\x00"  # echo reversed, so the test sees a real transformation


class FakeVpcd:
    """Listens like vpcd does; the test drives it from the main thread."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.listener.settimeout(5)
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(5)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.listener.close()


@pytest.fixture
def fake_vpcd() -> Iterator[FakeVpcd]:
    server = FakeVpcd()
    yield server
    server.close()


def _start(card: FakeCard, port: int, **kwargs) -> tuple[VpcdCardServer, threading.Thread, list]:
    server = VpcdCardServer(card, "127.0.0.1", port, **kwargs)
    results: list = []
    thread = threading.Thread(target=lambda: results.append(server.serve()), daemon=True)
    thread.start()
    return server, thread, results


def test_control_codes_and_apdu_round_trip(fake_vpcd: FakeVpcd) -> None:
    card = FakeCard()
    server, thread, results = _start(card, fake_vpcd.port)
    conn = fake_vpcd.accept()
    assert server.connected.wait(5)

    send_frame(conn, b"\x01")  # power on: no reply
    send_frame(conn, b"\x04")  # get ATR
    assert recv_frame(conn) == ATR
    send_frame(conn, b"\x00\xa4\x04\x0c")
    assert recv_frame(conn) == b"\x0c\x04\xa4\x00\x90\x00"
    send_frame(conn, b"\x02")  # reset: no reply
    send_frame(conn, b"\x00")  # power off: no reply
    send_frame(conn, b"\x04")
    assert recv_frame(conn) == ATR  # the ATR is available at any time (presence polling)

    conn.close()  # vpcd going away ends the loop
    thread.join(5)
    assert not thread.is_alive()
    assert results[0].reason == "vpcd closed"
    assert results[0].apdus == 1
    assert card.events == ["on", "apdu", "reset", "off"]


def test_frames_split_into_single_bytes_are_reassembled(fake_vpcd: FakeVpcd) -> None:
    card = FakeCard()
    server, thread, _ = _start(card, fake_vpcd.port)
    conn = fake_vpcd.accept()
    apdu = bytes(range(0x10, 0x10 + 40))
    wire = struct.pack(">H", len(apdu)) + apdu
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for b in wire:  # the worst case of TCP segmentation
        conn.sendall(bytes([b]))
    assert recv_frame(conn) == apdu[::-1] + b"\x90\x00"
    server.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_card_socket_has_low_latency_options(fake_vpcd: FakeVpcd) -> None:
    server = VpcdCardServer(FakeCard(), "127.0.0.1", fake_vpcd.port)
    server.connect()
    fake_vpcd.accept()
    sock = server._sock
    assert sock is not None
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    server.stop()
    server.serve()  # returns immediately: stop was requested before serving


def test_stop_event_ends_an_idle_loop(fake_vpcd: FakeVpcd) -> None:
    stop = threading.Event()
    card = FakeCard()
    results: list = []
    thread = threading.Thread(
        target=lambda: results.append(vpcd.serve_card(card, "127.0.0.1", fake_vpcd.port, stop)), daemon=True
    )
    thread.start()
    conn = fake_vpcd.accept()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert results[0].reason == "stopped"
    assert conn.recv(1) == b""  # the card side closed: vpcd sees "removed"


def test_remove_after_closes_socket_after_n_apdus(fake_vpcd: FakeVpcd) -> None:
    server, thread, results = _start(FakeCard(), fake_vpcd.port, remove_after=2)
    conn = fake_vpcd.accept()
    for i in range(2):
        send_frame(conn, bytes([0, i, 0, 0]))
        assert recv_frame(conn)[-2:] == b"\x90\x00"
    thread.join(5)
    assert results[0].reason == "removed after 2 APDUs"
    assert conn.recv(1) == b""


def test_card_exception_or_short_reply_answers_6f00(fake_vpcd: FakeVpcd) -> None:
    server, thread, _ = _start(FakeCard(), fake_vpcd.port)
    conn = fake_vpcd.accept()
    send_frame(conn, b"\xde\xad\x00\x00")
    assert recv_frame(conn) == b"\x6f\x00"
    send_frame(conn, b"\xbe\xef\x00\x00")
    assert recv_frame(conn) == b"\x6f\x00"
    send_frame(conn, b"\x00\xb0\x00\x00")  # and the slot keeps working afterwards
    assert recv_frame(conn) == b"\x00\x00\xb0\x00\x90\x00"
    server.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_unknown_control_code_is_ignored(fake_vpcd: FakeVpcd) -> None:
    card = FakeCard()
    server, thread, _ = _start(card, fake_vpcd.port)
    conn = fake_vpcd.accept()
    send_frame(conn, b"\x09")
    send_frame(conn, b"\x04")
    assert recv_frame(conn) == ATR
    server.stop()
    thread.join(5)
    assert card.events == []


def test_connection_refused_is_a_clear_error() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # now nothing listens there
    with pytest.raises(VpcdConnectionError, match="is pcscd running"):
        vpcd.serve_card(FakeCard(), "127.0.0.1", port)
