"""Generic BER-TLV as used on the My Number Card.

The card uses multi-byte tags (``FF20`` private constructed with the tag number in
long form, ``DF21`` private primitive, ``7F21``/``5F4E`` application class) and all
definite length forms: short (``< 0x80``), ``81 xx``, ``82 xx xx`` (and ``83`` in
principle). Real cards use short outer lengths in every published sample, but
addresses longer than 127 bytes of UTF-8 force ``81``/``82``, so nothing here assumes
a form. Tags are handled as big-endian integers (``0xFF20``).

Errors are :class:`TLVError` with the byte offset; messages never include data
bytes because the data is usually personal.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

MAX_TAG_BYTES = 4
MAX_LENGTH_OCTETS = 4  # 84 xx xx xx xx; the card itself never needs more than 82


class TLVError(ValueError):
    """Malformed BER-TLV. ``offset`` is the position in the parsed buffer."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"malformed TLV at offset {offset}: {reason}")


@dataclass(frozen=True)
class TLV:
    tag: int
    value: bytes
    offset: int  # position of the first tag byte, relative to the caller's base
    header_len: int  # tag bytes + length bytes

    @property
    def value_offset(self) -> int:
        return self.offset + self.header_len

    @property
    def end(self) -> int:
        """Offset just past this TLV."""
        return self.value_offset + len(self.value)

    @property
    def constructed(self) -> bool:
        return bool(_first_tag_byte(self.tag) & 0x20)

    def children(self) -> list[TLV]:
        """Parse the value as a sequence of TLVs; offsets stay relative to the same base."""
        return list(iter_tlvs(self.value, base_offset=self.value_offset))

    def __repr__(self) -> str:  # values are often personal data: show only the shape
        return f"TLV(tag={self.tag:X}, length={len(self.value)}, offset={self.offset})"


def _first_tag_byte(tag: int) -> int:
    return tag >> (8 * ((max(tag.bit_length(), 1) - 1) // 8))


def parse_tag(data: bytes, offset: int = 0, *, base_offset: int = 0) -> tuple[int, int]:
    """Return ``(tag, offset after the tag)``."""
    if offset >= len(data):
        raise TLVError(base_offset + offset, "missing tag")
    first = data[offset]
    tag = first
    pos = offset + 1
    if first & 0x1F == 0x1F:  # tag number in the following bytes, bit 8 = "more follows"
        while True:
            if pos >= len(data):
                raise TLVError(base_offset + pos, "truncated multi-byte tag")
            if pos - offset >= MAX_TAG_BYTES:
                raise TLVError(base_offset + offset, "tag longer than 4 bytes")
            byte = data[pos]
            tag = (tag << 8) | byte
            pos += 1
            if not byte & 0x80:
                break
    return tag, pos


def parse_length(data: bytes, offset: int = 0, *, base_offset: int = 0) -> tuple[int, int]:
    """Return ``(length, offset after the length field)``; definite forms only."""
    if offset >= len(data):
        raise TLVError(base_offset + offset, "missing length")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0:
        raise TLVError(base_offset + offset, "indefinite length is not allowed")
    if count > MAX_LENGTH_OCTETS:
        raise TLVError(base_offset + offset, f"length field of {count} bytes is not supported")
    end = offset + 1 + count
    if end > len(data):
        raise TLVError(base_offset + offset, "truncated length field")
    return int.from_bytes(data[offset + 1 : end], "big"), end


def parse_header(data: bytes, offset: int = 0, *, base_offset: int = 0) -> tuple[int, int, int]:
    """Return ``(tag, value length, header length)`` without requiring the value to be present.

    Used to learn the total size of an EF from its first few bytes.
    """
    tag, pos = parse_tag(data, offset, base_offset=base_offset)
    length, pos = parse_length(data, pos, base_offset=base_offset)
    return tag, length, pos - offset


def parse_tlv(data: bytes, offset: int = 0, *, base_offset: int = 0) -> TLV:
    """Parse one TLV starting at ``offset``; bytes after it (e.g. EF filler) are ignored."""
    tag, length, header_len = parse_header(data, offset, base_offset=base_offset)
    start = offset + header_len
    if start + length > len(data):
        raise TLVError(
            base_offset + offset, f"value of {length} bytes runs past the end ({len(data) - start} available)"
        )
    return TLV(tag, bytes(data[start : start + length]), base_offset + offset, header_len)


def iter_tlvs(data: bytes, *, base_offset: int = 0) -> Iterator[TLV]:
    """Yield consecutive TLVs that must fill ``data`` exactly."""
    pos = 0
    while pos < len(data):
        item = parse_tlv(data, pos, base_offset=base_offset)
        yield item
        pos += item.header_len + len(item.value)


def encode_tag(tag: int) -> bytes:
    if tag < 0:
        raise ValueError("tag must be non-negative")
    raw = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    if len(raw) > MAX_TAG_BYTES:
        raise ValueError(f"tag {tag:X} is longer than 4 bytes")
    # The bytes must read back as exactly this tag, or the encoding is not BER.
    try:
        parsed, end = parse_tag(raw)
    except TLVError as exc:
        raise ValueError(f"tag {tag:X} is not a valid BER tag: {exc.reason}") from None
    if parsed != tag or end != len(raw):
        raise ValueError(f"tag {tag:X} is not a valid BER tag")
    return raw


def encode_length(length: int, *, length_octets: int = 0) -> bytes:
    """Encode a definite length; ``length_octets`` > 0 forces the ``8n`` long form with n bytes.

    Forcing lets the simulator produce ``81 10``-style encodings that are legal BER
    but not minimal, because parsers in the field must accept them.
    """
    if length < 0:
        raise ValueError("length must be non-negative")
    if length_octets == 0:
        if length < 0x80:
            return bytes([length])
        length_octets = (length.bit_length() + 7) // 8
    if not 1 <= length_octets <= MAX_LENGTH_OCTETS:
        raise ValueError(f"unsupported length field size {length_octets}")
    if length >= 1 << (8 * length_octets):
        raise ValueError(f"length {length} does not fit in {length_octets} bytes")
    return bytes([0x80 | length_octets]) + length.to_bytes(length_octets, "big")


def encode_tlv(tag: int, value: bytes, *, length_octets: int = 0) -> bytes:
    return encode_tag(tag) + encode_length(len(value), length_octets=length_octets) + bytes(value)
