"""The town key on one desk: created with the first administrator, wrapped per administrator,
signing every account change; a clerk's own password change waits for an administrator's signature."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dxdesk.security import accounttrust as trust
from dxdesk.security.auth import AuthError, AuthService
from dxdesk.security.permissions import Role
from dxdesk.security.townkey import TownKeyError, TownSigner, fingerprint, unwrap, verify_account
from dxdesk.store.models import Clerk, SharedSetting

from .conftest import FAST_PARAMS, PASSWORD


def _rows(db) -> dict[str, Clerk]:
    with db.session() as s:
        return {row.login: row for row in s.scalars(select(Clerk))}


def _public(db) -> str:
    with db.session() as s:
        public = trust.pinned_key(s)
    assert public is not None
    return public


def test_wrap_opens_only_with_its_password_and_for_its_key():
    signer, other = TownSigner.generate(), TownSigner.generate()
    wrap = signer.wrap("the right password", FAST_PARAMS)
    assert unwrap(wrap, "the right password", signer.public_b64).public_b64 == signer.public_b64
    with pytest.raises(TownKeyError):
        unwrap(wrap, "a wrong password", signer.public_b64)
    with pytest.raises(TownKeyError):  # a wrap of another key pair never passes for the pinned one
        unwrap(other.wrap("the right password", FAST_PARAMS), "the right password", signer.public_b64)
    assert len(fingerprint(signer.public_b64)) == 39 and fingerprint(signer.public_b64).count("-") == 7


def test_every_account_change_is_signed_and_tampering_shows(db, auth, sessions):
    auth.sign_pending(sessions[Role.ADMINISTRATOR])  # the holders' own first passwords (see below)
    public = _public(db)
    rows = _rows(db)
    assert all(trust.is_signed(row, public) for row in rows.values())
    before = rows["clerk"].version
    auth.set_role(sessions[Role.ADMINISTRATOR], "clerk", Role.SUPERVISOR)
    row = _rows(db)["clerk"]
    assert row.version == before + 1 and trust.is_signed(row, public)
    forged = trust.record_of(row) | {"role": "administrator"}
    assert not verify_account(forged, public)
    # The server's copy of the wraps holds no private key in clear.
    with db.session() as s:
        wraps = [r.value for r in s.scalars(select(SharedSetting).where(
            SharedSetting.key.startswith(trust.WRAP_PREFIX)))]
    assert len(wraps) == 1 and set(wraps[0]) >= {"ciphertext", "salt", "nonce", "public"}


def test_new_administrator_can_sign_and_a_promoted_one_after_a_reset(db, auth, sessions):
    admin = sessions[Role.ADMINISTRATOR]
    auth.create_account(admin, "admin2", "副管理者", Role.ADMINISTRATOR, "second admin pw 2")
    second = auth.sign_in("admin2", "second admin pw 2")
    assert auth.can_sign(second)
    auth.set_role(admin, "supervisor", Role.ADMINISTRATOR)
    promoted = auth.sign_in("supervisor", PASSWORD)
    assert not auth.can_sign(promoted)
    with pytest.raises(AuthError):
        auth.sign_pending(promoted)
    auth.reset_password(admin, "supervisor", "promoted admin pw 3")
    assert auth.can_sign(auth.sign_in("supervisor", "promoted admin pw 3"))


def test_own_password_change_waits_for_an_administrators_signature(db, auth, sessions):
    auth.sign_pending(sessions[Role.ADMINISTRATOR])
    clerk = sessions[Role.CLERK]
    auth.change_password(clerk, PASSWORD, "my own new secret 4")
    public = _public(db)
    assert not trust.is_signed(_rows(db)["clerk"], public)
    assert auth.sign_in("clerk", "my own new secret 4").login == "clerk"  # this desk uses it at once
    assert auth.sign_pending(sessions[Role.ADMINISTRATOR]) == ["clerk"]
    assert trust.is_signed(_rows(db)["clerk"], public)
    assert auth.sign_pending(sessions[Role.ADMINISTRATOR]) == []


def test_desk_from_before_the_town_key_gets_one_at_an_administrators_sign_in(db, audit, security_settings, clock):
    auth = AuthService(db, audit, security_settings, clock=clock, params=FAST_PARAMS, sleep=lambda s: None)
    admin = auth.create_first_admin("admin", "管理", PASSWORD)
    auth.create_account(admin, "sato", "佐藤", Role.SUPPORTER, "supporter pw 5")

    def as_before(s):  # the desk as an older dxdesk left it: no key, unsigned accounts
        trust.forget_local_town_key(s)
        for row in s.scalars(select(Clerk)):
            row.signature = None
    db.writer.run(as_before)
    fresh = AuthService(db, audit, security_settings, clock=clock, params=FAST_PARAMS, sleep=lambda s: None)
    assert fresh.can_sign(fresh.sign_in("admin", PASSWORD))
    public = _public(db)
    assert all(trust.is_signed(row, public) for row in _rows(db).values())
