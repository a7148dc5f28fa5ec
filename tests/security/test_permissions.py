from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dxdesk.security.permissions import (
    ROLE_PERMISSIONS, Permission, PermissionDeniedError, Role, Session, require, requires,
)


def _session(role: Role) -> Session:
    return Session("id-1", role.value, "x", role, datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_every_role_has_an_entry_and_every_permission_an_owner():
    assert set(ROLE_PERMISSIONS) == set(Role)
    owned = set().union(*ROLE_PERMISSIONS.values())
    assert owned == set(Permission)


@pytest.mark.parametrize("role, allowed, denied", [
    (Role.CLERK, Permission.PRINT_FORMS, Permission.VIEW_AUDIT),
    (Role.SUPPORTER, Permission.LOG_SUPPORT, Permission.READ_CARD),
    (Role.SUPERVISOR, Permission.EXPORT_DATA, Permission.MANAGE_ACCOUNTS),
    (Role.ADMINISTRATOR, Permission.MANAGE_KEYS, Permission.READ_MY_NUMBER),
])
def test_require(role, allowed, denied):
    session = _session(role)
    assert require(session, allowed) is session
    with pytest.raises(PermissionDeniedError) as info:
        require(session, denied)
    assert info.value.permission is denied
    assert denied.name in info.value.message.en and denied.name in info.value.message.ja


def test_require_without_session():
    with pytest.raises(PermissionDeniedError) as info:
        require(None, Permission.READ_CARD)
    assert "sign in" in info.value.message.en


def test_requires_decorator_finds_the_session_positionally_and_by_keyword():
    class Service:
        @requires(Permission.VIEW_REPORTS)
        def report(self, session: Session, month: int) -> int:
            return month

    service = Service()
    assert service.report(_session(Role.SUPERVISOR), 4) == 4
    assert service.report(session=_session(Role.SUPERVISOR), month=5) == 5
    with pytest.raises(PermissionDeniedError):
        service.report(_session(Role.CLERK), 4)
    with pytest.raises(PermissionDeniedError):
        service.report(None, 4)
