"""APDUs, the transport interface, an APDU tracer that never logs secrets, and chunked reads.

Everything the card layer sends goes through a :class:`Transport`: the PC/SC backend,
the in-process simulated card and test recorders all implement the one method
``transmit(apdu) -> (data, sw)``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from dxdesk.cardreader.errors import CardDataError, error_for_status
from dxdesk.cardreader.tlv import TLVError, parse_header

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # "end of file reached before Le bytes", tolerated as end of data
SW_WRONG_OFFSET = 0x6B00  # offset beyond the EF
SW_SECURITY_STATUS = 0x6982

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_VERIFY = 0x20
INS_CHANGE_REFERENCE_DATA = 0x24
INS_RESET_RETRY_COUNTER = 0x2C
# Commands whose data field is a secret (PIN, password, 照合番号): never logged.
SECRET_INS = frozenset({INS_VERIFY, INS_CHANGE_REFERENCE_DATA, INS_RESET_RETRY_COUNTER})

MAX_SHORT_LE = 256
MAX_OFFSET = 0x7FFF  # READ BINARY offset lives in P1-P2 with P1 bit 8 = 0


@dataclass(frozen=True)
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # expected length; 256 is encoded as 00 in a short APDU

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} must be one byte")
        if len(self.data) > 0xFFFF:
            raise ValueError("command data longer than 65535 bytes")
        if self.le is not None and not 1 <= self.le <= 0x10000:
            raise ValueError("le must be 1..65536 or None")

    @property
    def is_extended(self) -> bool:
        return len(self.data) > 0xFF or (self.le is not None and self.le > MAX_SHORT_LE)

    def to_bytes(self) -> bytes:
        """Short encoding when it fits (always, for this project); extended otherwise."""
        header = bytes([self.cla, self.ins, self.p1, self.p2])
        if not self.is_extended:
            body = b""
            if self.data:
                body += bytes([len(self.data)]) + bytes(self.data)
            if self.le is not None:
                body += bytes([self.le & 0xFF])  # 256 -> 00
            return header + body
        body = b"\x00"  # extended marker, then 2-byte Lc and/or Le
        if self.data:
            body += len(self.data).to_bytes(2, "big") + bytes(self.data)
        if self.le is not None:
            body += (self.le & 0xFFFF).to_bytes(2, "big")  # 65536 -> 00 00
        return header + body

    @classmethod
    def from_bytes(cls, raw: bytes) -> CommandAPDU:
        """Parse a short or extended command APDU; ValueError when the lengths do not add up."""
        if len(raw) < 4:
            raise ValueError("APDU shorter than 4 bytes")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:  # case 1
            return cls(cla, ins, p1, p2)
        if len(body) == 1:  # case 2 short
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] != 0:  # short Lc
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), le=body[-1] or 256)
            raise ValueError("Lc does not match the data length")
        # Extended: 00 then two bytes
        if len(body) == 3:  # case 2 extended
            return cls(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or 0x10000)
        if len(body) < 3:
            raise ValueError("truncated extended length")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ValueError("extended Lc of zero")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]))
        if len(body) == 5 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), le=int.from_bytes(body[-2:], "big") or 0x10000)
        raise ValueError("extended Lc does not match the data length")


@dataclass(frozen=True)
class ResponseAPDU:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def to_bytes(self) -> bytes:
        return bytes(self.data) + self.sw.to_bytes(2, "big")

    @classmethod
    def from_bytes(cls, raw: bytes) -> ResponseAPDU:
        if len(raw) < 2:
            raise ValueError("response shorter than 2 bytes (no status word)")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def __repr__(self) -> str:  # data may be personal: length only
        return f"ResponseAPDU(<{len(self.data)} bytes>, sw={self.sw:04X})"


class Transport(Protocol):
    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command APDU; return (response data, status word as int)."""
        ...


def _hex(data: bytes) -> str:
    return data.hex(" ").upper()


def describe_command(apdu: bytes) -> str:
    """Hex of a command with the data of VERIFY/CHANGE REFERENCE DATA replaced by XX."""
    if len(apdu) > 5 and apdu[1] in SECRET_INS:
        try:
            cmd = CommandAPDU.from_bytes(apdu)
        except ValueError:  # unparsable: hide everything after the header
            return _hex(apdu[:4]) + " " + " ".join(["XX"] * (len(apdu) - 4))
        # Keep the header, Lc and Le (a 4-digit PIN's length is no secret) and mask the data.
        raw = cmd.to_bytes()
        lc_len = 3 if cmd.is_extended else 1
        le_len = 0 if cmd.le is None else (2 if cmd.is_extended else 1)
        masked = _hex(raw[: 4 + lc_len]) + " " + " ".join(["XX"] * len(cmd.data))
        if le_len:
            masked += " " + _hex(raw[-le_len:])
        return masked
    return _hex(apdu)


