"""The town recovery key as an administrator's use cases: set it up once, confirm it on each desk.

Qt-free; ``dxdesk db recovery-setup`` / ``db recovery-accept`` (dxdesk.store.recoverycli) and the
admin page's 復旧キー tab (dxdesk.ui.admin.recovery) both call these, so the rules are one:

- **Set up** (:meth:`RecoveryKeys.set_up`): a new X25519 key pair; the private half is written only
  to the chosen USB file and/or recovery sheet PDF (never inside this desk's folders), the public
  half becomes the town's shared setting, this desk confirms it and wraps its keys with it.
- **Confirm** (:meth:`RecoveryKeys.accept`): a key that reached this desk through the server (the
  first one as well as a changed one) is used only after an administrator types the key's
  fingerprint from the recovery sheet and it matches. A server intruder's key is therefore never
  used silently.

Each checks MANAGE_KEYS and writes its audit event in the same writer transaction as the change.
"""
from __future__ import annotations

import getpass
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from dxdesk.i18n import Msg
from dxdesk.security.audit import AuditEntry, AuditLog
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.security.recoverykey import (
    RecoveryKeyError, RecoverySecret, fingerprint, legacy_fingerprint, stored_fingerprints, typed_fingerprint,
)
from dxdesk.store.database import Database
from dxdesk.store.escrow import (
    accept_in, awaiting_confirmation, ensure_wrapped_keys, recovery_public_key, store_recovery_public_key,
)
from dxdesk.store.errors import StoreError
from dxdesk.store.models import DeskKey

SETUP_EVENT, ACCEPT_EVENT = "key.recovery_setup", "key.recovery_accept"


class RecoveryUseError(StoreError):
    """A recovery-key request that cannot be done as asked (message says what to do instead)."""


@dataclass(frozen=True)
class RecoveryKeyState:
    town_key: str | None  # fingerprint of the town recovery key this desk has (None: not set up yet)
    awaiting: str | None  # that key's fingerprint while an administrator of this desk has not confirmed it
    wrapped: tuple[str, ...]  # kinds of this desk's keys wrapped with it ("audit", "database")


@dataclass(frozen=True)
class RecoverySetUp:
    fingerprint: str
    check_code: str
    wrapped: int
    written: tuple[Path, ...]


