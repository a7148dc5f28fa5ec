"""Idle lock policy: after N minutes without input the clerk's screen locks.

Qt-free on purpose: the UI calls :meth:`IdleLock.touch` from its event filter and
:meth:`IdleLock.is_locked` from a timer; unlocking re-checks the password through
:class:`dxdesk.security.auth.AuthService`, so the policy is testable without a window.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from dxdesk.i18n import Msg
from dxdesk.security.permissions import Session

if TYPE_CHECKING:
    from dxdesk.security.auth import AuthService

Clock = Callable[[], datetime]

MSG_WRONG_USER = Msg(
    ja="ロックを解除できるのは、サインインしている職員だけです。",
    en="Only the clerk who is signed in can unlock this screen.",
)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class IdleLock:
    def __init__(self, session: Session, auth: "AuthService", timeout_minutes: float | None = None,
                 clock: Clock = _utcnow) -> None:
        if timeout_minutes is None:
            timeout_minutes = auth.settings.idle_lock_minutes
        if timeout_minutes <= 0:
            raise ValueError("idle lock timeout must be positive")
        self.session = session
        self.timeout = timedelta(minutes=timeout_minutes)
        self._auth = auth
        self._clock = clock
        self.last_activity = clock()
        self._locked = False

    def touch(self, now: datetime | None = None) -> None:
        """Record user activity (ignored while locked: only unlock() ends a lock)."""
        if not self.is_locked(now):
            self.last_activity = now or self._clock()

    def lock(self) -> None:
        """Lock at once (the clerk pressed 'lock' or walked away)."""
        self._locked = True

    def is_locked(self, now: datetime | None = None) -> bool:
        if not self._locked and (now or self._clock()) - self.last_activity >= self.timeout:
            self._locked = True  # once locked, time moving backwards must not unlock it
        return self._locked

    def seconds_left(self, now: datetime | None = None) -> float:
        if self.is_locked(now):
            return 0.0
        return (self.timeout - ((now or self._clock()) - self.last_activity)).total_seconds()

    def unlock(self, password: str) -> Session:
        """Re-enter the password of the signed-in clerk. Raises the AuthService sign-in errors."""
        session = self._auth.reauthenticate(self.session, password)
        self._locked = False
        self.last_activity = self._clock()
        return session
