"""BER-TLV: the card's tag and length forms, malformed input, and property tests."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxdesk.cardreader.tlv import (
    TLVError,
    encode_length,
    encode_tag,
    encode_tlv,
    iter_tlvs,
    parse_header,
    parse_tlv,
)


@pytest.mark.parametrize(
    ("raw", "tag", "length", "header_len"),
    [
        ("FF2065", 0xFF20, 0x65, 3),
        ("FF2081C6", 0xFF20, 0xC6, 4),
        ("FF20820136", 0xFF20, 0x136, 5),
        ("DF2108", 0xDF21, 8, 3),
        ("7F21820233", 0x7F21, 0x233, 5),
        ("5F4E820129", 0x5F4E, 0x129, 5),
        ("3082061F", 0x30, 0x61F, 4),
        ("DF2383010000", 0xDF23, 0x10000, 6),
    ],
)
def test_headers_of_the_card_forms(raw: str, tag: int, length: int, header_len: int) -> None:
    assert parse_header(bytes.fromhex(raw)) == (tag, length, header_len)


def test_parse_tlv_ignores_filler_and_reports_offsets() -> None:
    data = bytes.fromhex("FF100C") + b"537686677188" + b"\xff\xff"
    item = parse_tlv(data)
    assert (item.tag, item.value, item.offset, item.end) == (0xFF10, b"537686677188", 0, 15)
    assert item.constructed


def test_children_offsets_are_absolute() -> None:
    inner = encode_tlv(0xDF22, b"ab") + encode_tlv(0xDF23, b"c" * 200)
    outer = encode_tlv(0xFF20, inner)
    children = parse_tlv(outer).children()
    assert [c.tag for c in children] == [0xDF22, 0xDF23]
    assert children[0].offset == 4  # FF 20 81 xx
    assert children[1].offset == 4 + 5  # after DF 22 02 "ab"
    assert children[1].header_len == 4  # DF 23 81 C8


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("", 0),  # missing tag
        ("FF", 1),  # truncated multi-byte tag
        ("DF21", 2),  # missing length
        ("DF2180", 2),  # indefinite length
        ("DF2182 01", 2),  # truncated length field
        ("DF2185 0000000001", 2),  # 5-byte length field
        ("DF2105 0102", 0),  # value runs past the end
        ("1F808080 8001 00", 0),  # tag longer than 4 bytes
    ],
)
def test_malformed_input_raises_tlv_error_with_offset(raw: str, offset: int) -> None:
    with pytest.raises(TLVError) as info:
        parse_tlv(bytes.fromhex(raw.replace(" ", "")))
    assert info.value.offset == offset
    assert "malformed TLV at offset" in str(info.value)


def test_error_message_contains_no_data_bytes() -> None:
    secret = "黒桐".encode()
    with pytest.raises(TLVError) as info:
        parse_tlv(bytes.fromhex("DF2240") + secret)
    assert secret.hex() not in str(info.value).lower()


def test_forced_long_forms() -> None:
    assert encode_length(5, length_octets=1) == b"\x81\x05"
    assert encode_length(5, length_octets=2) == b"\x82\x00\x05"
    assert encode_length(0x10000) == b"\x83\x01\x00\x00"
    with pytest.raises(ValueError):
        encode_length(256, length_octets=1)
    with pytest.raises(ValueError):
        encode_tag(0x1F)  # says "more tag bytes follow" but none do


# --- property tests ------------------------------------------------------------

_TAGS = st.one_of(
    st.integers(0x00, 0x1E).map(lambda low: low | 0xC0),  # one-byte private tags
    st.sampled_from([0xFF10, 0xFF20, 0xFF30, 0xDF21, 0xDF25, 0x7F21, 0x5F4E, 0x5F37, 0x30, 0x90]),
    st.integers(0x1F, 0x7F).map(lambda n: 0xDF00 | n),  # two-byte tags, number 31..127
)


@settings(max_examples=200, deadline=None)
@given(tag=_TAGS, value=st.binary(max_size=700), octets=st.sampled_from([0, 0, 2, 3]))
def test_encode_parse_round_trip(tag: int, value: bytes, octets: int) -> None:
    encoded = encode_tlv(tag, value, length_octets=octets)
    item = parse_tlv(encoded + b"\xff" * 3)
    assert (item.tag, item.value, item.end) == (tag, value, len(encoded))


@settings(max_examples=100, deadline=None)
@given(items=st.lists(st.tuples(_TAGS, st.binary(max_size=300)), max_size=5))
def test_sequence_round_trip(items: list[tuple[int, bytes]]) -> None:
    encoded = b"".join(encode_tlv(t, v) for t, v in items)
    assert [(i.tag, i.value) for i in iter_tlvs(encoded)] == items


@settings(max_examples=300, deadline=None)
@given(tag=_TAGS, value=st.binary(min_size=1, max_size=400), data=st.data())
def test_truncated_input_only_raises_tlv_error(tag: int, value: bytes, data: st.DataObject) -> None:
    encoded = encode_tlv(tag, value)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(TLVError):
        parse_tlv(encoded[:cut])


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=64))
def test_garbage_never_crashes(raw: bytes) -> None:
    try:
        for item in iter_tlvs(raw):
            assert item.end <= len(raw)
    except TLVError as exc:
        assert 0 <= exc.offset <= len(raw)
