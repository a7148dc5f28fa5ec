"""The value types of ``dxdesk support`` options: a wrong value is argparse's one-line usage error
naming the expected form (YYYY-MM-DD, YYYY-MM, ...), never a traceback."""
from __future__ import annotations

import argparse
from datetime import date, datetime

from dxdesk.support.periods import month_range


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


def parse_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date-time (use e.g. 2026-10-01T10:30)") from None


def session_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of sessions (0 or more)")
    return value


def parse_month(text: str) -> tuple[int, int]:
    try:
        y, m = text.split("-")
        month_range(int(y), int(m))
        return int(y), int(m)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a month (use YYYY-MM)") from None