class RecoveryKeys:
    def __init__(self, db: Database, audit: AuditLog, municipality: str = "") -> None:
        self.db = db
        self.audit = audit
        self.municipality = municipality

    def state(self) -> RecoveryKeyState:
        with self.db.session() as s:
            public = recovery_public_key(s)
            fp = fingerprint(public) if public is not None else None
            kinds = s.scalars(select(DeskKey.kind).where(
                DeskKey.desk_id == self.db.desk_id,
                DeskKey.recovery_fingerprint.in_(stored_fingerprints(public) if public is not None else ())).distinct())
            wrapped = tuple(sorted(kinds)) if fp else ()
        return RecoveryKeyState(fp, awaiting_confirmation(self.db), wrapped)

    def set_up(self, session: Session, out: Path | None, sheet: Path | None) -> RecoverySetUp:
        """Create the town's recovery key; write the secret to ``out`` and/or ``sheet`` only."""
        from dxdesk.security.recoverysheet import write_recovery_sheet

        require(session, Permission.MANAGE_KEYS)
        targets = tuple(t for t in (out, sheet) if t is not None)
        if not targets:
            raise RecoveryUseError(Msg("保存先（USB のファイル、または復旧シートの PDF）を選んでください。",
                                       "give --out FILE (USB) and/or --sheet PDF: the secret is written nowhere else"))
        desk_dirs = [self.db.paths.config_dir.resolve(), self.db.paths.data_dir.resolve()]
        for target in targets:
            if target.exists():
                raise RecoveryUseError(Msg(f"{target} は既にあります。別の名前を選んでください。",
                                           f"{target} already exists; choose another name"))
            if any(d in target.resolve().parents for d in desk_dirs):
                raise RecoveryUseError(Msg(
                    f"{target} はこの端末のデータフォルダーの中です。復旧キーは端末に置かず、USB メモリーや印刷で保管してください。",
                    f"{target} is inside this desk's data folders; the secret must never be on a desk"))
        with self.db.session() as s:
            existing = recovery_public_key(s)
        if existing is not None:
            raise RecoveryKeyError(Msg(f"この町には既に復旧キー（{fingerprint(existing)}）があります。",
                                       f"The town already has a recovery key ({fingerprint(existing)}); "
                                       "it is not replaced."))
        secret = RecoverySecret.generate()
        if out is not None:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner only, never overwrites
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secret.text())
        if sheet is not None:
            write_recovery_sheet(sheet, secret, self.municipality)
        fp = fingerprint(secret.public)

        def record(orm: OrmSession) -> None:
            store_recovery_public_key(orm, secret.public)
            accept_in(orm, secret.public)  # this administrator made it here and now: confirmed on this desk
            # The full SHA-256 of the public key: the audit log names the key itself, not its printed fingerprint.
            self.audit.append_in(orm, self._entry(session, SETUP_EVENT, {
                "public_key_sha256": hashlib.sha256(secret.public).hexdigest()}))
        self.db.writer.run(record)
        return RecoverySetUp(fp, secret.check_code, ensure_wrapped_keys(self.db), targets)

    def accept(self, session: Session, typed: str) -> int:
        """Confirm the town recovery key on this desk after comparing with the sheet; returns keys wrapped."""
        require(session, Permission.MANAGE_KEYS)
        typed = typed_fingerprint(typed)
        with self.db.session() as s:
            public = recovery_public_key(s)
        if public is None:
            raise RecoveryUseError(Msg(
                "この端末にはまだ町の復旧キーが届いていません。サーバーと同期してから確認してください。",
                "this desk has no town recovery key yet; sync with the server first"))
        fp = fingerprint(public)
        if typed == legacy_fingerprint(public):
            # An 8-digit fingerprint (a sheet printed by an earlier version) is too short to tell the town's
            # key from one an intruder made to match it: the full one is read from a desk that has the key.
            raise RecoveryUseError(Msg(
                f"入力した指紋（{typed}）は以前の版の短い指紋です。短い指紋では確認できません。この鍵を使っている別の端末の"
                "「復旧キー」タブ（または dxdesk db status）に表示される 16 桁の指紋を入力してください。",
                f"the fingerprint typed ({typed}) is the short form printed by an earlier version, too short to "
                "confirm a key; type the full 16-digit fingerprint shown on a desk that already uses the key "
                "(its 復旧キー tab, or dxdesk db status)"))
        if typed != fp:
            raise RecoveryUseError(Msg(
                f"入力した指紋（{typed}）は、この端末に届いた復旧キーの指紋と一致しません。復旧シートの「鍵の指紋」を"
                "もう一度確かめてください。一致しない場合は使わずに、町の管理者に連絡してください。",
                f"the fingerprint typed ({typed}) is not that of the recovery key this desk received; check the "
                "sheet's key fingerprint again, and if it still differs do not accept it: tell the town's "
                "administrator"))

        def record(orm: OrmSession) -> None:
            accept_in(orm, public)
            self.audit.append_in(orm, self._entry(session, ACCEPT_EVENT, {
                "public_key_sha256": hashlib.sha256(public).hexdigest()}))
        self.db.writer.run(record)
        return ensure_wrapped_keys(self.db)

    @staticmethod
    def _entry(session: Session, event: str, details: dict[str, Any]) -> AuditEntry:
        # Who signed in, and the OS user (a shared Windows account is common at a counter); never the secret.
        return AuditEntry(event_type=event, actor=session.clerk_id, details={**details, "os_user": getpass.getuser()})
