from __future__ import annotations

import pytest
from sqlalchemy import select

from dxdesk.config import load_settings, save_settings
from dxdesk.security.audit import EventType
from dxdesk.security.auth import (
    AccountLockedError, AuthError, AuthService, InvalidCredentialsError, PasswordPolicyError,
)
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import PermissionDeniedError, Role
from dxdesk.store.models import AuditEvent, Clerk
from dxdesk.timeutil import to_desk

from .conftest import FAST_PARAMS, PASSWORD


def _events(db, event_type=None):
    with db.session() as orm:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if event_type:
            query = query.where(AuditEvent.event_type == event_type)
        return orm.scalars(query).all()


def test_first_admin_only_on_an_empty_database(auth):
    assert auth.needs_first_admin()
    session = auth.create_first_admin("Admin", "管理 太郎", PASSWORD)
    assert session.role is Role.ADMINISTRATOR and session.login == "admin"
    assert not auth.needs_first_admin()
    with pytest.raises(AuthError) as info:
        auth.create_first_admin("second", "二人目", PASSWORD)
    assert "administrator must sign in" in info.value.message.en


def test_first_admin_password_policy(auth):
    with pytest.raises(PasswordPolicyError) as info:
        auth.create_first_admin("admin", "管理", "admin")
    assert len(info.value.problems) == 2  # too short and equal to the login
    assert auth.needs_first_admin()


def test_sign_in_success_and_audit(auth, sessions, db):
    session = auth.sign_in("CLERK", PASSWORD)  # logins are case-insensitive
    assert session.role is Role.CLERK and session.display_name == "clerk user"
    last = _events(db, EventType.SIGN_IN.value)[-1]
    assert (last.actor, last.result) == (session.clerk_id, "success")


def test_wrong_password_and_unknown_login_look_the_same(auth, sessions, sleeps, db):
    with pytest.raises(InvalidCredentialsError) as wrong:
        auth.sign_in("clerk", "not the password")
    with pytest.raises(InvalidCredentialsError) as unknown:
        auth.sign_in("nobody", "not the password")
    assert wrong.value.message == unknown.value.message
    assert sleeps.calls == [1.0, 1.0]  # a delay after every failure
    failures = [e for e in _events(db, EventType.SIGN_IN.value) if e.result == "failure"]
    assert [e.details["cause"] for e in failures] == ["bad_password", "unknown_login"]
    assert failures[1].actor is None  # the typed login is never recorded
    assert all("nobody" not in str(e.details) for e in failures)


def test_lockout_then_unlock_after_the_lockout_time(auth, sessions, clock, security_settings):
    for _ in range(security_settings.max_failed_signins - 1):
        with pytest.raises(InvalidCredentialsError):
            auth.sign_in("clerk", "wrong password")
    with pytest.raises(AccountLockedError) as locked:
        auth.sign_in("clerk", "wrong password")
    retry_at = locked.value.retry_at
    assert (retry_at - clock.now).total_seconds() == security_settings.lockout_seconds
    assert to_desk(retry_at).strftime("%H:%M") in locked.value.message.ja  # the desk's clock (JST), not the PC's zone
    assert " JST" in locked.value.message.ja and " JST" in locked.value.message.en  # ... and named
    assert "clerk" not in locked.value.message.en  # says when, not who
    # Even the right password is refused while locked.
    clock.advance(seconds=security_settings.lockout_seconds - 1)
    with pytest.raises(AccountLockedError):
        auth.sign_in("clerk", PASSWORD)
    clock.advance(seconds=1)
    assert auth.sign_in("clerk", PASSWORD).role is Role.CLERK
    # The failure count starts afresh after a successful sign-in.
    with pytest.raises(InvalidCredentialsError):
        auth.sign_in("clerk", "wrong password")


def test_unknown_logins_lock_out_like_real_ones(auth, sessions, security_settings, clock):
    for _ in range(security_settings.max_failed_signins - 1):
        with pytest.raises(InvalidCredentialsError):
            auth.sign_in("ghost", "wrong password")
    with pytest.raises(AccountLockedError):
        auth.sign_in("ghost", "wrong password")
    clock.advance(seconds=security_settings.lockout_seconds)
    with pytest.raises(InvalidCredentialsError):
        auth.sign_in("ghost", "wrong password")


def test_admin_unlock_and_reset_password(auth, sessions, security_settings):
    admin = sessions[Role.ADMINISTRATOR]
    for _ in range(security_settings.max_failed_signins):
        with pytest.raises((InvalidCredentialsError, AccountLockedError)):
            auth.sign_in("clerk", "wrong password")
    auth.unlock_account(admin, "clerk")
    assert auth.sign_in("clerk", PASSWORD)
    auth.reset_password(admin, "clerk", "a brand new one")
    assert auth.sign_in("clerk", "a brand new one")


