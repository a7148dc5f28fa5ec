"""Accounts the desk can trust: the pinned town key, signing account rows, and the pull gate.

Where things live (dxdesk.security.townkey has the cryptography):

* the pinned public key: ``town_trust`` (local only, never synced; the server cannot change it);
* the public key for everyone to read and one wrap of the private key per administrator:
  ``shared_settings`` rows ``town_key.public`` and ``town_key.wrap.<clerk id>`` (synced; the wraps
  are ciphertext under a key derived from that administrator's password);
* each account's ``version`` and ``signature`` columns (synced with the account).

:class:`AccountGate` is what the sync engine runs over account rows pulled from the server: a row
is applied only when the town key pinned here signed it and it is not older than the desk's copy.
Anything else is refused, not applied, recorded as an audit event (once per distinct row) and
kept as a marker that ``refused_accounts`` reports for the status line and ``dxdesk sync``.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from dxdesk.security.passwords import DEFAULT_PARAMS, ScryptParams
from dxdesk.security.townkey import TownKeyError, TownSigner, account_message, unwrap, verify_account
from dxdesk.store.models import CLERK_ROLES, Clerk, Outbox, SharedSetting, SyncState, TownTrust

log = logging.getLogger(__name__)

PIN = "public_key"
PUBLIC_SETTING = "town_key.public"
WRAP_PREFIX = "town_key.wrap."
REFUSED_PREFIX = "refused:clerks:"


# ----------------------------------------------------------------------- pin and wraps

def pinned_key(orm: OrmSession) -> str | None:
    row = orm.get(TownTrust, PIN)
    return row.value if row is not None else None


def pin_key(orm: OrmSession, public_b64: str) -> None:
    row = orm.get(TownTrust, PIN)
    if row is None:
        orm.add(TownTrust(name=PIN, value=public_b64))
    else:
        row.value = public_b64


def _setting(orm: OrmSession, key: str) -> SharedSetting | None:
    return orm.scalars(select(SharedSetting).where(SharedSetting.key == key)).first()


def _put_setting(orm: OrmSession, key: str, value: Any) -> None:
    row = _setting(orm, key)
    if row is None:
        orm.add(SharedSetting(key=key, value=value, version=1))
    else:
        row.value = value
        row.version = int(row.version or 0) + 1


def wrap_for(orm: OrmSession, clerk_id: str) -> Mapping[str, Any] | None:
    row = _setting(orm, WRAP_PREFIX + clerk_id)
    return row.value if row is not None and isinstance(row.value, dict) else None


def store_wrap(orm: OrmSession, clerk_id: str, signer: TownSigner, password: str,
               params: ScryptParams = DEFAULT_PARAMS) -> None:
    _put_setting(orm, WRAP_PREFIX + clerk_id, signer.wrap(password, params))


def create_town_key(orm: OrmSession, admin_id: str, password: str,
                    params: ScryptParams = DEFAULT_PARAMS) -> TownSigner:
    """A new town: key pair, pinned here, public half and the first administrator's wrap shared."""
    signer = TownSigner.generate()
    pin_key(orm, signer.public_b64)
    _put_setting(orm, PUBLIC_SETTING, {"public": signer.public_b64})
    store_wrap(orm, admin_id, signer, password, params)
    return signer


def forget_local_town_key(orm: OrmSession) -> None:
    """Drop this desk's own town key rows before it joins another town (never sent to the server).

    Core DELETEs bypass the outbox hook on purpose: these rows must not be deleted on the server
    (its rows with the same natural-key ids are the town's, which this desk is about to pull).
    """
    ids = list(orm.scalars(select(SharedSetting.id).where(
        (SharedSetting.key == PUBLIC_SETTING) | SharedSetting.key.startswith(WRAP_PREFIX))))
    if ids:
        orm.execute(delete(Outbox).where(Outbox.table_name == "shared_settings", Outbox.record_id.in_(ids)))
        orm.execute(delete(SharedSetting).where(SharedSetting.id.in_(ids)))
    orm.execute(delete(TownTrust).where(TownTrust.name == PIN))


def unlock_signer(orm: OrmSession, clerk_id: str, password: str) -> TownSigner | None:
    """The town key for a signed-in administrator, or None (no key here, or no wrap for them)."""
    public = pinned_key(orm)
    wrap = wrap_for(orm, clerk_id)
    if public is None or wrap is None:
        return None
    try:
        return unwrap(wrap, password, public)
    except TownKeyError as exc:
        log.warning("town signing key not available for this administrator: %s", exc)
        return None


