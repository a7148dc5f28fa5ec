"""Clerk account data as plain values, and the small queries the services share.

Widgets and the CLI get :class:`ClerkInfo`, never a live ORM ``Clerk`` (which
carries the password hash and would lazy-load on the wrong thread).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from dxdesk.i18n import Msg
from dxdesk.security.permissions import Role
from dxdesk.store.models import Clerk, SharedSetting

MAX_LOGIN_LENGTH = 64
MAX_NAME_LENGTH = 128


@dataclass(frozen=True)
class ClerkInfo:
    id: str
    login: str
    display_name: str
    role: Role
    active: bool
    failed_attempts: int
    locked_until: datetime | None
    must_change_password: bool = False

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and as_utc(self.locked_until) > now


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def info_from_row(row: Clerk) -> ClerkInfo:
    try:
        role = Role(row.role)
    except ValueError:  # the CHECK constraint should prevent this; grant nothing if it happens
        role = Role.SUPPORTER
    return ClerkInfo(row.id, row.login, row.display_name, role, bool(row.active), int(row.failed_attempts or 0),
                     row.locked_until, bool(row.must_change_password))


MSG_LOGIN_EMPTY = Msg("ログインIDを入力してください。", "Enter a login name.")
MSG_LOGIN_BAD = Msg(
    ja="ログインIDは半角英数字と . _ - で、{max}文字以内にしてください。",
    en="A login name may use letters, digits, '.', '_' and '-', up to {max} characters.",
)
MSG_NAME_EMPTY = Msg("表示名を入力してください。", "Enter a display name.")
MSG_NAME_LONG = Msg("表示名は{max}文字以内にしてください。", "The display name must be at most {max} characters.")


def normalize_login(login: str) -> str:
    """Logins compare case-insensitively and width-insensitively (Ｔａｎａｋａ == tanaka)."""
    return unicodedata.normalize("NFKC", login).strip().lower()


def login_problem(login: str) -> Msg | None:
    text = normalize_login(login)
    if not text:
        return MSG_LOGIN_EMPTY
    allowed = all(c.isascii() and (c.isalnum() or c in "._-") for c in text)
    if not allowed or len(text) > MAX_LOGIN_LENGTH:
        return MSG_LOGIN_BAD.format(max=MAX_LOGIN_LENGTH)
    return None


def display_name_problem(name: str) -> Msg | None:
    if not name.strip():
        return MSG_NAME_EMPTY
    if len(name.strip()) > MAX_NAME_LENGTH:
        return MSG_NAME_LONG.format(max=MAX_NAME_LENGTH)
    return None


def find_by_login(orm: OrmSession, login: str) -> Clerk | None:
    return orm.scalars(select(Clerk).where(Clerk.login == normalize_login(login))).first()


def count_clerks(orm: OrmSession) -> int:
    return int(orm.scalar(select(func.count()).select_from(Clerk)) or 0)


def count_active_admins(orm: OrmSession) -> int:
    query = select(func.count()).select_from(Clerk).where(
        Clerk.role == Role.ADMINISTRATOR.value, Clerk.active.is_(True))
    return int(orm.scalar(query) or 0)


def find_setting(orm: OrmSession, key: str) -> SharedSetting | None:
    return orm.scalars(select(SharedSetting).where(SharedSetting.key == key)).first()