def test_change_password_needs_the_old_one(auth, sessions):
    clerk = sessions[Role.CLERK]
    with pytest.raises(InvalidCredentialsError):
        auth.change_password(clerk, "not the old one", "another password")
    with pytest.raises(PasswordPolicyError):
        auth.change_password(clerk, PASSWORD, "short")
    auth.change_password(clerk, PASSWORD, "another password")
    with pytest.raises(InvalidCredentialsError):
        auth.sign_in("clerk", PASSWORD)
    assert auth.sign_in("clerk", "another password").clerk_id == clerk.clerk_id


def test_deactivated_account_cannot_sign_in(auth, sessions):
    auth.deactivate_account(sessions[Role.ADMINISTRATOR], "supporter")
    with pytest.raises(InvalidCredentialsError):
        auth.sign_in("supporter", PASSWORD)
    names = {i.login: i.active for i in auth.list_accounts(sessions[Role.ADMINISTRATOR])}
    assert names == {"admin": True, "clerk": True, "supporter": False, "supervisor": True}


def test_the_last_administrator_cannot_be_removed(auth, sessions):
    admin = sessions[Role.ADMINISTRATOR]
    with pytest.raises(AuthError) as info:
        auth.deactivate_account(admin, "admin")
    assert "no active administrator" in info.value.message.en
    with pytest.raises(AuthError):
        auth.set_role(admin, "admin", Role.CLERK)
    auth.create_account(admin, "admin2", "二人目", Role.ADMINISTRATOR, PASSWORD)
    auth.deactivate_account(admin, "admin")


def test_duplicate_and_invalid_logins(auth, sessions):
    admin = sessions[Role.ADMINISTRATOR]
    with pytest.raises(AuthError) as dup:
        auth.create_account(admin, "Clerk", "x", Role.CLERK, PASSWORD)
    assert "already in use" in dup.value.message.en
    with pytest.raises(AuthError):
        auth.create_account(admin, "田中", "x", Role.CLERK, PASSWORD)
    with pytest.raises(ValueError):
        auth.create_account(admin, "newbie", "x", "boss", PASSWORD)


@pytest.mark.parametrize("role", [Role.CLERK, Role.SUPPORTER, Role.SUPERVISOR])
def test_only_administrators_manage_accounts(auth, sessions, role, db):
    session = sessions[role]
    calls = [
        lambda: auth.create_account(session, "intruder", "x", Role.ADMINISTRATOR, PASSWORD),
        lambda: auth.list_accounts(session),
        lambda: auth.deactivate_account(session, "admin"),
        lambda: auth.reactivate_account(session, "admin"),
        lambda: auth.set_role(session, role.value, Role.ADMINISTRATOR),
        lambda: auth.reset_password(session, "admin", "taken over!!"),
        lambda: auth.unlock_account(session, "admin"),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    with db.session() as orm:
        roles = dict(orm.execute(select(Clerk.login, Clerk.role)).all())
    assert roles == {"admin": "administrator", "clerk": "clerk", "supporter": "supporter",
                     "supervisor": "supervisor"}


def test_weak_hash_is_upgraded_on_sign_in(db, audit, security_settings, clock, sleeps):
    weak = AuthService(db, audit, security_settings, clock=clock, params=ScryptParams(n=2**4), sleep=sleeps)
    weak.create_first_admin("admin", "管理", PASSWORD)
    strong = AuthService(db, audit, security_settings, clock=clock, params=FAST_PARAMS, sleep=sleeps)
    strong.sign_in("admin", PASSWORD)
    with db.session() as orm:
        stored = orm.scalars(select(Clerk.password_hash)).one()
    assert stored.startswith(f"scrypt${FAST_PARAMS.n}$")
    assert strong.sign_in("admin", PASSWORD)


def test_the_lockout_message_names_the_zone_of_its_time(auth, sessions, clock, security_settings, utc_pc):
    # 09:00 UTC + 120 s: 18:02 on the desk's clock; "18:02" alone would be read as the PC's (UTC) time.
    for _ in range(security_settings.max_failed_signins - 1):
        with pytest.raises(InvalidCredentialsError):
            auth.sign_in("clerk", "wrong password")
    with pytest.raises(AccountLockedError) as locked:
        auth.sign_in("clerk", "wrong password")
    assert locked.value.message.en == "Too many failed sign-ins; try again after 18:02 JST."
    assert locked.value.message.ja == "サインインに続けて失敗したため、一時的にロックしています。18:02 JST 以降にもう一度お試しください。"
    settings = load_settings()
    settings.general.time_zone = ""  # the desk follows the PC's zone: the same instant, named as UTC
    save_settings(settings)
    with pytest.raises(AccountLockedError) as again:
        auth.sign_in("clerk", PASSWORD)
    assert again.value.message.en == "Too many failed sign-ins; try again after 09:02 UTC."
    assert "09:02 UTC 以降" in again.value.message.ja
