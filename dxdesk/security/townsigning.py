"""The town signing key inside the sign-in service (mixed into AuthService).

An administrator's town key (dxdesk.security.accounttrust) is unwrapped with the password they
sign in with and held in memory for their session; every account change they make is then signed.
Kept apart from auth.py, which is about passwords, lockouts and roles.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from dxdesk.i18n import Msg
from dxdesk.security import accounttrust as trust
from dxdesk.security import clerks as cq
from dxdesk.security.audit import EventType, Result
from dxdesk.security.passwords import ScryptParams, needs_rehash
from dxdesk.security.permissions import Permission, Session, requires
from dxdesk.security.townkey import TownSigner
from dxdesk.store.database import Database
from dxdesk.store.models import Clerk

MSG_NO_SIGNING_KEY = Msg(
    ja="この管理者には町の署名鍵がありません。別の管理者がこの管理者のパスワードを再設定すると使えるようになります。",
    en="This administrator has no town signing key yet; another administrator can give them one by resetting "
       "their password.",
)


class TownSigningMixin:
    """Needs from the service: ``database``, ``params``, ``_signers``, ``_write``, ``_audit``, ``_hash``."""

    database: Database
    params: ScryptParams
    _signers: dict[str, TownSigner]
    _write: Callable[..., Any]
    _audit: Callable[..., None]
    _hash: Callable[[str], str]

    def _unlock_signer(self, clerk_id: str, password: str) -> None:
        """Keep this administrator's town signing key in memory while they are signed in.

        A desk from before the town key (no key pinned, none shared to it) gets one now, and the
        administrator's sign-in vouches for the accounts already on it.
        """
        with self.database.session() as orm:
            signer = trust.unlock_signer(orm, clerk_id, password)
        if signer is None:
            signer = self._write(lambda orm: self._create_key_for_legacy_desk(orm, clerk_id, password))
        if signer is not None:
            self._signers[clerk_id] = signer

    def _create_key_for_legacy_desk(self, orm: Any, clerk_id: str, password: str) -> TownSigner | None:
        if trust.pinned_key(orm) is not None or cq.find_setting(orm, trust.PUBLIC_SETTING) is not None:
            return None  # a town key exists; this administrator just has no wrap of it (yet)
        signer = trust.create_town_key(orm, clerk_id, password, self.params)
        for row in orm.scalars(select(Clerk)):
            trust.sign_row(row, signer)
        self._audit(orm, EventType.ACCOUNT_CHANGE, clerk_id, Result.SUCCESS, action="create_town_key")
        return signer

    def _rehash_signed(self, clerk_id: str, password: str) -> None:
        """An administrator's own signed account is re-hashed at today's cost (and re-signed) here;
        other signed accounts keep their hash until an administrator sets a new password."""
        signer = self._signers.get(clerk_id)
        if signer is None:
            return

        with self.database.session() as orm:
            row = orm.get(Clerk, clerk_id)
            if row is None or row.signature is None or not needs_rehash(row.password_hash, self.params):
                return
        new_hash = self._hash(password)  # slow: outside the writer, which serves everyone

        def job(orm: Any) -> None:
            row = orm.get(Clerk, clerk_id)
            if row is not None:
                row.password_hash = new_hash
                trust.sign_row(row, signer)
        self._write(job)

    def signer_for(self, session: Session) -> TownSigner | None:
        return self._signers.get(session.clerk_id)

    def can_sign(self, session: Session) -> bool:
        return session.clerk_id in self._signers

    @requires(Permission.MANAGE_ACCOUNTS)
    def sign_pending(self, session: Session) -> list[str]:
        """Sign this desk's account changes that carry no valid town signature (e.g. a clerk's own
        password change); returns their logins. Needs this administrator's town signing key."""
        signer = self.signer_for(session)
        if signer is None:
            from dxdesk.security.auth import AuthError  # defined beside the service that mixes this in

            raise AuthError(MSG_NO_SIGNING_KEY)

        def job(orm: Any) -> list[str]:
            public = trust.pinned_key(orm)
            signed = []
            for row in orm.scalars(select(Clerk).order_by(Clerk.login)):
                if not trust.is_signed(row, public):
                    trust.sign_row(row, signer)
                    signed.append(row.login)
                    self._audit(orm, EventType.ACCOUNT_CHANGE, session.clerk_id, Result.SUCCESS, action="sign",
                                clerk_id=row.id)
            return signed

        return list(self._write(job))
