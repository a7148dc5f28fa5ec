"""Normalisers for the answer types clerks type most: postal codes, phone numbers, kana, dates.

Each function takes what a clerk (or a resident on a touch screen) typed, with the
usual variations (full-width digits, 〒, various dash characters, hiragana or
half-width katakana, 和暦 dates), and returns one canonical form or raises
:class:`ValueError` whose text is a short English reason. The interview layer turns
that into a bilingual :class:`~dxdesk.counter.errors.AnswerError`.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

import jaconv

from dxdesk.wareki import ERAS

# Dashes that Japanese IMEs and copy-paste produce in place of "-".
_DASHES = "‐‑‒–—―−ｰ－ー"
_DASH_TABLE = str.maketrans({c: "-" for c in _DASHES})


def _ascii_digits(text: str) -> str:
    """Full-width digits and dashes to ASCII, surrounding blanks removed."""
    return jaconv.z2h(text.strip(), kana=False, ascii=True, digit=True).translate(_DASH_TABLE)


def normalize_postal_code(text: str) -> str:
    """'1234567', '123-4567', '〒１２３－４５６７' → '123-4567'."""
    value = _ascii_digits(text).lstrip("〒").strip()
    match = re.fullmatch(r"(\d{3})-?(\d{4})", value)
    if not match:
        raise ValueError("postal code must be 7 digits, e.g. 123-4567")
    return f"{match.group(1)}-{match.group(2)}"


def normalize_phone(text: str) -> str:
    """A Japanese phone number: 10 digits (fixed line) or 11 (mobile/IP, 0[5-9]0...), hyphens optional.

    Hyphens the clerk typed are kept (area-code length varies, so we cannot place
    them reliably); an 11-digit number typed without hyphens (mobile, 050) is
    grouped 3-4-4, the only unambiguous layout.
    """
    value = _ascii_digits(text)
    value = re.sub(r"[()（）\s]+", "-", value).strip("-")
    value = re.sub(r"-{2,}", "-", value)
    if not re.fullmatch(r"[0-9]+(-[0-9]+)*", value):
        raise ValueError("phone number may contain only digits and hyphens")
    digits = value.replace("-", "")
    if not digits.startswith("0") or len(digits) not in (10, 11):
        raise ValueError("phone number must be 10 or 11 digits starting with 0")
    # Mobile, IP and 0800 numbers (0[5-9]0...) have 11 digits; fixed lines and 0120/0570 have 10.
    if (len(digits) == 11) != bool(re.match(r"0[5-9]0", digits)):
        raise ValueError("phone number has the wrong number of digits for its prefix")
    if "-" not in value and len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return value


def normalize_kana(text: str) -> str:
    """Readings of names: hiragana, katakana (also half-width) → full-width katakana.

    Spaces between family and given name become one U+3000, as on the card.
    Anything else (kanji, Latin letters, digits) is refused: a reading is kana only.
    """
    value = jaconv.h2z(unicodedata.normalize("NFC", text.strip()), kana=True, ascii=False, digit=False)
    value = re.sub(r"[ \u3000]+", "\u3000", value)
    value = jaconv.hira2kata(value)
    if not value:
        raise ValueError("reading is empty")
    for ch in value:
        if ch == "\u3000" or ch in "ーヽヾ・":
            continue
        if not ("\u30a1" <= ch <= "\u30fa"):
            raise ValueError("reading must be written in kana only")
    return value


def parse_date(text: str) -> date:
    """ISO '2025-04-01', '2025/4/1', '20250401', or 和暦 '令和7年4月1日', 'R7.4.1', '令和元年5月1日'."""
    value = _ascii_digits(unicodedata.normalize("NFKC", text)).strip()
    if not value:
        raise ValueError("date is empty")
    wareki = re.fullmatch(
        r"(令和|平成|昭和|大正|明治|[RHSTMrhstm])\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?", value
    )
    try:
        if wareki:
            named = wareki.group(1)
            index = next(i for i, e in enumerate(ERAS) if named in (e.name, e.letter, e.letter.lower()))
            era = ERAS[index]
            year_in_era = 1 if wareki.group(2) == "元" else int(wareki.group(2))
            result = date(era.start.year + year_in_era - 1, int(wareki.group(3)), int(wareki.group(4)))
            if result < era.start:
                raise ValueError(f"that date is before the {era.name} era began")
            # ERAS is newest first: the era before this one in the table ended this one (昭和100年 is a typo).
            if index > 0 and result >= ERAS[index - 1].start:
                raise ValueError(f"the {era.name} era had ended by then")
            return result
        if re.fullmatch(r"\d{8}", value):
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        greg = re.fullmatch(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?", value)
        if greg:
            return date(int(greg.group(1)), int(greg.group(2)), int(greg.group(3)))
    except ValueError as exc:
        if "era" in str(exc):
            raise
        raise ValueError("no such calendar date") from None
    raise ValueError("date must look like 2025-04-01 or 令和7年4月1日")


def parse_int(text: str | int) -> int:
    """Integers, with full-width digits and thousands separators accepted."""
    if isinstance(text, bool):
        raise ValueError("a whole number is required")
    if isinstance(text, int):
        return text
    value = _ascii_digits(str(text)).replace(",", "").replace("，", "")
    if not re.fullmatch(r"-?\d+", value):
        raise ValueError("a whole number is required")
    return int(value)
