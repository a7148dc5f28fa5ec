"""Account administration inside the sign-in service (mixed into AuthService): create, list, deactivate,
reactivate, change the role, reset a password, lift a lockout.

Each is an administrator's (MANAGE_ACCOUNTS), signed with their town key when they have one
(dxdesk.security.townsigning) and audited in the same writer transaction as the change.
Kept apart from auth.py, which is about signing in, lockouts and one's own password.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from dxdesk.security import accounttrust as trust
from dxdesk.security import clerks as cq
from dxdesk.security.audit import EventType, Result
from dxdesk.security.autherrors import MSG_LAST_ADMIN, MSG_LOGIN_TAKEN, MSG_NO_SUCH_ACCOUNT, AuthError
from dxdesk.security.clerks import ClerkInfo, info_from_row, normalize_login
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import Permission, Role, Session, parse_role, requires
from dxdesk.security.townkey import TownSigner
from dxdesk.store.models import Clerk

if TYPE_CHECKING:  # for annotations only, as in auth.py
    from dxdesk.store.database import Database

_T = TypeVar("_T")


class AccountAdminMixin:
    """Needs from the service: ``database``, ``params``, ``_write``, ``_audit``, ``_hash``, ``_check_policy``,
    ``signer_for`` (TownSigningMixin)."""

    database: Database
    params: ScryptParams
    _audit: Callable[..., None]
    _hash: Callable[[str], str]
    _check_policy: Callable[[str, str], None]
    signer_for: Callable[[Session], TownSigner | None]

    if TYPE_CHECKING:  # AuthService's writer step, typed for the checker only
        def _write(self, fn: Callable[[Any], _T]) -> _T: ...

    def _validate_new(self, login: str, display_name: str, password: str) -> None:
        for problem in (cq.login_problem(login), cq.display_name_problem(display_name)):
            if problem is not None:
                raise AuthError(problem)
        self._check_policy(password, login)

    def _insert(self, orm: Any, login: str, display_name: str, role: Role, password_hash: str) -> Clerk:
        if cq.find_by_login(orm, login) is not None:
            raise AuthError(MSG_LOGIN_TAKEN)
        row = Clerk(login=normalize_login(login), display_name=display_name.strip(), role=role.value,
                    password_hash=password_hash, failed_attempts=0, active=True, must_change_password=False)
        orm.add(row)
        orm.flush()
        return row

    def _admin_row(self, orm: Any, login: str) -> Clerk:
        row = cq.find_by_login(orm, login)
        if row is None:
            raise AuthError(MSG_NO_SUCH_ACCOUNT)
        return row

    @requires(Permission.MANAGE_ACCOUNTS)
    def create_account(self, session: Session, login: str, display_name: str, role: Role | str,
                       password: str) -> ClerkInfo:
        role = role if isinstance(role, Role) else parse_role(role)
        self._validate_new(login, display_name, password)
        password_hash = self._hash(password)

        def job(orm: Any) -> ClerkInfo:
            row = self._insert(orm, login, display_name, role, password_hash)
            row.must_change_password = True  # the administrator knows it: the holder must choose their own
            signer = self.signer_for(session)
            trust.sign_row(row, signer)
            if role is Role.ADMINISTRATOR and signer is not None:
                # the new administrator can sign too
                trust.store_wrap(orm, row.id, signer, password, self.params)
            self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="create",
                        clerk_id=row.id, role=role.value)
            return info_from_row(row)

        return self._write(job)

    @requires(Permission.MANAGE_ACCOUNTS)
    def list_accounts(self, session: Session, include_inactive: bool = True) -> list[ClerkInfo]:
        with self.database.session() as orm:
            query = select(Clerk).order_by(Clerk.login)
            if not include_inactive:
                query = query.where(Clerk.active.is_(True))
            return [info_from_row(row) for row in orm.scalars(query)]

    @requires(Permission.MANAGE_ACCOUNTS)
    def deactivate_account(self, session: Session, login: str) -> ClerkInfo:
        def job(orm: Any) -> ClerkInfo:
            row = self._admin_row(orm, login)
            if row.role == Role.ADMINISTRATOR.value and row.active and cq.count_active_admins(orm) <= 1:
                raise AuthError(MSG_LAST_ADMIN)
            row.active = False
            trust.sign_row(row, self.signer_for(session))
            self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="deactivate",
                        clerk_id=row.id)
            return info_from_row(row)

        return self._write(job)

    @requires(Permission.MANAGE_ACCOUNTS)
    def reactivate_account(self, session: Session, login: str) -> ClerkInfo:
        def job(orm: Any) -> ClerkInfo:
            row = self._admin_row(orm, login)
            row.active = True
            trust.sign_row(row, self.signer_for(session))
            self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="reactivate",
                        clerk_id=row.id)
            return info_from_row(row)

        return self._write(job)

    @requires(Permission.MANAGE_ACCOUNTS)
    def set_role(self, session: Session, login: str, role: Role | str) -> ClerkInfo:
        role = role if isinstance(role, Role) else parse_role(role)

        def job(orm: Any) -> ClerkInfo:
            row = self._admin_row(orm, login)
            if (row.role == Role.ADMINISTRATOR.value and role is not Role.ADMINISTRATOR and row.active
                    and cq.count_active_admins(orm) <= 1):
                raise AuthError(MSG_LAST_ADMIN)
            old = row.role
            row.role = role.value
            trust.sign_row(row, self.signer_for(session))
            self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="set_role",
                        clerk_id=row.id, old_role=old, role=role.value)
            return info_from_row(row)

        return self._write(job)

    @requires(Permission.MANAGE_ACCOUNTS)
    def reset_password(self, session: Session, login: str, new_password: str) -> None:
        """Administrator sets a new password (e.g. a forgotten one); also lifts a lockout."""
        self._check_policy(new_password, login)
        new_hash = self._hash(new_password)

        def job(orm: Any) -> None:
            row = self._admin_row(orm, login)
            row.password_hash = new_hash
            row.must_change_password = True  # as for a new account: the holder must choose their own
            row.failed_attempts = 0
            row.locked_until = None
            signer = self.signer_for(session)
            trust.sign_row(row, signer)
            if row.role == Role.ADMINISTRATOR.value and signer is not None:
                # also how a promoted administrator gets one
                trust.store_wrap(orm, row.id, signer, new_password, self.params)
            self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="reset_password",
                        clerk_id=row.id)

        self._write(job)

    @requires(Permission.MANAGE_ACCOUNTS)
    def unlock_account(self, session: Session, login: str) -> None:
        def job(orm: Any) -> None:
            row = self._admin_row(orm, login)
            row.failed_attempts = 0
            row.locked_until = None
            self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="unlock",
                        clerk_id=row.id)

        self._write(job)
