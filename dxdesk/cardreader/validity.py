"""Expiry of the card and of its JPKI certificates: valid, expiring soon, expired; which renewals to offer.

The first large wave of 電子証明書 expiries (five years after issue) brings residents back to the
counter, and a card past its own expiry no longer proves anything. The counter classifies both
dates against the desk's day and suggests the matching catalogue procedures
(``resources/procedures/{denshi_shomeisho_koshin,mynacard_koshin}.toml``).
"""
from __future__ import annotations

import calendar
import datetime as dt
from enum import Enum

RENEW_CERTIFICATE = "denshi_shomeisho_koshin"  # 電子証明書の更新
RENEW_CARD = "mynacard_koshin"  # カードの更新
DEFAULT_WARNING_MONTHS = 3


class ExpiryState(str, Enum):
    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (2026-11-30 + 3 → 2027-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_state(last_valid_day: dt.date, today: dt.date, warning_months: int = DEFAULT_WARNING_MONTHS) -> ExpiryState:
    """Expired after ``last_valid_day``; expiring soon when it falls within ``warning_months`` of today."""
    if last_valid_day < today:
        return ExpiryState.EXPIRED
    if last_valid_day < add_months(today, max(0, warning_months)):
        return ExpiryState.EXPIRING_SOON
    return ExpiryState.VALID


def card_expiry_from_code_b(code_b_expiry_year: int, birth_date: dt.date) -> dt.date:
    """The card's expiry when only 照合番号B's year is known: cards expire on the holder's birthday.

    (10th birthday after issue for adults, 5th for minors; a 29 February birthday becomes 28 February.)
    """
    try:
        return birth_date.replace(year=code_b_expiry_year)
    except ValueError:
        return dt.date(code_b_expiry_year, 2, 28)


def suggested_renewals(card_state: ExpiryState | None, cert_state: ExpiryState | None) -> list[str]:
    """Catalogue ids of the renewals to offer, certificate first (the more common visit)."""
    needs = (ExpiryState.EXPIRED, ExpiryState.EXPIRING_SOON)
    suggestions = []
    if cert_state in needs:
        suggestions.append(RENEW_CERTIFICATE)
    if card_state in needs:
        suggestions.append(RENEW_CARD)
    return suggestions
