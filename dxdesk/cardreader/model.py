"""What a card holder looks like once read, and the parsers for the text-AP EFs.

Layouts follow docs/mynumber-card.md §2.3-§2.6. ``CardHolder`` never shows personal
data in ``repr``/``str`` because those end up in tracebacks and log lines.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from dxdesk.cardreader.errors import CardDataError
from dxdesk.cardreader.tlv import TLV, TLVError, encode_length, encode_tlv, parse_tlv
from dxdesk.wareki import wareki_yymmdd  # the birth-date part of 照合番号B

TAG_MY_NUMBER = 0xFF10
TAG_BASIC_INFO = 0xFF20
TAG_OFFSETS = 0xDF21
TAG_NAME = 0xDF22
TAG_ADDRESS = 0xDF23
TAG_BIRTH_DATE = 0xDF24
TAG_SEX = 0xDF25
BASIC_INFO_ITEM_TAGS = (TAG_NAME, TAG_ADDRESS, TAG_BIRTH_DATE, TAG_SEX)
TAG_INTEGRITY = 0xFF30
TAG_MY_NUMBER_DIGEST = 0xDF31
TAG_BASIC_INFO_DIGEST = 0xDF32
TAG_INTEGRITY_SIGNATURE = 0xDF33

NAME_SEPARATOR = "\u3000"  # ideographic space between family and given name
MY_NUMBER_LENGTH = 12
# Check-digit weights for the first 11 digits (python-stdnum stdnum/jp/in_.py).
_CHECK_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class Sex(Enum):
    """Sex code on the card (ISO 5218 / JIS X 0303)."""

    UNKNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    NOT_APPLICABLE = "9"

    @property
    def label_ja(self) -> str:
        return {"0": "不明", "1": "男", "2": "女", "9": "適用不能"}[self.value]

    @property
    def label_en(self) -> str:
        return {"0": "unknown", "1": "male", "2": "female", "9": "not applicable"}[self.value]


def is_ascii_digits(text: str, length: int) -> bool:
    """True for exactly ``length`` ASCII digits; full-width digits and spaces fail (str.isdigit would pass them)."""
    # For an ASCII-only string isdigit() is exactly 0-9; the C-level checks keep the read path cheap.
    return len(text) == length and text.isascii() and (text.isdigit() or not text)


def my_number_check_digit(first_eleven: str) -> int:
    if not is_ascii_digits(first_eleven, 11):
        raise ValueError("need exactly 11 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first_eleven, _CHECK_WEIGHTS))
    return (-total % 11) % 10


def is_valid_my_number(number: str) -> bool:
    """Format and check digit (weights 6,5,4,3,2,7,6,5,4,3,2; check = (−Σ mod 11) mod 10)."""
    return is_ascii_digits(number, MY_NUMBER_LENGTH) and my_number_check_digit(number[:11]) == int(number[11])


def mask_my_number(number: str | None) -> str:
    """``**** **** 7188``: the last four digits only, the form allowed on screens and receipts."""
    if not number:
        return "(not read)"
    tail = number[-4:] if len(number) >= 4 else ""
    return "**** **** " + tail.rjust(4, "*")


@dataclass(frozen=True, repr=False)
class CardHolder:
    family_name: str
    given_name: str
    name: str  # as on the card, U+3000 between family and given name kept
    address: str
    birth_date: dt.date
    sex: Sex
    my_number: str | None = None  # only when explicitly read

    def masked_my_number(self) -> str:
        return mask_my_number(self.my_number)

    def without_my_number(self) -> CardHolder:
        return CardHolder(self.family_name, self.given_name, self.name, self.address, self.birth_date, self.sex)

    def __repr__(self) -> str:
        # Shape only: a repr lands in tracebacks and logs, so no name, address or date.
        return (
            f"CardHolder(name=<{len(self.name)} chars>, address=<{len(self.address)} chars>, "
            f"birth_date=<date>, sex=<set>, my_number={self.masked_my_number() if self.my_number else None})"
        )

    __str__ = __repr__


def split_name(name: str) -> tuple[str, str]:
    """Family and given name, split at the first U+3000; foreign names may have none."""
    family, sep, given = name.partition(NAME_SEPARATOR)
    return (family, given) if sep else (name, "")


# --- EF 0001 -----------------------------------------------------------------------


def parse_my_number_ef(data: bytes) -> str:
    """EF 0001 (``FF10 0C`` + 12 ASCII digits, then filler) → the number, check digit verified."""
    item = _outer(data, TAG_MY_NUMBER, "EF 0001")
    try:
        number = item.value.decode("ascii")
    except UnicodeDecodeError:
        raise CardDataError("EF 0001 is not ASCII.") from None
    if not is_ascii_digits(number, MY_NUMBER_LENGTH):
        raise CardDataError(f"EF 0001 holds {len(item.value)} bytes, not 12 digits.")
    if not is_valid_my_number(number):
        raise CardDataError("EF 0001 fails the check digit.")
    return number


def encode_my_number_ef(number: str) -> bytes:
    """The TLV of EF 0001 (without filler)."""
    if not is_ascii_digits(number, MY_NUMBER_LENGTH):
        raise ValueError("My Number must be 12 ASCII digits")
    return encode_tlv(TAG_MY_NUMBER, number.encode("ascii"))


# --- EF 0002 -----------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class BasicInfoRecord:
    """EF 0002 parsed: the holder plus the byte range covered by the DF32 digest."""

    holder: CardHolder
    digest_input: bytes  # from the DF22 TLV to the end of the outer value (doc §2.6)


def parse_basic_info_ef(data: bytes) -> BasicInfoRecord:
    """EF 0002 → CardHolder (no number). Validates the DF21 offset table against the data."""
    outer = _outer(data, TAG_BASIC_INFO, "EF 0002")
    try:
        items = outer.children()
    except TLVError as exc:
        raise CardDataError(f"EF 0002 inner TLV malformed at offset {exc.offset}.") from None
    by_tag: dict[int, TLV] = {}
    for item in items:
        if item.tag in by_tag:
            raise CardDataError(f"EF 0002 has tag {item.tag:X} twice.")
        by_tag[item.tag] = item
    missing = [f"{t:X}" for t in (TAG_OFFSETS, *BASIC_INFO_ITEM_TAGS) if t not in by_tag]
    if missing:
        raise CardDataError(f"EF 0002 lacks {', '.join(missing)}.")
    table = by_tag[TAG_OFFSETS].value
    if len(table) != 8:
        raise CardDataError(f"EF 0002 offset table has {len(table)} bytes, not 8.")
    # The card's table must point at the items actually found; a mismatch means a corrupt or foreign layout.
    for index, tag in enumerate(BASIC_INFO_ITEM_TAGS):
        declared = int.from_bytes(table[2 * index : 2 * index + 2], "big")
        if declared != by_tag[tag].offset:
            raise CardDataError(f"EF 0002 offset table says {declared} for {tag:X}, data has {by_tag[tag].offset}.")

    name = _utf8(by_tag[TAG_NAME].value, "name")
    address = _utf8(by_tag[TAG_ADDRESS].value, "address")
    birth_date = parse_card_date(by_tag[TAG_BIRTH_DATE].value)
    sex_raw = by_tag[TAG_SEX].value
    try:
        sex = Sex(sex_raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise CardDataError(f"EF 0002 sex code is not one of 0/1/2/9 ({len(sex_raw)} bytes).") from None
    family, given = split_name(name)
    holder = CardHolder(family, given, name, address, birth_date, sex)
    start = by_tag[TAG_NAME].offset
    return BasicInfoRecord(holder, bytes(data[start : outer.end]))


def parse_card_date(raw: bytes) -> dt.date:
    """``YYYYMMDD`` ASCII (Gregorian) → date; anything else is a CardDataError."""
    text = raw.decode("ascii", errors="replace")
    if not is_ascii_digits(text, 8):
        raise CardDataError("Birth date on the card is not 8 digits (YYYYMMDD).")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataError("Birth date on the card is not a valid calendar date.") from None


def encode_basic_info_ef(holder: CardHolder, *, long_form_lengths: bool = False) -> bytes:
    """The TLV of EF 0002 (without filler), with a correct DF21 offset table.

    ``long_form_lengths`` writes the outer length as ``82 hhll`` and the name and
    address lengths as at least ``81 nn`` — legal BER that some cards' layouts imply.
    """
    outer_octets = 2 if long_form_lengths else 0
    item_octets = 1 if long_form_lengths else 0
    items = [
        encode_tlv(TAG_NAME, holder.name.encode("utf-8"), length_octets=_octets(holder.name, item_octets)),
        encode_tlv(TAG_ADDRESS, holder.address.encode("utf-8"), length_octets=_octets(holder.address, item_octets)),
        encode_tlv(TAG_BIRTH_DATE, holder.birth_date.strftime("%Y%m%d").encode("ascii")),
        encode_tlv(TAG_SEX, holder.sex.value.encode("ascii")),
    ]
    table_tlv_len = 3 + 8
    body_len = table_tlv_len + sum(len(i) for i in items)
    header_len = 2 + len(encode_length(body_len, length_octets=outer_octets))
    offsets = []
    position = header_len + table_tlv_len
    for item in items:
        offsets.append(position)
        position += len(item)
    table = b"".join(o.to_bytes(2, "big") for o in offsets)
    body = encode_tlv(TAG_OFFSETS, table) + b"".join(items)
    return encode_tlv(TAG_BASIC_INFO, body, length_octets=outer_octets)


def _octets(text: str, minimum: int) -> int:
    """Length-field size: 0 = minimal form; otherwise at least ``minimum`` bytes after 8n."""
    if minimum == 0:
        return 0
    return max(minimum, (len(text.encode("utf-8")).bit_length() + 7) // 8)


# --- EF 0003 -----------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class IntegrityRecord:
    my_number_digest: bytes  # SHA-256 of EF 0001 as stored, filler included
    basic_info_digest: bytes  # SHA-256 of EF 0002 from DF22 to the end of the outer value
    signature: bytes
    signed_data: bytes  # the bytes the signature covers (file start up to DF33)


def parse_integrity_ef(data: bytes) -> IntegrityRecord:
    outer = _outer(data, TAG_INTEGRITY, "EF 0003")
    try:
        items = {item.tag: item for item in outer.children()}
    except TLVError as exc:
        raise CardDataError(f"EF 0003 inner TLV malformed at offset {exc.offset}.") from None
    for tag in (TAG_MY_NUMBER_DIGEST, TAG_BASIC_INFO_DIGEST, TAG_INTEGRITY_SIGNATURE):
        if tag not in items:
            raise CardDataError(f"EF 0003 lacks {tag:X}.")
    for tag in (TAG_MY_NUMBER_DIGEST, TAG_BASIC_INFO_DIGEST):
        if len(items[tag].value) != 32:
            raise CardDataError(f"EF 0003 digest {tag:X} is not 32 bytes.")
    signature = items[TAG_INTEGRITY_SIGNATURE]
    return IntegrityRecord(
        items[TAG_MY_NUMBER_DIGEST].value,
        items[TAG_BASIC_INFO_DIGEST].value,
        signature.value,
        bytes(data[: signature.offset]),
    )


def _outer(data: bytes, tag: int, what: str) -> TLV:
    try:
        item = parse_tlv(data)
    except TLVError as exc:
        raise CardDataError(f"{what} TLV malformed at offset {exc.offset}.") from None
    if item.tag != tag:
        raise CardDataError(f"{what} starts with tag {item.tag:X}, expected {tag:X}.")
    return item


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CardDataError(f"The {what} on the card is not valid UTF-8 (byte {exc.start}).") from None


# --- 照合番号B ------------------------------------------------------------------------

def verification_code_b(birth_date: dt.date, expiry_year: int, security_code: str) -> str:
    """照合番号B = 和暦 birth YYMMDD + card expiry year YYYY + 4-digit security code (doc §4)."""
    if not is_ascii_digits(security_code, 4):
        raise ValueError("security code must be 4 ASCII digits")
    if not 1000 <= expiry_year <= 9999:
        raise ValueError("expiry year must have 4 digits")
    return f"{wareki_yymmdd(birth_date)}{expiry_year:04d}{security_code}"
