from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dxdesk.counter import validators


@pytest.mark.parametrize(
    "raw", ["1234567", "123-4567", "〒123-4567", "１２３－４５６７", " 123ー4567 ", "〒１２３４５６７"]
)
def test_postal_code_normalised(raw):
    assert validators.normalize_postal_code(raw) == "123-4567"


@pytest.mark.parametrize("raw", ["123456", "12345678", "12-34567", "abc-defg", "", "123--4567"])
def test_postal_code_rejected(raw):
    with pytest.raises(ValueError):
        validators.normalize_postal_code(raw)


@given(st.text(alphabet="0123456789", min_size=7, max_size=7), st.booleans())
def test_postal_code_roundtrip(digits, hyphen):
    raw = f"{digits[:3]}-{digits[3:]}" if hyphen else digits
    assert validators.normalize_postal_code(raw).replace("-", "") == digits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09012345678", "090-1234-5678"),
        ("090-1234-5678", "090-1234-5678"),
        ("０１４４（８２）２１１１", "0144-82-2111"),
        ("0144822111", "0144822111"),  # 10 digits: area-code length unknown, keep as typed
        ("03 1234 5678", "03-1234-5678"),
    ],
)
def test_phone_normalised(raw, expected):
    assert validators.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["1234567890", "090-1234-567", "090123456789", "090-abcd-5678", "+81 90 1234 5678"])
def test_phone_rejected(raw):
    with pytest.raises(ValueError):
        validators.normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("やまだ たろう", "ヤマダ\u3000タロウ"),
        ("ヤマダ　タロウ", "ヤマダ\u3000タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u3000タロウ"),  # half-width with dakuten combines
        ("こうのすけ", "コウノスケ"),
        ("ゔぁーじにあ", "ヴァージニア"),
    ],
)
def test_kana_normalised_to_katakana(raw, expected):
    assert validators.normalize_kana(raw) == expected


@pytest.mark.parametrize("raw", ["山田", "yamada", "ヤマダ1", "", "   "])
def test_kana_rejects_non_kana(raw):
    with pytest.raises(ValueError):
        validators.normalize_kana(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-04-01", date(2025, 4, 1)),
        ("2025/4/1", date(2025, 4, 1)),
        ("20250401", date(2025, 4, 1)),
        ("2025年4月1日", date(2025, 4, 1)),
        ("令和7年4月1日", date(2025, 4, 1)),
        ("R7.4.1", date(2025, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("昭和55年2月17日", date(1980, 2, 17)),
        ("Ｓ５５．２．１７", date(1980, 2, 17)),
    ],
)
def test_dates(raw, expected):
    assert validators.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2025-02-30", "令和1年4月1日", "R7", "tomorrow", "", "13/13/2025"])
def test_bad_dates(raw):
    with pytest.raises(ValueError):
        validators.parse_date(raw)


def test_int_accepts_full_width_and_separators():
    assert validators.parse_int("１,２００") == 1200
    with pytest.raises(ValueError):
        validators.parse_int("1.5")
    with pytest.raises(ValueError):
        validators.parse_int(True)


def test_wareki_dates_after_the_era_ended_are_refused():
    from dxdesk.counter.validators import parse_date

    assert parse_date("平成31年4月30日").isoformat() == "2019-04-30"
    with pytest.raises(ValueError, match="had ended"):
        parse_date("平成31年5月1日")
    with pytest.raises(ValueError, match="had ended"):
        parse_date("昭和64年1月8日")
