"""Fictional card holders for the simulated card, tests, demos and `dxdesk card` dry runs.

Every value here is invented. PERSON_KOKUTOU is the published JPKI *test card*
vector (docs/mynumber-card.md §2.4-§2.5): its EF 0002 must come out byte for byte as
the documented 104-byte dump. The others exist to exercise edge cases real cards
have: long addresses (``81``/``82`` BER lengths, EF 0002 over 256 bytes) and
characters outside the BMP (𠮷) or outside JIS X 0208 (髙, 﨑).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dxdesk.cardreader.model import CardHolder, Sex, is_valid_my_number, split_name, verification_code_b


@dataclass(frozen=True, repr=False)
class FictionalPerson:
    key: str  # short id for CLI options and test ids
    holder: CardHolder  # includes the My Number
    pin: str  # text-AP PIN (also used for the JPKI auth PIN and the 住基 PIN, as many residents do)
    expiry_year: int  # printed on the card; part of 照合番号B
    security_code: str  # 4 digits printed on the card; part of 照合番号B
    sign_password: str  # JPKI signature password (6-16 A-Z/0-9)

    @property
    def code_b(self) -> str:
        return verification_code_b(self.holder.birth_date, self.expiry_year, self.security_code)

    @property
    def my_number(self) -> str:
        assert self.holder.my_number is not None
        return self.holder.my_number

    def __repr__(self) -> str:
        return f"FictionalPerson({self.key!r})"


def _person(
    key: str,
    name: str,
    address: str,
    birth: dt.date,
    sex: Sex,
    my_number: str,
    *,
    pin: str,
    expiry_year: int,
    security_code: str,
    sign_password: str,
) -> FictionalPerson:
    if not is_valid_my_number(my_number):  # keeps the fixtures honest
        raise ValueError(f"test person {key}: My Number fails the check digit")
    family, given = split_name(name)
    holder = CardHolder(family, given, name, address, birth, sex, my_number)
    return FictionalPerson(key, holder, pin, expiry_year, security_code, sign_password)


# The documented test vector: EF 0002 = the 104-byte dump, 照合番号B 55021720352285.
PERSON_KOKUTOU = _person(
    "kokutou",
    "黒桐\u3000幹也",
    "東京都清瀬市観布子南１２－７－２０２",
    dt.date(1980, 2, 17),
    Sex.MALE,
    "537686677188",
    pin="1234",
    expiry_year=2035,
    security_code="2285",
    sign_password="TEST1234",
)

# Address of 144 UTF-8 bytes: DF23 needs an 81 length and the outer FF20 one too (EF 0002 = 200 bytes).
PERSON_LONG_ADDRESS = _person(
    "long-address",
    "長谷川\u3000誠一郎",
    "北海道札幌市中央区北一条西二丁目１番地１　札幌グランドマンションノースタワー棟２７階２７０５号室",
    dt.date(1952, 11, 3),
    Sex.MALE,
    "202504011234",
    pin="4321",
    expiry_year=2030,
    security_code="0417",
    sign_password="SAPPORO2705",
)

# Address of 261 bytes: DF23 needs 82, the whole EF 0002 exceeds 256 bytes (two READ BINARY chunks).
PERSON_VERY_LONG_ADDRESS = _person(
    "very-long-address",
    "宝島\u3000花子",
    "鹿児島県鹿児島郡十島村宝島字大間１２３４番地の５６７　サウスアイランドレジデンス宝島東館"
    "二十五番街区パークサイドヴィレッジ三丁目Ａ棟１２０３号室（株式会社ながいなまえ社宅内）",
    dt.date(1947, 8, 15),
    Sex.FEMALE,
    "398172645015",
    pin="0000",
    expiry_year=2029,
    security_code="9910",
    sign_password="TAKARA1947",
)

# 𠮷 (U+20BB7, 4 bytes in UTF-8, outside the BMP) and 髙/﨑 (IBM extension kanji), born in 平成.
PERSON_RARE_KANJI = _person(
    "rare-kanji",
    "𠮷田\u3000髙子",
    "長崎県長崎市﨑戸町３－１４",
    dt.date(2001, 4, 1),
    Sex.FEMALE,
    "710293847565",
    pin="2580",
    expiry_year=2031,
    security_code="3141",
    sign_password="YOSHIDA2001",
)

PERSONS: dict[str, FictionalPerson] = {
    p.key: p for p in (PERSON_KOKUTOU, PERSON_LONG_ADDRESS, PERSON_VERY_LONG_ADDRESS, PERSON_RARE_KANJI)
}

# The exact EF 0002 of the test card (doc §2.4), for byte-level tests.
KOKUTOU_EF0002 = bytes.fromhex(
    """
    FF 20 65 DF 21 08 00 0E 00 20 00 59 00 64 DF 22
    0F E9 BB 92 E6 A1 90 E3 80 80 E5 B9 B9 E4 B9 9F
    DF 23 36 E6 9D B1 E4 BA AC E9 83 BD E6 B8 85 E7
    80 AC E5 B8 82 E8 A6 B3 E5 B8 83 E5 AD 90 E5 8D
    97 EF BC 91 EF BC 92 EF BC 8D EF BC 97 EF BC 8D
    EF BC 92 EF BC 90 EF BC 92 DF 24 08 31 39 38 30
    30 32 31 37 DF 25 01 31
    """
)
KOKUTOU_EF0001_DIGEST = bytes.fromhex("6d5a4c1ef9ab15bf506862d7e66b9c0f179ca065bc936c8e634e9e57449ca9cd")
KOKUTOU_EF0002_DIGEST = bytes.fromhex("b9e0d09427b23b1d4beda2848512b4103752dc2667e51f9712872d65f472cb3b")