class TracingTransport:
    """Logs every exchange at DEBUG without secrets.

    Command bytes are logged (except secret data, shown as XX). Response *data* is
    never logged, only its length and the SW: almost every file on a My Number Card
    carries personal data (EF 0001/0002/0003 of the text AP, the signature
    certificate), and one simple rule is easier to audit than a list of exceptions.
    """

    def __init__(self, inner: Transport, logger: logging.Logger | None = None) -> None:
        self.inner = inner
        self.logger = logger or logging.getLogger(__name__)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if not self.logger.isEnabledFor(logging.DEBUG):
            # The usual case: skip formatting the command (measurable next to a fast reader).
            return self.inner.transmit(apdu)
        self.logger.debug("-> %s", describe_command(apdu))
        try:
            data, sw = self.inner.transmit(apdu)
        except Exception as exc:
            self.logger.debug("<- failed: %s", type(exc).__name__)
            raise
        self.logger.debug("<- <%d bytes> %04X", len(data), sw)
        return data, sw


@dataclass
class RecordingTransport:
    """Keeps every exchange in memory; for tests and for counting APDUs."""

    inner: Transport
    exchanges: list[tuple[bytes, bytes, int]] = field(default_factory=list)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = self.inner.transmit(apdu)
        self.exchanges.append((bytes(apdu), bytes(data), sw))
        return data, sw

    @property
    def commands(self) -> list[bytes]:
        return [command for command, _, _ in self.exchanges]


def read_binary_apdu(offset: int, le: int, *, sfi: int | None = None) -> bytes:
    """READ BINARY by offset (≤ 7FFF) or, with ``sfi``, by short EF identifier (offset ≤ FF)."""
    if sfi is not None:
        if not 1 <= sfi <= 0x1E:
            raise ValueError("SFI must be 1..30")
        if not 0 <= offset <= 0xFF:
            raise ValueError("an SFI read can only address offsets 0..255")
        return CommandAPDU(0x00, INS_READ_BINARY, 0x80 | sfi, offset, le=le).to_bytes()
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError("READ BINARY offset beyond 7FFF")
    return CommandAPDU(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=le).to_bytes()


def _read_chunk(transport: Transport, offset: int, le: int, sfi: int | None) -> tuple[bytes, bool]:
    """One READ BINARY; returns (data, end_of_file)."""
    data, sw = transport.transmit(read_binary_apdu(offset, le, sfi=sfi))
    if sw == SW_OK:
        return data, False
    if sw in (SW_END_OF_FILE, SW_WRONG_OFFSET):
        return data, True
    raise error_for_status(sw, "READ BINARY")


def read_binary_all(
    transport: Transport,
    *,
    header_len: int = 7,
    chunk: int = MAX_SHORT_LE,
    sfi: int | None = None,
) -> bytes:
    """Read the one BER-TLV object at the start of the current EF (filler excluded).

    Reads ``header_len`` bytes first (7 covers a 2-byte tag with an ``82`` length and
    a peek at the first inner tag), learns the total size from the BER header, then
    reads the rest in chunks of at most ``chunk`` bytes (256 → Le 00). ``6B00`` and
    ``6282`` mean end of file; a file that ends before its TLV does is a CardDataError.
    With ``sfi`` the first read addresses the EF by short identifier (the card then
    makes it current) and later reads use plain offsets.
    """
    if not 1 <= chunk <= MAX_SHORT_LE or not 1 <= header_len <= MAX_SHORT_LE:
        raise ValueError("chunk and header_len must be 1..256")
    buf, eof = _read_chunk(transport, 0, header_len, sfi)
    try:
        _, length, hlen = parse_header(buf)
    except TLVError as exc:
        raise CardDataError(f"Bad TLV header at offset {exc.offset}.") from None
    total = hlen + length
    while len(buf) < total and not eof:
        if len(buf) > MAX_OFFSET:
            raise CardDataError("Object extends past the largest readable offset.")
        part, eof = _read_chunk(transport, len(buf), min(chunk, total - len(buf)), None)
        if not part and not eof:
            raise CardDataError("Card returned no data before the end of the object.")
        buf += part
    if len(buf) < total:
        raise CardDataError(f"File ended after {len(buf)} of {total} bytes.")
    return bytes(buf[:total])


def read_binary_to_end(transport: Transport, *, chunk: int = MAX_SHORT_LE, sfi: int | None = None) -> bytes:
    """Read the whole physical EF (filler included) until a short chunk or end-of-file SW.

    For small EFs this is one ``Le 00`` read, exactly what published transcripts do
    for EF 0001 (17 bytes back, ``90 00``).
    """
    buf = b""
    offset_sfi = sfi
    while True:
        if len(buf) > MAX_OFFSET:
            raise CardDataError("File is larger than the largest readable offset.")
        part, eof = _read_chunk(transport, len(buf), chunk, offset_sfi)
        offset_sfi = None
        buf += part
        if eof or len(part) < chunk:
            return bytes(buf)
