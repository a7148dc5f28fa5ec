"""Concurrent sign-ins cannot get past the lockout (two desks, or a script, guessing at once).

The password check is slow and runs outside the writer; the tests hold every attempt at that
check (a barrier around ``verify_password``) until all of them have passed the early lock
check, which is exactly the window where a check-then-count race would let extra guesses in.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
from sqlalchemy import select

from dxdesk.security import auth as auth_module
from dxdesk.security.audit import EventType
from dxdesk.security.auth import AccountLockedError, InvalidCredentialsError
from dxdesk.security.permissions import Role
from dxdesk.store.models import AuditEvent, Clerk

from .conftest import PASSWORD

WAIT_S = 10.0  # only reached if the code under test deadlocks


def hold_password_checks(monkeypatch, parties: int) -> None:
    """Every password check waits until ``parties`` attempts are all inside one."""
    barrier = threading.Barrier(parties, timeout=WAIT_S)
    real = auth_module.verify_password

    def gated(password: str, stored: str) -> bool:
        barrier.wait()
        return real(password, stored)

    monkeypatch.setattr(auth_module, "verify_password", gated)


def attempt_all(calls: list[Callable[[], object]]) -> list[type]:
    """Run the calls in parallel threads; the exception type each raised (or its result's type)."""
    def outcome(call: Callable[[], object]) -> type:
        try:
            return type(call())
        except (InvalidCredentialsError, AccountLockedError) as exc:
            return type(exc)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(WAIT_S) for f in [pool.submit(outcome, c) for c in calls]]


def sign_in_results(db, actor: str | None) -> list[str]:
    with db.session() as orm:
        rows = orm.scalars(select(AuditEvent).where(AuditEvent.event_type == EventType.SIGN_IN.value)
                           .order_by(AuditEvent.seq)).all()
        return [r.result for r in rows if r.actor == actor and r.result != "success"]


def clerk_row(db, login: str) -> tuple[int, bool]:
    with db.session() as orm:
        row = orm.scalars(select(Clerk).where(Clerk.login == login)).one()
        return row.failed_attempts, row.locked_until is not None


def test_two_failures_at_once_on_the_last_try_both_meet_the_lock(auth, sessions, security_settings, db, monkeypatch):
    clerk_id = sessions[Role.CLERK].clerk_id
    for _ in range(security_settings.max_failed_signins - 1):
        with pytest.raises(InvalidCredentialsError):
            auth.sign_in("clerk", "wrong password")
    hold_password_checks(monkeypatch, 2)
    results = attempt_all([lambda: auth.sign_in("clerk", "guess one"), lambda: auth.sign_in("clerk", "guess two")])
    # One attempt sets the lock; the other is settled after it and must not be answered or counted.
    assert results == [AccountLockedError, AccountLockedError]
    assert sign_in_results(db, clerk_id).count("failure") == security_settings.max_failed_signins
    assert clerk_row(db, "clerk") == (0, True)


def test_a_burst_of_guesses_gets_no_more_answers_than_the_limit(auth, sessions, security_settings, db, monkeypatch):
    clerk_id = sessions[Role.CLERK].clerk_id
    burst = security_settings.max_failed_signins + 2
    hold_password_checks(monkeypatch, burst)
    results = attempt_all([lambda i=i: auth.sign_in("clerk", f"guess {i}") for i in range(burst)])
    answered = security_settings.max_failed_signins - 1  # the last counted failure already says "locked"
    assert sorted(r.__name__ for r in results) == sorted(
        ["InvalidCredentialsError"] * answered + ["AccountLockedError"] * (burst - answered))
    assert sign_in_results(db, clerk_id).count("failure") == security_settings.max_failed_signins
    assert clerk_row(db, "clerk") == (0, True)


def test_unknown_logins_meet_the_same_lock_under_a_burst(auth, sessions, security_settings, db, monkeypatch):
    burst = security_settings.max_failed_signins + 2
    hold_password_checks(monkeypatch, burst)
    results = attempt_all([lambda i=i: auth.sign_in("ghost", f"guess {i}") for i in range(burst)])
    answered = security_settings.max_failed_signins - 1
    assert sorted(r.__name__ for r in results) == sorted(
        ["InvalidCredentialsError"] * answered + ["AccountLockedError"] * (burst - answered))
    assert sign_in_results(db, None).count("failure") == security_settings.max_failed_signins
    with pytest.raises(AccountLockedError):  # still locked afterwards
        auth.sign_in("ghost", "one more")


def test_the_right_password_in_flight_does_not_undo_a_lock_set_meanwhile(auth, sessions, security_settings, db,
                                                                         monkeypatch):
    real = auth_module.verify_password
    inside, release = threading.Event(), threading.Event()

    def gated(password: str, stored: str) -> bool:
        if password == PASSWORD:  # hold only the right password's check
            inside.set()
            assert release.wait(WAIT_S)
        return real(password, stored)

    monkeypatch.setattr(auth_module, "verify_password", gated)
    with ThreadPoolExecutor(max_workers=1) as pool:
        right = pool.submit(auth.sign_in, "clerk", PASSWORD)
        assert inside.wait(WAIT_S)  # it has passed the early lock check
        for _ in range(security_settings.max_failed_signins - 1):
            with pytest.raises(InvalidCredentialsError):
                auth.sign_in("clerk", "wrong password")
        with pytest.raises(AccountLockedError):
            auth.sign_in("clerk", "wrong password")
        release.set()
        with pytest.raises(AccountLockedError):
            right.result(WAIT_S)
    assert clerk_row(db, "clerk") == (0, True)
