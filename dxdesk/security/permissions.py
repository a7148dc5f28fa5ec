"""Roles, permissions and the one check every core service calls.

The role -> permission table lives here and nowhere else. Services call
:func:`require` (or use :func:`requires`) at their entry points, so a screen that
forgets to hide a button still cannot do what the signed-in clerk may not do.

Permission names other packages use:

=================  ==========================================================
READ_CARD          read the card's basic four items at the counter
READ_MY_NUMBER     read the individual number from the card (with a reason)
MANAGE_VISITS      start, edit and close visits
PRINT_FORMS        print prefilled forms and guide sheets
LOG_SUPPORT        record support-desk sessions
VIEW_REPORTS       KPI reports
EXPORT_DATA        CSV/PDF exports that leave the PC (incl. the audit export)
VIEW_AUDIT         list and verify the audit log
MANAGE_ACCOUNTS    create, deactivate, unlock clerk accounts
MANAGE_SETTINGS    change settings
MANAGE_CATALOGUE   edit procedures / form catalogue / support topics
MANAGE_KEYS        database key and server credentials
REVEAL_MY_NUMBER   show a stored My Number unmasked
=================  ==========================================================
"""
from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping, ParamSpec, TypeVar

from dxdesk.errors import DxError
from dxdesk.i18n import Msg


class Role(str, enum.Enum):
    CLERK = "clerk"
    SUPPORTER = "supporter"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> Msg:
        return ROLE_LABELS[self]


ROLE_LABELS: Mapping[Role, Msg] = {
    Role.CLERK: Msg("窓口職員", "Clerk"),
    Role.SUPPORTER: Msg("デジタル支援員", "Supporter"),
    Role.SUPERVISOR: Msg("管理監督者", "Supervisor"),
    Role.ADMINISTRATOR: Msg("システム管理者", "Administrator"),
}


class Permission(str, enum.Enum):
    READ_CARD = "read_card"
    READ_MY_NUMBER = "read_my_number"
    MANAGE_VISITS = "manage_visits"
    PRINT_FORMS = "print_forms"
    LOG_SUPPORT = "log_support"
    VIEW_REPORTS = "view_reports"
    EXPORT_DATA = "export_data"
    VIEW_AUDIT = "view_audit"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_CATALOGUE = "manage_catalogue"
    MANAGE_KEYS = "manage_keys"
    REVEAL_MY_NUMBER = "reveal_my_number"


P = Permission
# Least privilege: the administrator runs the system but does not handle residents'
# cards or read reports; the supervisor audits but does not change accounts.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({P.READ_CARD, P.READ_MY_NUMBER, P.MANAGE_VISITS, P.PRINT_FORMS, P.REVEAL_MY_NUMBER}),
    Role.SUPPORTER: frozenset({P.LOG_SUPPORT}),
    Role.SUPERVISOR: frozenset({P.VIEW_REPORTS, P.VIEW_AUDIT, P.EXPORT_DATA}),
    Role.ADMINISTRATOR: frozenset({P.MANAGE_ACCOUNTS, P.MANAGE_SETTINGS, P.MANAGE_CATALOGUE, P.MANAGE_KEYS}),
}
del P


@dataclass(frozen=True)
class Session:
    """Who is signed in. A plain value: safe to hand to widgets and threads."""

    clerk_id: str
    login: str
    display_name: str
    role: Role
    signed_in_at: datetime
    # The password was set by an administrator (new or reset account): until its holder
    # chooses a new one, this session may do nothing else (AuthService.change_password).
    must_change_password: bool = False

    def can(self, permission: Permission) -> bool:
        return not self.must_change_password and has_permission(self.role, permission)


MSG_DENIED = Msg(
    ja="この操作は「{role_ja}」の権限では行えません（必要な権限: {permission_ja}）。",
    en="The {role_en} role is not allowed to do this (it needs the permission to {permission_en}).",
)

