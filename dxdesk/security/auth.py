"""Sign-in, lockout, first administrator and password changes (account administration: accountadmin.py).

Sign-in takes ~0.1 s of scrypt plus a deliberate delay after a failure, so the UI
calls it off the GUI thread. Failures never say whether the login exists: an
unknown login gets the same answer, the same timing (a dummy hash is checked)
and even the same lockout as a real one.

Every account operation checks the caller's role here, and every outcome is
written to the audit log in the same writer transaction as the change itself.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, NoReturn, TypeVar

from sqlalchemy import select

from dxdesk.config import SecuritySettings, load_settings
from dxdesk.security import accounttrust as trust
from dxdesk.security import clerks as cq
from dxdesk.security import throttle
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.accountadmin import AccountAdminMixin
from dxdesk.security.auditkey import load_or_create_audit_key
from dxdesk.security.autherrors import (
    MSG_ACCOUNT_INACTIVE, MSG_BAD_CREDENTIALS, MSG_DESK_HAS_HISTORY, MSG_FIRST_ADMIN_EXISTS, MSG_LAST_ADMIN,
    MSG_LOCKED, MSG_LOGIN_TAKEN, MSG_NO_SUCH_ACCOUNT, MSG_SAME_AS_OLD, AccountLockedError, AuthError,
    InvalidCredentialsError, PasswordPolicyError,
)
from dxdesk.security.clerks import ClerkInfo, as_utc, info_from_row, normalize_login
from dxdesk.security.passwords import (
    DEFAULT_PARAMS,
    ScryptParams,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from dxdesk.security.permissions import Role, Session
from dxdesk.security.townkey import TownSigner
from dxdesk.security.townsigning import TownSigningMixin
from dxdesk.store.models import Clerk

if TYPE_CHECKING:  # for annotations only: no import cycle through the store at run time
    from dxdesk.store.database import Database

log = logging.getLogger(__name__)
_T = TypeVar("_T")

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class _Outcome:
    """What the writer job decided about one sign-in attempt."""

    signed_in: ClerkInfo | None = None
    locked_until: datetime | None = None
    counted: bool = False  # a failure that counted towards the lockout (followed by the delay)


class AuthService(AccountAdminMixin, TownSigningMixin):
    def __init__(
        self,
        database: Database,
        audit: AuditLog | None = None,
        settings: SecuritySettings | None = None,
        *,
        clock: Clock = _utcnow,
        params: ScryptParams = DEFAULT_PARAMS,
        failure_delay_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.database = database
        self.clock = clock
        self.audit = audit or AuditLog(database, clock=clock)
        self.settings = settings or load_settings(database.paths).security
        self.params = params
        self.failure_delay_s = failure_delay_s
        self._sleep = sleep
        self._dummy_hash = dummy_hash(params)
        self._throttle_secret: bytes | None = None
        # Town signing keys of the administrators signed in through this service, unwrapped with the
        # password they signed in with; dropped at sign-out (dxdesk.security.accounttrust).
        self._signers: dict[str, TownSigner] = {}

    # ----------------------------------------------------------------- helpers
    def _write(self, fn: Callable[[Any], _T]) -> _T:
        return self.database.writer.run(fn)

    def _read_clerk(self, login: str) -> ClerkInfo | None:
        with self.database.session() as orm:
            row = cq.find_by_login(orm, login)
            return info_from_row(row) if row is not None else None

    def _hash(self, password: str) -> str:
        return hash_password(password, self.params)

    def _check_policy(self, password: str, login: str) -> None:
        problems = password_problems(password, normalize_login(login))
        if problems:
            raise PasswordPolicyError(problems)

    def _audit(self, orm: Any, event: EventType, actor: str | None, result: Result, **details: Any) -> None:
        self.audit.append_in(orm, AuditEntry(event, actor, result, details=details))

    @staticmethod
    def _session_for(info: ClerkInfo, now: datetime) -> Session:
        return Session(info.id, info.login, info.display_name, info.role, now,
                       must_change_password=info.must_change_password)

    # ----------------------------------------------------------------- sign-in
    def sign_in(self, login: str, password: str) -> Session:
        """Check the password and return a Session; raises InvalidCredentialsError or AccountLockedError."""
        info = self._authenticate(login, password, EventType.SIGN_IN)
        if info.role is Role.ADMINISTRATOR:
            self._unlock_signer(info.id, password)
            self._rehash_signed(info.id, password)
        return self._session_for(info, self.clock())

    def sign_out(self, session: Session) -> None:
        self._signers.pop(session.clerk_id, None)
        self._write(lambda orm: self._audit(orm, EventType.SIGN_OUT, session.clerk_id, Result.SUCCESS))

    def reauthenticate(self, session: Session, password: str) -> Session:
        """Password re-entry for the idle lock; failures count towards the same lockout."""
        info = self._authenticate(session.login, password, EventType.UNLOCK, expect_id=session.clerk_id)
        return replace(session, role=info.role, display_name=info.display_name,
                       must_change_password=info.must_change_password)

    def _authenticate(self, login: str, password: str, event: EventType, *, expect_id: str | None = None,
                      audit_success: bool = True) -> ClerkInfo:
        now = self.clock()
        info = self._read_clerk(login)
        if info is None or (expect_id is not None and info.id != expect_id):
            self._ghost_failure(login, password, now, event)
        assert info is not None
        if info.is_locked(now):  # early answer that saves the scrypt work; _settle decides for real
            assert info.locked_until is not None
            self._write(lambda orm: self._audit(orm, event, info.id, Result.LOCKED, cause="locked"))
            raise AccountLockedError(as_utc(info.locked_until))
        with self.database.session() as orm:
            stored = orm.get(Clerk, info.id)
            if stored is None:  # deleted since the read: the same answer as an unknown login
                self._ghost_failure(login, password, now, event)
            stored_hash, signed = stored.password_hash, stored.signature is not None
        ok = verify_password(password, stored_hash)  # slow: outside the writer, which serves everyone
        # A signed account keeps its hash: a re-hash here would need the town key to re-sign it.
        rehash = (self._hash(password) if ok and info.active and not signed and needs_rehash(stored_hash, self.params)
                  else None)
        outcome = self._write(lambda orm: self._settle(orm, info.id, now, ok, rehash, event, audit_success))
        if outcome.signed_in is not None:
            return outcome.signed_in
        if outcome.counted:
            self._sleep(self.failure_delay_s)
        if outcome.locked_until is not None:
            raise AccountLockedError(outcome.locked_until)
        raise InvalidCredentialsError()

    def _settle(self, orm: Any, clerk_id: str, now: datetime, password_ok: bool, rehash: str | None,
                event: EventType, audit_success: bool) -> _Outcome:
        """Lock check, then success or failure count, in ONE writer job.

        The writer runs jobs one at a time, so concurrent attempts (two desks, a script) are
        serialised here: once one of them sets the lock, the others see it and get "locked"
        whatever their password was. Checked outside the job, N parallel guesses would all be
        answered and counted past ``max_failed_signins`` (and a right password would clear a
        lock that was set while it was being checked).
        """
        row = orm.get(Clerk, clerk_id)
        if row is None:  # deleted between the read and now: the same answer as an unknown login
            self._audit(orm, event, None, Result.FAILURE, cause="unknown_login", locked=False)
            return _Outcome(counted=True)
        locked_until = as_utc(row.locked_until) if row.locked_until is not None else None
        if locked_until is not None and locked_until > now:
            self._audit(orm, event, clerk_id, Result.LOCKED, cause="locked")
            return _Outcome(locked_until=locked_until)
        if password_ok and row.active:
            row.failed_attempts = 0
            row.locked_until = None
            if rehash:
                row.password_hash = rehash
            if audit_success:
                self._audit(orm, event, clerk_id, Result.SUCCESS)
            return _Outcome(signed_in=info_from_row(row))
        cause = "inactive" if password_ok else "bad_password"
        return _Outcome(counted=True, locked_until=self._record_failure(orm, row, now, cause, event))

    def _record_failure(self, orm: Any, row: Clerk, now: datetime, cause: str, event: EventType) -> datetime | None:
        row.failed_attempts = int(row.failed_attempts or 0) + 1
        locked_until = None
        if row.failed_attempts >= self.settings.max_failed_signins:
            locked_until = now + timedelta(seconds=self.settings.lockout_seconds)
            row.locked_until = locked_until
            row.failed_attempts = 0  # a fresh count once the lock expires
        self._audit(orm, event, row.id, Result.FAILURE, cause=cause, locked=locked_until is not None)
        return locked_until

    def _throttle_key(self, login: str) -> str:
        if self._throttle_secret is None:
            # A purpose-bound key derived from the desk's audit key, which lives outside the database.
            audit_key = load_or_create_audit_key(self.audit.desk_id, getattr(self.database, "paths", None))
            self._throttle_secret = hmac.new(audit_key, b"signin-throttle", hashlib.sha256).digest()
        return throttle.throttle_key(self._throttle_secret, login)

    def _ghost_failure(self, login: str, password: str, now: datetime, event: EventType) -> NoReturn:
        """An unknown login: the same work, answer, delay and lockout as a real one (see throttle.py)."""
        key = self._throttle_key(login)

        with self.database.session() as orm:  # a read, like _read_clerk for a real login
            locked_until = throttle.current_lock(orm, key, now)
        if locked_until is not None:  # like a real locked account: answered before the scrypt work
            self._write(lambda orm: self._audit(orm, event, None, Result.LOCKED, cause="locked"))
            raise AccountLockedError(locked_until)
        verify_password(password, self._dummy_hash)  # same cost as a real check

        def settle(orm: Any) -> throttle.ThrottleState:
            # Check and count in one writer job, like _settle for real accounts: parallel guesses at
            # an unknown login must lock out exactly as they would for a real one.
            until = throttle.current_lock(orm, key, now)
            if until is not None:
                self._audit(orm, event, None, Result.LOCKED, cause="locked")
                return throttle.ThrottleState(until)
            state = throttle.record_failure(orm, key, now, self.settings)
            # The typed login is not recorded: people type their password into the login field.
            self._audit(orm, event, None, Result.FAILURE, cause="unknown_login", locked=state.newly_locked)
            return state

        state = self._write(settle)
        if state.locked_until is not None and not state.newly_locked:
            raise AccountLockedError(state.locked_until)
        self._sleep(self.failure_delay_s)
        if state.locked_until is not None:
            raise AccountLockedError(state.locked_until)
        raise InvalidCredentialsError()

    # ----------------------------------------------------------- first run
    def needs_first_admin(self) -> bool:
        with self.database.session() as orm:
            return cq.count_clerks(orm) == 0

    def create_first_admin(self, login: str, display_name: str, password: str) -> Session:
        """Create the first administrator (only while there are no accounts at all) and sign them in."""
        self._validate_new(login, display_name, password)
        password_hash = self._hash(password)

        def job(orm: Any) -> ClerkInfo:
            if cq.count_clerks(orm) != 0:  # checked inside the write transaction: no race with a second desk window
                raise AuthError(MSG_FIRST_ADMIN_EXISTS)
            if self._has_history(orm):
                raise AuthError(MSG_DESK_HAS_HISTORY)
            row = self._insert(orm, login, display_name, Role.ADMINISTRATOR, password_hash)
            # The first administrator creates the town key (pinned here) and signs their own account.
            signer = trust.create_town_key(orm, row.id, password, self.params)
            trust.sign_row(row, signer)
            self._signers[row.id] = signer
            self._audit(orm, EventType.ACCOUNT_CHANGE, row.id, Result.SUCCESS, action="create_first_admin",
                        clerk_id=row.id, role=Role.ADMINISTRATOR.value)
            return info_from_row(row)

        return self._session_for(self._write(job), self.clock())

    def _has_history(self, orm: Any) -> bool:
        """Accounts existed here before (an account event in the log) or events were lost (the head is ahead).

        Either way the clerks table was emptied or the database replaced behind dxdesk's
        back: creating a "first" administrator there would hand the desk to whoever asks.
        """
        from dxdesk.security.audit import last_record
        from dxdesk.security.auditkey import AuditKeyError, load_chain_head
        from dxdesk.store.models import AuditEvent

        if orm.scalar(select(AuditEvent.seq).where(AuditEvent.event_type == EventType.ACCOUNT_CHANGE.value)
                      .limit(1)) is not None:
            return True
        desk_id = str(self.database.desk_id)
        try:
            head = load_chain_head(desk_id, getattr(self.database, "paths", None))
        except AuditKeyError:
            return True
        last = last_record(orm, desk_id)
        return head is not None and head.seq > (last.seq if last else 0)

    # ----------------------------------------------------------- own password
    def change_password(self, session: Session, old_password: str, new_password: str) -> Session:
        """Change the signed-in clerk's own password; the old one is required.

        Returns the session to go on with: after a forced change (``must_change_password``) it is
        the first one that may do anything.
        """
        # Counts failures and lockout like any sign-in, so this is no password-guessing side door.
        self._authenticate(session.login, old_password, EventType.PASSWORD_CHANGE, expect_id=session.clerk_id,
                           audit_success=False)
        self._check_policy(new_password, session.login)
        if new_password == old_password:
            raise PasswordPolicyError([MSG_SAME_AS_OLD])
        new_hash = self._hash(new_password)

        def job(orm: Any) -> ClerkInfo:
            row = orm.get(Clerk, session.clerk_id)
            if row is None:
                raise AuthError(MSG_NO_SUCH_ACCOUNT)
            forced = bool(row.must_change_password)
            row.password_hash = new_hash
            row.must_change_password = False
            # An administrator re-signs and re-wraps the town key for the new password; anyone else's
            # change is unsigned until an administrator signs it (other desks keep the old one till then).
            signer = self._signers.get(session.clerk_id)
            trust.sign_row(row, signer)
            if signer is not None:
                trust.store_wrap(orm, row.id, signer, new_password, self.params)
            self._audit(orm, EventType.PASSWORD_CHANGE, session.clerk_id, Result.SUCCESS, clerk_id=row.id,
                        forced=forced, signed=signer is not None)
            return info_from_row(row)

        info = self._write(job)
        return replace(session, role=info.role, display_name=info.display_name, must_change_password=False)


__all__ = [  # the errors and messages live in dxdesk.security.autherrors; importing them from here still works
    "MSG_ACCOUNT_INACTIVE", "MSG_BAD_CREDENTIALS", "MSG_DESK_HAS_HISTORY", "MSG_FIRST_ADMIN_EXISTS", "MSG_LAST_ADMIN",
    "MSG_LOCKED", "MSG_LOGIN_TAKEN", "MSG_NO_SUCH_ACCOUNT", "MSG_SAME_AS_OLD", "AccountLockedError", "AuthError",
    "AuthService", "ClerkInfo", "InvalidCredentialsError", "PasswordPolicyError",
]
