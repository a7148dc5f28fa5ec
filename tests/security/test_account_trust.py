"""#20 item 7, written as the attack: guessing logins, locking out the administrator, using an issued password."""
from __future__ import annotations

import sqlite3

import pytest
from accounts import ISSUED_PASSWORD

from dxdesk.security import auth as auth_module
from dxdesk.security.audit import AuditLog
from dxdesk.security.auth import AccountLockedError, AuthService, InvalidCredentialsError, PasswordPolicyError
from dxdesk.security.permissions import MSG_MUST_CHANGE_PASSWORD, Permission, PermissionDeniedError, Role
from dxdesk.store.database import open_database

from .conftest import FAST_PARAMS, PASSWORD


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts password checks (the expensive scrypt work) the sign-in service does."""
    calls: list[str] = []
    real = auth_module.verify_password

    def counting(password: str, encoded: str) -> bool:
        calls.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(auth_module, "verify_password", counting)
    return calls


def _attempt(auth, login, scrypt_calls, sleeps):
    """What an attacker observes for one wrong guess: the answer, the delay and the work done."""
    before_scrypt, before_sleep = len(scrypt_calls), len(sleeps.calls)
    try:
        auth.sign_in(login, "guess 1234 x")
        answer = "signed in"
    except AccountLockedError as exc:
        answer = f"locked:{exc.message.en}"
    except InvalidCredentialsError as exc:
        answer = f"invalid:{exc.message.en}"
    return answer, len(scrypt_calls) - before_scrypt, tuple(sleeps.calls[before_sleep:])


def test_real_and_unknown_logins_answer_alike_attempt_by_attempt(auth, sessions, security_settings, scrypt_calls,
                                                                 sleeps, clock):
    attempts = security_settings.max_failed_signins + 2
    real = [_attempt(auth, "clerk", scrypt_calls, sleeps) for _ in range(attempts)]
    unknown = [_attempt(auth, "nobody-here", scrypt_calls, sleeps) for _ in range(attempts)]
    assert real == unknown
    # the shape itself: failures with the delay and scrypt, then "too many failed sign-ins" at the same attempt
    assert [a[0].split(":")[0] for a in real].index("locked") == security_settings.max_failed_signins - 1
    assert real[0][1] == 1 and real[0][2] == (1.0,)
    clock.advance(seconds=security_settings.lockout_seconds)
    assert _attempt(auth, "clerk", scrypt_calls, sleeps) == _attempt(auth, "nobody-here", scrypt_calls, sleeps)


def test_lockouts_survive_a_restart(db, clock, security_settings, sleeps, sessions):
    def restarted() -> AuthService:  # a new process: nothing kept in memory
        return AuthService(db, AuditLog(db, clock=clock), security_settings, clock=clock, params=FAST_PARAMS,
                           sleep=sleeps)

    for login in ("clerk", "nobody-here"):
        for _ in range(security_settings.max_failed_signins - 1):
            with pytest.raises(InvalidCredentialsError):
                restarted().sign_in(login, "guess 1234 x")
        with pytest.raises(AccountLockedError):
            restarted().sign_in(login, "guess 1234 x")
        with pytest.raises(AccountLockedError):
            restarted().sign_in(login, "guess 1234 x")


def test_lockouts_survive_closing_and_reopening_the_database(clock, security_settings, sleeps):
    database = open_database()
    try:
        service = AuthService(database, AuditLog(database, clock=clock), security_settings, clock=clock,
                              params=FAST_PARAMS, sleep=sleeps)
        service.create_first_admin("admin", "管理者", PASSWORD)
        for _ in range(security_settings.max_failed_signins - 1):
            with pytest.raises(InvalidCredentialsError):
                service.sign_in("nobody-here", "guess 1234 x")
    finally:
        database.close()
    database = open_database()
    try:
        service = AuthService(database, AuditLog(database, clock=clock), security_settings, clock=clock,
                              params=FAST_PARAMS, sleep=sleeps)
        with pytest.raises(AccountLockedError):
            service.sign_in("nobody-here", "guess 1234 x")
    finally:
        database.close()


def test_the_stored_count_does_not_keep_what_was_typed_as_login(auth, sessions, db):
    typed = "MySecretPassw0rd"  # someone typed their password into the login field
    with pytest.raises(InvalidCredentialsError):
        auth.sign_in(typed, "whatever 123")
    conn = sqlite3.connect(db.path)
    try:
        keys = [k for (k,) in conn.execute("SELECT key FROM signin_throttle")]
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert len(keys) == 1 and len(keys[0]) == 64
    assert typed.lower() not in dump.lower()


def test_a_locked_out_administrator_signs_in_after_the_wait(auth, sessions, security_settings, clock):
    """Anyone can lock out the only administrator for a while, never for good (docs/audit.md)."""
    for _ in range(security_settings.max_failed_signins * 3):  # an attacker keeps guessing
        with pytest.raises((InvalidCredentialsError, AccountLockedError)):
            auth.sign_in("admin", "guess 1234 x")
    with pytest.raises(AccountLockedError):
        auth.sign_in("admin", PASSWORD)  # even the right password waits: otherwise locking would be pointless
    clock.advance(seconds=security_settings.lockout_seconds)
    assert auth.sign_in("admin", PASSWORD).role is Role.ADMINISTRATOR


def test_new_account_can_do_nothing_but_change_its_password(auth, sessions):
    admin = sessions[Role.ADMINISTRATOR]
    assert not admin.must_change_password  # the first administrator chose their own
    auth.create_account(admin, "newbie", "新人", Role.ADMINISTRATOR, ISSUED_PASSWORD)
    first = auth.sign_in("newbie", ISSUED_PASSWORD)
    assert first.must_change_password
    with pytest.raises(PermissionDeniedError) as denied:
        auth.list_accounts(first)
    assert denied.value.message == MSG_MUST_CHANGE_PASSWORD
    assert not any(first.can(p) for p in Permission)
    with pytest.raises(PasswordPolicyError):
        auth.change_password(first, ISSUED_PASSWORD, ISSUED_PASSWORD)  # the same one again
    with pytest.raises(PasswordPolicyError):
        auth.change_password(first, ISSUED_PASSWORD, "password")  # a common one
    ready = auth.change_password(first, ISSUED_PASSWORD, "my own choice 9")
    assert not ready.must_change_password
    assert auth.list_accounts(ready)
    assert not auth.sign_in("newbie", "my own choice 9").must_change_password


def test_reset_password_forces_a_change_again(auth, sessions):
    admin = sessions[Role.ADMINISTRATOR]
    auth.reset_password(admin, "clerk", ISSUED_PASSWORD)
    again = auth.sign_in("clerk", ISSUED_PASSWORD)
    assert again.must_change_password
    with pytest.raises(PermissionDeniedError):
        auth.list_accounts(again)  # (also not allowed for a clerk, but refused first for the password)
    assert auth.change_password(again, ISSUED_PASSWORD, "counter chose this 4").must_change_password is False
