from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dxdesk.security.permissions import (
    PERMISSION_LABELS, ROLE_PERMISSIONS, Permission, PermissionDeniedError, Role, Session, require, requires,
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
    # The refusal names the permission in words, never its internal name (it reaches screens and the CLI).
    assert PERMISSION_LABELS[denied].en in info.value.message.en
    assert PERMISSION_LABELS[denied].ja in info.value.message.ja
    assert denied.name not in info.value.message.en + info.value.message.ja
    assert info.value.message.en.startswith(f"The {role.value} role is not allowed")


def test_every_permission_has_words_in_both_languages():
    assert set(PERMISSION_LABELS) == set(Permission)
    assert all(label.ja and label.en and "_" not in label.en for label in PERMISSION_LABELS.values())


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
