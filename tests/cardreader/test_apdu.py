"""APDU encoding, secret masking in traces, and the chunked READ BINARY strategy."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxdesk.cardreader.apdu import (
    CommandAPDU,
    ResponseAPDU,
    describe_command,
    read_binary_all,
    read_binary_apdu,
    read_binary_to_end,
)
from dxdesk.cardreader.errors import CardDataError, SecurityStatusError, UnexpectedStatusError


@pytest.mark.parametrize(
    ("apdu", "raw"),
    [
        (CommandAPDU(0x00, 0x20, 0x00, 0x80), "00 20 00 80"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256), "00 B0 00 00 00"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x07, le=0x61), "00 B0 00 07 61"),
        (CommandAPDU(0x00, 0xA4, 0x02, 0x0C, b"\x00\x11"), "00 A4 02 0C 02 00 11"),
        (CommandAPDU(0x80, 0x2A, 0x00, 0x80, b"\x01\x02", le=256), "80 2A 00 80 02 01 02 00"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=65536), "00 B0 00 00 00 00 00"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x04, le=0x61F), "00 B0 00 04 00 06 1F"),  # TEX's extended read
    ],
)
def test_command_encoding_round_trip(apdu: CommandAPDU, raw: str) -> None:
    assert apdu.to_bytes() == bytes.fromhex(raw)
    assert CommandAPDU.from_bytes(bytes.fromhex(raw)) == apdu


@settings(max_examples=200, deadline=None)
@given(
    header=st.tuples(*[st.integers(0, 255)] * 4),
    data=st.binary(max_size=300),
    le=st.one_of(st.none(), st.integers(1, 65536)),
)
def test_command_round_trip_property(header: tuple[int, int, int, int], data: bytes, le: int | None) -> None:
    apdu = CommandAPDU(*header, data=data, le=le)
    assert CommandAPDU.from_bytes(apdu.to_bytes()) == apdu


@pytest.mark.parametrize("raw", ["00 A4", "00 A4 04 0C 05 01", "00 B0 00 00 00 01", "00 20 00 80 00 00 05 01"])
def test_malformed_commands(raw: str) -> None:
    with pytest.raises(ValueError):
        CommandAPDU.from_bytes(bytes.fromhex(raw))


def test_response_apdu() -> None:
    response = ResponseAPDU.from_bytes(bytes.fromhex("01 02 63 C2"))
    assert (response.data, response.sw, response.sw1, response.sw2, response.ok) == (b"\x01\x02", 0x63C2, 0x63, 0xC2, False)
    assert ResponseAPDU(b"", 0x9000).ok
    assert "01 02" not in repr(response)
    with pytest.raises(ValueError):
        ResponseAPDU.from_bytes(b"\x90")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("00 20 00 80 04 31 32 33 34", "00 20 00 80 04 XX XX XX XX"),
        ("00 20 00 91 04 31 32 33 34", "00 20 00 91 04 XX XX XX XX"),
        ("00 24 01 80 04 35 36 37 38", "00 24 01 80 04 XX XX XX XX"),
        ("00 20 00 80", "00 20 00 80"),
        ("00 20 00 80 05 31 32 33", "00 20 00 80 XX XX XX XX"),  # malformed: everything after the header
        ("00 A4 02 0C 02 00 11", "00 A4 02 0C 02 00 11"),
    ],
)
def test_describe_command_masks_secrets(raw: str, shown: str) -> None:
    assert describe_command(bytes.fromhex(raw)) == shown


class FileTransport:
    """Serves READ BINARY on one EF the way doc §6.2 describes, and records (offset, Le)."""

    def __init__(self, content: bytes, eof_sw: int = 0x6B00) -> None:
        self.content = content
        self.eof_sw = eof_sw
        self.reads: list[tuple[int, int]] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        cmd = CommandAPDU.from_bytes(apdu)
        offset = cmd.p2 if cmd.p1 & 0x80 else (cmd.p1 << 8) | cmd.p2
        assert cmd.le is not None
        self.reads.append((offset, cmd.le))
        if offset >= len(self.content):
            return b"", self.eof_sw
        return self.content[offset : offset + cmd.le], 0x9000


def test_read_binary_all_header_then_chunks() -> None:
    value = bytes(range(256)) * 3  # 768-byte value -> FF20 82 03 00
    tlv = bytes.fromhex("FF 20 82 03 00") + value
    transport = FileTransport(tlv + b"\xff" * 40)
    assert read_binary_all(transport) == tlv
    assert transport.reads == [(0, 7), (7, 256), (263, 256), (519, 254)]


def test_read_binary_all_with_sfi_and_short_file() -> None:
    transport = FileTransport(bytes.fromhex("30 03 01 02 03"))
    assert read_binary_all(transport, sfi=0x0A, header_len=4) == bytes.fromhex("30 03 01 02 03")
    assert transport.reads == [(0, 4), (4, 1)]


def test_read_binary_all_reports_truncation() -> None:
    with pytest.raises(CardDataError, match="File ended after 5 of 9 bytes"):
        read_binary_all(FileTransport(bytes.fromhex("DF 22 06 01 02"), eof_sw=0x6282))


def test_read_binary_to_end_stops_on_short_chunk_or_eof() -> None:
    small = FileTransport(b"\x01" * 17)
    assert read_binary_to_end(small) == b"\x01" * 17 and small.reads == [(0, 256)]
    exact = FileTransport(b"\x02" * 512)
    assert read_binary_to_end(exact) == b"\x02" * 512 and exact.reads == [(0, 256), (256, 256), (512, 256)]


@pytest.mark.parametrize(("sw", "error"), [(0x6982, SecurityStatusError), (0x6A86, UnexpectedStatusError)])
def test_read_errors_map_to_card_errors(sw: int, error: type[Exception]) -> None:
    class Failing:
        def transmit(self, apdu: bytes) -> tuple[bytes, int]:
            return b"", sw

    with pytest.raises(error):
        read_binary_all(Failing())


def test_read_binary_apdu_limits() -> None:
    assert read_binary_apdu(0x1234, 256) == bytes.fromhex("00 B0 12 34 00")
    assert read_binary_apdu(3, 12, sfi=1) == bytes.fromhex("00 B0 81 03 0C")
    for bad in (lambda: read_binary_apdu(0x8000, 1), lambda: read_binary_apdu(256, 1, sfi=1),
                lambda: read_binary_apdu(0, 1, sfi=31)):
        with pytest.raises(ValueError):
            bad()
