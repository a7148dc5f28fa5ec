"""Card holder model, EF parsers, masking and 照合番号B, against the documented test vector."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from dxdesk.cardreader import testdata
from dxdesk.cardreader.errors import CardDataError
from dxdesk.cardreader.model import (
    CardHolder,
    Sex,
    encode_basic_info_ef,
    is_valid_my_number,
    mask_my_number,
    parse_basic_info_ef,
    parse_my_number_ef,
    verification_code_b,
    wareki_yymmdd,
)

KOKUTOU = testdata.PERSON_KOKUTOU


def test_ef0002_test_vector_parses_and_digests_as_documented() -> None:
    record = parse_basic_info_ef(testdata.KOKUTOU_EF0002 + b"\xff" * 20)
    holder = record.holder
    assert holder.name == "黒桐\u3000幹也"
    assert (holder.family_name, holder.given_name) == ("黒桐", "幹也")
    assert holder.address == "東京都清瀬市観布子南１２－７－２０２"
    assert holder.birth_date == dt.date(1980, 2, 17)
    assert holder.sex is Sex.MALE and holder.sex.label_ja == "男"
    assert holder.my_number is None
    assert hashlib.sha256(record.digest_input).digest() == testdata.KOKUTOU_EF0002_DIGEST


def test_encoder_reproduces_the_documented_dump() -> None:
    assert encode_basic_info_ef(KOKUTOU.holder) == testdata.KOKUTOU_EF0002


@pytest.mark.parametrize("person", list(testdata.PERSONS.values()), ids=lambda p: p.key)
@pytest.mark.parametrize("long_form", [False, True])
def test_every_person_round_trips(person: testdata.FictionalPerson, long_form: bool) -> None:
    encoded = encode_basic_info_ef(person.holder, long_form_lengths=long_form)
    assert parse_basic_info_ef(encoded).holder == person.holder.without_my_number()


def test_long_addresses_force_81_and_82_lengths() -> None:
    long_ef = encode_basic_info_ef(testdata.PERSON_LONG_ADDRESS.holder)
    assert long_ef[2] == 0x81 and len(testdata.PERSON_LONG_ADDRESS.holder.address.encode()) > 127
    very_long = encode_basic_info_ef(testdata.PERSON_VERY_LONG_ADDRESS.holder)
    assert very_long[2] == 0x82 and len(very_long) > 256


def test_rare_kanji_survive() -> None:
    holder = parse_basic_info_ef(encode_basic_info_ef(testdata.PERSON_RARE_KANJI.holder)).holder
    assert holder.family_name == "𠮷田" and holder.given_name == "髙子"
    assert "﨑" in holder.address


def test_offset_table_mismatch_is_rejected() -> None:
    bad = bytearray(testdata.KOKUTOU_EF0002)
    bad[7] += 1  # DF22 offset 0x000E -> 0x000F
    with pytest.raises(CardDataError, match="offset table"):
        parse_basic_info_ef(bytes(bad))


@pytest.mark.parametrize("date", [b"19800230", b"1980021A", b"00000000"])
def test_bad_birth_dates_are_rejected_clearly(date: bytes) -> None:
    bad = testdata.KOKUTOU_EF0002.replace(b"19800217", date)
    with pytest.raises(CardDataError, match="Birth date"):
        parse_basic_info_ef(bad)


def test_unknown_sex_code_and_wrong_outer_tag() -> None:
    with pytest.raises(CardDataError, match="sex code"):
        parse_basic_info_ef(testdata.KOKUTOU_EF0002[:-1] + b"3")
    with pytest.raises(CardDataError, match="expected FF20"):
        parse_basic_info_ef(b"\xff\x10" + testdata.KOKUTOU_EF0002[2:])


def test_my_number_ef_and_check_digit() -> None:
    assert parse_my_number_ef(bytes.fromhex("FF100C") + b"537686677188\xff\xff") == "537686677188"
    assert is_valid_my_number("537686677188")
    assert not is_valid_my_number("537686677189")
    assert not is_valid_my_number("５３７６８６６７７１８８")  # full-width digits
    with pytest.raises(CardDataError, match="check digit"):
        parse_my_number_ef(bytes.fromhex("FF100C") + b"537686677189")
    with pytest.raises(CardDataError) as info:
        parse_my_number_ef(bytes.fromhex("FF100C") + b"53768667718X")
    assert "5376" not in str(info.value)


def test_masking_and_repr_hide_personal_data() -> None:
    holder = KOKUTOU.holder
    assert mask_my_number("537686677188") == "**** **** 7188"
    assert holder.masked_my_number() == "**** **** 7188"
    for text in (repr(holder), str(holder), repr(testdata.PERSON_KOKUTOU), repr([holder])):
        assert "537686677188" not in text
        for secret in ("黒桐", "幹也", "清瀬", "1980", "男"):
            assert secret not in text


def test_code_b_and_wareki() -> None:
    assert verification_code_b(dt.date(1980, 2, 17), 2035, "2285") == "55021720352285"
    assert KOKUTOU.code_b == "55021720352285"
    assert wareki_yymmdd(dt.date(1989, 1, 7)) == "640107"  # last day of 昭和
    assert wareki_yymmdd(dt.date(1989, 1, 8)) == "010108"  # 平成元年
    assert wareki_yymmdd(dt.date(2019, 5, 1)) == "010501"  # 令和元年
    with pytest.raises(ValueError):
        verification_code_b(dt.date(1980, 2, 17), 2035, "22a5")


def test_card_holder_is_frozen() -> None:
    holder = CardHolder("a", "b", "a\u3000b", "x", dt.date(2000, 1, 1), Sex.NOT_APPLICABLE)
    with pytest.raises(AttributeError):
        holder.name = "c"  # type: ignore[misc]
    assert holder.sex.label_en == "not applicable"