# ----------------------------------------------------------------------- signing

def record_of(row: Clerk) -> dict[str, Any]:
    return {"id": row.id, "login": row.login, "display_name": row.display_name, "role": row.role,
            "active": row.active, "password_hash": row.password_hash,
            "must_change_password": row.must_change_password, "version": row.version,
            "signature": row.signature}


def sign_row(row: Clerk, signer: TownSigner | None) -> None:
    """Count a new version of the account and sign it; unsigned (NULL) when no signer is at hand.

    An unsigned change stays valid on this desk but every other desk refuses it until an
    administrator signs it (``dxdesk account sign-pending``).
    """
    row.version = int(row.version or 0) + 1
    row.signature = signer.sign_account(record_of(row)) if signer is not None else None


def is_signed(row: Clerk, public_b64: str | None) -> bool:
    return public_b64 is not None and verify_account(record_of(row), public_b64)


# ----------------------------------------------------------------------- the pull gate

class AccountGate:
    """Filters pulled ``clerks`` rows inside the sync's writer transaction (see module docstring)."""

    def __init__(self, database: Any) -> None:
        self.database = database

    def __call__(self, orm: OrmSession, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        public = pinned_key(orm)
        accepted: list[dict[str, Any]] = []
        refused = 0
        for row in rows:
            local = orm.get(Clerk, row["id"])
            if (local is not None and local.signature == row.get("signature")
                    and account_message(record_of(local)) == account_message(row)):
                # This desk's own copy coming back unchanged (e.g. a clerk's own new password, not yet
                # signed by an administrator): nothing to apply and nothing to refuse.
                continue
            reason = self._problem(orm, row, public)
            marker = orm.get(SyncState, REFUSED_PREFIX + row["id"])
            if reason is None:
                accepted.append(row)
                if marker is not None:
                    orm.delete(marker)
                continue
            refused += 1
            digest = hashlib.sha256(account_message(row) + str(row.get("signature")).encode()).hexdigest()[:32]
            if marker is not None and marker.last_error == f"{reason} {digest}":
                continue  # already reported: a refused row comes back with every pull
            if marker is None:
                marker = SyncState(name=REFUSED_PREFIX + row["id"])
                orm.add(marker)
            marker.last_error = f"{reason} {digest}"
            self._audit(orm, row, reason)
        return accepted, refused

    @staticmethod
    def _problem(orm: OrmSession, row: Mapping[str, Any], public: str | None) -> str | None:
        if public is None:
            return "no_town_key"  # a desk that has not joined a town trusts no account from a server
        if not verify_account(row, public):
            return "bad_signature" if row.get("signature") else "unsigned"
        local = orm.get(Clerk, row["id"])
        if local is not None and int(row.get("version") or 0) < int(local.version or 0):
            return "older_version"  # a once-valid record replayed over a newer one
        return None

    def _audit(self, orm: OrmSession, row: Mapping[str, Any], reason: str) -> None:
        from dxdesk.security.audit import AuditEntry, AuditError, AuditLog, EventType, Result

        # Every value here is the server's claim, so it is reduced to what cannot carry personal
        # data (or trip the audit log's privacy check and stop the sync): a UUID, a known role, and
        # the login only when the privacy check accepts it. Never the hash.
        details: dict[str, Any] = {
            "clerk_id": _uuid_or_none(row.get("id")), "reason": reason,
            "role": row.get("role") if row.get("role") in CLERK_ROLES else "other",
        }
        log.warning("refused an account from the server (%s): id %s", reason, details["clerk_id"])
        audit = AuditLog(self.database)
        login = str(row.get("login") or "")[:64]
        try:
            audit.append_in(orm, AuditEntry(EventType.ACCOUNT_REFUSED, None, Result.DENIED,
                                            details=details | {"login": login}))
        except AuditError:
            audit.append_in(orm, AuditEntry(EventType.ACCOUNT_REFUSED, None, Result.DENIED, details=details))


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def refused_accounts(orm: OrmSession) -> int:
    """How many server account rows are currently refused (for the status line and ``dxdesk sync``)."""
    return len(list(orm.scalars(select(SyncState.name).where(SyncState.name.startswith(REFUSED_PREFIX)))))