# What each permission lets a person do, in words a clerk reads (never the enum name on screen or CLI).
PERMISSION_LABELS: Mapping[Permission, Msg] = {
    Permission.READ_CARD: Msg("カードの読み取り", "read cards"),
    Permission.READ_MY_NUMBER: Msg("個人番号の読み取り", "read the individual number"),
    Permission.MANAGE_VISITS: Msg("窓口の受付記録", "record counter visits"),
    Permission.PRINT_FORMS: Msg("様式の印刷", "print forms"),
    Permission.LOG_SUPPORT: Msg("支援記録の入力", "log support sessions"),
    Permission.VIEW_REPORTS: Msg("集計・報告の閲覧", "view reports"),
    Permission.EXPORT_DATA: Msg("データの書き出し", "export data"),
    Permission.VIEW_AUDIT: Msg("監査ログの閲覧", "view the audit log"),
    Permission.MANAGE_ACCOUNTS: Msg("アカウントの管理", "manage accounts"),
    Permission.MANAGE_SETTINGS: Msg("設定の管理", "manage settings"),
    Permission.MANAGE_CATALOGUE: Msg("手続き・相談内容の一覧の管理", "manage the catalogues"),
    Permission.MANAGE_KEYS: Msg("暗号鍵とバックアップの管理", "manage keys and backups"),
    Permission.REVEAL_MY_NUMBER: Msg("個人番号の全桁表示", "show the whole individual number"),
}
MSG_NOT_SIGNED_IN = Msg(ja="サインインしてください。", en="Please sign in first.")
MSG_MUST_CHANGE_PASSWORD = Msg(
    ja="最初に新しいパスワードを設定してください。管理者が設定したパスワードのままでは操作できません。",
    en="Set a new password first: an account cannot be used with the password an administrator gave it.",
)


class PermissionDeniedError(DxError):
    """The session's role lacks a permission; ``message`` is the user-facing text."""

    def __init__(self, msg: Msg, permission: Permission | None = None) -> None:
        super().__init__(msg)
        self.permission = permission


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; use one of: {names}") from None


def has_permission(role: Role | str, permission: Permission) -> bool:
    try:
        role = Role(role)
    except ValueError:
        return False  # an unknown role in the database grants nothing
    return permission in ROLE_PERMISSIONS[role]


def require(session: Session | None, permission: Permission) -> Session:
    """Return ``session`` if it may do ``permission``, else raise PermissionDeniedError."""
    if session is None:
        raise PermissionDeniedError(MSG_NOT_SIGNED_IN, permission)
    if session.must_change_password:
        raise PermissionDeniedError(MSG_MUST_CHANGE_PASSWORD, permission)
    if not has_permission(session.role, permission):
        role = Role(session.role) if session.role in {r.value for r in Role} else None
        label = role.label if role else Msg(str(session.role), str(session.role))
        raise PermissionDeniedError(
            MSG_DENIED.format(role_ja=label.ja, role_en=label.en.lower(),
                              permission_ja=PERMISSION_LABELS[permission].ja,
                              permission_en=PERMISSION_LABELS[permission].en),
            permission,
        )
    return session


def require_any(session: Session | None, *permissions: Permission) -> Session:
    """Return ``session`` if it has at least one of ``permissions``; else deny naming the first."""
    if session is not None and any(session.can(p) for p in permissions):
        return session
    return require(session, permissions[0])


SYSTEM_ACTOR = "system"  # audit actor of scheduled jobs (retention purge) that no clerk started


_P = ParamSpec("_P")
_T = TypeVar("_T")


def requires(permission: Permission) -> Callable[[Callable[_P, _T]], Callable[_P, _T]]:
    """Decorator for service methods whose first argument after ``self`` is the Session.

    >>> class Reports:
    ...     @requires(Permission.VIEW_REPORTS)
    ...     def monthly(self, session, month): ...
    """

    def decorate(func: Callable[_P, _T]) -> Callable[_P, _T]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            session = kwargs.get("session")
            if session is None:
                session = next((a for a in args if isinstance(a, Session)), None)
            require(session, permission)  # type: ignore[arg-type]
            return func(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate
