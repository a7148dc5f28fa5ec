"""Failed sign-ins at logins that do not exist, counted and locked exactly like real accounts.

A real login locks after ``max_failed_signins`` failures for ``lockout_seconds``; if an
unknown login never did (or forgot its count when dxdesk restarted), "too many failed
sign-ins" would tell an attacker which logins are real. The count therefore lives in the
database (table ``signin_throttle``, desk only, never synced), under a keyed hash of the
typed login: the text itself is never stored, because people type their password into the
login field. The key is derived from the desk's audit key (kept outside the database).

Every function here runs inside a writer job, so parallel guesses at one unknown login are
serialised exactly like ``AuthService._settle`` serialises them for a real one.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from dxdesk.config import SecuritySettings
from dxdesk.security.clerks import as_utc, normalize_login
from dxdesk.store.models import SignInThrottle

_PURPOSE = b"dxdesk signin-throttle v1\x00"


def throttle_key(secret: bytes, login: str) -> str:
    """A stable, keyed stand-in for the typed login (64 hex characters)."""
    return hmac.new(secret, _PURPOSE + normalize_login(login).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ThrottleState:
    locked_until: datetime | None
    newly_locked: bool = False  # this failure is the one that set the lock

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def current_lock(orm: Any, key: str, now: datetime) -> datetime | None:
    """When the unknown login ``key`` is locked until, or None."""
    row = orm.get(SignInThrottle, key)
    if row is None or row.locked_until is None:
        return None
    until = as_utc(row.locked_until)
    return until if until > now else None


def record_failure(orm: Any, key: str, now: datetime, settings: SecuritySettings) -> ThrottleState:
    """Count one failure (unless already locked) with the same rule as ``AuthService._record_failure``."""
    _forget_expired(orm, now)
    row = orm.get(SignInThrottle, key)
    if row is None:
        row = SignInThrottle(key=key, failures=0, last_failure_at=now)
        orm.add(row)
    if row.locked_until is not None and as_utc(row.locked_until) > now:
        return ThrottleState(as_utc(row.locked_until))
    row.failures = int(row.failures or 0) + 1
    row.last_failure_at = now
    row.locked_until = None
    if row.failures >= settings.max_failed_signins:
        row.failures = 0  # a fresh count once the lock expires, as for real accounts
        row.locked_until = now + timedelta(seconds=settings.lockout_seconds)
        return ThrottleState(as_utc(row.locked_until), newly_locked=True)
    return ThrottleState(None)


def _forget_expired(orm: Any, now: datetime) -> None:
    """Drop rows that say nothing any more: the lock is over and the count was reset with it.

    That is exactly a fresh login's state, so forgetting it changes no answer. A count below the
    limit is kept (a real account keeps its count too), so the table holds at most one row per
    login someone has recently mistyped or guessed.
    """
    orm.execute(delete(SignInThrottle).where(
        SignInThrottle.failures == 0,
        SignInThrottle.locked_until.is_(None) | (SignInThrottle.locked_until <= now)))
