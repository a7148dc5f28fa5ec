from __future__ import annotations

import pytest

from dxdesk.security.auth import InvalidCredentialsError
from dxdesk.security.idlelock import IdleLock
from dxdesk.security.permissions import Role

from .conftest import PASSWORD


def test_locks_after_the_idle_timeout_and_activity_postpones_it(auth, sessions, clock):
    lock = IdleLock(sessions[Role.CLERK], auth, clock=clock)
    assert lock.timeout.total_seconds() == 5 * 60  # settings.security.idle_lock_minutes
    clock.advance(minutes=4)
    assert not lock.is_locked()
    lock.touch()
    clock.advance(minutes=4, seconds=59)
    assert not lock.is_locked()
    assert lock.seconds_left() == 1
    clock.advance(seconds=1)
    assert lock.is_locked()
    lock.touch()  # input on the lock screen does not unlock
    assert lock.is_locked()


def test_unlock_needs_the_password_of_the_signed_in_clerk(auth, sessions, clock):
    lock = IdleLock(sessions[Role.CLERK], auth, timeout_minutes=1, clock=clock)
    lock.lock()
    with pytest.raises(InvalidCredentialsError):
        lock.unlock("wrong password")
    assert lock.is_locked()
    session = lock.unlock(PASSWORD)
    assert session.clerk_id == sessions[Role.CLERK].clerk_id
    assert not lock.is_locked()


def test_a_clock_going_backwards_does_not_unlock(auth, sessions, clock):
    lock = IdleLock(sessions[Role.CLERK], auth, timeout_minutes=1, clock=clock)
    clock.advance(minutes=2)
    assert lock.is_locked()
    clock.advance(minutes=-10)
    assert lock.is_locked()


def test_timeout_must_be_positive(auth, sessions):
    with pytest.raises(ValueError):
        IdleLock(sessions[Role.CLERK], auth, timeout_minutes=0)
