"""Key escrow with the town recovery key: wrap this desk's keys, and get a lost desk's keys back.

- ``store_recovery_public_key``: the administrator's one-time set-up stores the public half
  in ``shared_settings`` (synced, so every desk gets it).
- ``ensure_wrapped_keys``: each desk wraps its current database key set and audit key
  with that public key into ``desk_keys`` (append-only, pushed to the server, and in
  every backup). Run at sync, before a backup, and after a key rotation; cheap when
  nothing changed.
- ``recover_keys``: with the recovery secret, the rows (from a backup file or from the
  server) give back the desk's key set (every key ever wrapped, so old backups open
  too) and its audit key; ``install_keys`` puts them in this PC's key store.
- ``read_desk_from_server``: an administrator reads a lost desk's records on the server,
  personal fields decrypted, with the recovery secret (nothing is written anywhere).

The public key arrives through the server, so a desk uses a key only once an administrator
of that desk confirmed it, by typing the key's fingerprint from the recovery sheet (``dxdesk db
recovery-accept FINGERPRINT`` or the admin page's 復旧キー tab; dxdesk.app.recovery). That holds
for the first key a desk sees as much as for a changed one (nothing is trusted on first use);
the desk that set the key up confirmed it then. Until then a problem is shown by ``doctor``
and the home page.
"""
from __future__ import annotations

from contextlib import closing
import base64
import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.security.recoverykey import (
    RecoveryKeyError, RecoverySecret, fingerprint, fingerprint_id, show_fingerprint, stored_fingerprints, unwrap, wrap,
)
from dxdesk.store.crypto import KeySet
from dxdesk.store.models import DeskKey, SharedSetting, SyncState

log = logging.getLogger(__name__)

RECOVERY_PUBLIC_KEY = "town.recovery_public_key"
DATABASE, AUDIT = "database", "audit"
ACCEPTED_PREFIX = "recovery-accepted:"  # local sync_state rows: changed recovery keys an administrator confirmed
PROBLEM_ROW = "problem:recovery_key"  # dxdesk.store.problems: shown on the home page and by doctor


def accept_in(s: Session, public: bytes) -> None:
    """An administrator confirmed (against the sheet) that the town's recovery key ``public`` is genuine."""
    if not _accepted(s, public):
        s.add(SyncState(name=ACCEPTED_PREFIX + fingerprint_id(public)))


def _accepted(s: Session, public: bytes) -> bool:
    """Confirmed on this desk (a row written before holds the legacy short fingerprint)."""
    return any(s.get(SyncState, ACCEPTED_PREFIX + fp) is not None for fp in stored_fingerprints(public))


def awaiting_confirmation(db: Any) -> str | None:
    """Fingerprint of the town recovery key this desk received but an administrator has not confirmed."""
    with db.session() as s:
        public = recovery_public_key(s)
        if public is None:
            return None
        used = s.scalar(select(DeskKey.id).where(
            DeskKey.desk_id == db.desk_id, DeskKey.recovery_fingerprint.in_(stored_fingerprints(public))).limit(1))
        return None if used is not None or _accepted(s, public) else fingerprint(public)


PERSONAL_TABLES = ("visits", "support_sessions")


def _context(desk_id: str, kind: str, key_ids: str) -> str:
    return f"dxdesk-escrow:{desk_id}:{kind}:{key_ids}"


def audit_key_id(key: bytes) -> str:
    return hashlib.sha256(b"dxdesk-audit-key-id:" + key).hexdigest()[:16]


def recovery_public_key(session: Session) -> bytes | None:
    value = session.scalar(select(SharedSetting.value).where(SharedSetting.key == RECOVERY_PUBLIC_KEY))
    if not isinstance(value, dict) or "public" not in value:
        return None
    try:
        public = base64.b64decode(value["public"])
    except ValueError:
        log.error("the town recovery public key in shared settings is malformed; keys are not wrapped")
        return None
    return public if len(public) == 32 else None


def store_recovery_public_key(s: Session, public: bytes) -> None:
    """Store the town's recovery public key (refuses to replace another one: that is a deliberate act)."""
    existing = recovery_public_key(s)
    if existing is not None and existing != public:
        raise RecoveryKeyError(Msg(
            f"この町には既に復旧キー（{fingerprint(existing)}）があります。",
            f"The town already has a recovery key ({fingerprint(existing)}); it is not replaced.",
        ))
    if existing is None:
        s.add(SharedSetting(key=RECOVERY_PUBLIC_KEY,
                            value={"public": base64.b64encode(public).decode(), "fingerprint": fingerprint(public)}))


def ensure_wrapped_keys(db: Any, audit_key: bytes | None = None) -> int:
    """Wrap this desk's current keys with the town recovery key when not done yet; returns rows added."""
    if audit_key is None:
        from dxdesk.security.auditkey import load_audit_key  # the security layer owns the audit key

        audit_key = load_audit_key(db.desk_id, db.paths)
    keyset: KeySet = db.keyset
    desk_id = db.desk_id

    def job(s: Session) -> int:
        public = recovery_public_key(s)
        if public is None:
            return 0
        fp, stored = fingerprint(public), stored_fingerprints(public)
        earlier = set(s.scalars(select(DeskKey.recovery_fingerprint).where(DeskKey.desk_id == desk_id)))
        problem = s.get(SyncState, PROBLEM_ROW)
        if not earlier & set(stored) and not _accepted(s, public):
            # The key came through the server: a new or changed one is used only once an administrator
            # of this desk confirms it against the sheet (else a server intruder could put in their own).
            was = f" (was {', '.join(sorted(show_fingerprint(e) for e in earlier))})" if earlier else ""
            log.error("town recovery key %s received%s; not used until an administrator confirms it with the "
                      "fingerprint on the recovery sheet (dxdesk db recovery-accept)", fp, was)
            problem = problem or SyncState(name=PROBLEM_ROW)
            problem.last_error = (f"town recovery key {fp} received{was}; compare with the fingerprint on the "
                                  f"recovery sheet, then: dxdesk db recovery-accept {fp}")
            s.add(problem)
            return 0
        if problem is not None:
            s.delete(problem)
        have = {(kind, ids) for kind, ids in s.execute(select(DeskKey.kind, DeskKey.key_ids).where(
            DeskKey.desk_id == desk_id, DeskKey.recovery_fingerprint.in_(stored)))}
        wanted = [(DATABASE, ",".join(sorted(keyset.keys)), keyset.to_json().encode())]
        if audit_key is not None:
            wanted.append((AUDIT, audit_key_id(audit_key), audit_key))
        added = 0
        for kind, key_ids, secret in wanted:
            if (kind, key_ids) in have:
                continue
            s.add(DeskKey(kind=kind, key_ids=key_ids, recovery_fingerprint=fingerprint_id(public),
                          wrapped=wrap(public, secret, _context(desk_id, kind, key_ids))))
            added += 1
        return added

    added = int(db.writer.run(job))
    if added:
        log.info("wrapped %d key(s) of this desk with the town recovery key", added)
    return added


def recovery_status(path: Path) -> str:
    """For ``dxdesk db status``: the town recovery key's fingerprint and what this desk has wrapped."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
        try:
            value = conn.execute("SELECT value FROM shared_settings WHERE key = ?", (RECOVERY_PUBLIC_KEY,)).fetchone()
            kinds = [k for (k,) in conn.execute("SELECT DISTINCT kind FROM desk_keys ORDER BY kind")]
        except sqlite3.OperationalError:
            return "(not set up)"
    if value is None:
        return "not set up (dxdesk db recovery-setup): a lost PC's data cannot be recovered"
    try:
        stored = json.loads(value[0])
        # From the key itself: the fingerprint stored beside it by an earlier version is the short one.
        fp = fingerprint(base64.b64decode(stored["public"])) if "public" in stored else stored.get("fingerprint", "?")
    except (ValueError, AttributeError, TypeError):
        fp = "?"
    return f"town key {fp}; wrapped here: {', '.join(kinds) or 'nothing yet (next sync or backup)'}"


def recover_keys(rows: list[dict[str, Any]], secret: RecoverySecret) -> tuple[str, KeySet, bytes | None]:
    """(desk id, key set with every key ever wrapped, newest audit key) from ``desk_keys`` rows of one desk."""
    desks = {row["desk_id"] for row in rows}
    if not rows:
        raise RecoveryKeyError(Msg(
            "復旧キーで保護されたキーがありません（復旧キーの設定前のデータか、同期・バックアップ前です）。",
            "No keys wrapped with a recovery key were found (made before the recovery key was set up?).",
        ))
    if len(desks) > 1:
        raise RecoveryKeyError(Msg("複数の端末のキーが含まれています。端末を指定してください。",
                                   "Keys of several desks were found; name the desk."))
    desk_id = desks.pop()
    keys: dict[str, bytes] = {}
    current: str | None = None
    audit: bytes | None = None
    for row in sorted(rows, key=lambda r: str(r["created_at"])):  # newest last: its key is current
        opened = unwrap(secret, row["wrapped"], _context(desk_id, row["kind"], row["key_ids"]))
        if row["kind"] == DATABASE:
            part = KeySet.from_json(opened.decode())
            keys.update(part.keys)
            current = part.current
        else:
            audit = opened
    if current is None:
        raise RecoveryKeyError(Msg("データベースのキーが見つかりません。", "No database key was wrapped for this desk."))
    return desk_id, KeySet(current=current, keys=keys), audit


def rows_from_backup(path: Path) -> list[dict[str, Any]]:
    """``desk_keys`` rows of a backup file (read-only)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(
                "SELECT desk_id, kind, key_ids, wrapped, created_at FROM desk_keys")]
        except sqlite3.OperationalError:  # a backup from before key escrow existed
            return []


def rows_from_server(server: Engine, desk_id: str) -> list[dict[str, Any]]:
    from dxdesk.store.server import raw_table

    table = raw_table("desk_keys")
    with server.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).where(table.c.desk_id == desk_id)).mappings()]


def install_keys(desk_id: str, keyset: KeySet, audit_key: bytes | None, paths: AppPaths | None = None) -> None:
    """Put recovered keys in this PC's key store, merged with any keys already there for that desk."""
    from dxdesk.security.auditkey import audit_key_user
    from dxdesk.store.keys import database_key_user, get_secret, save_keyset, set_secret

    stored = get_secret(database_key_user(desk_id), paths)
    if stored is not None:
        existing = KeySet.from_json(stored)
        keyset = KeySet(current=keyset.current, keys={**existing.keys, **keyset.keys})
    save_keyset(desk_id, keyset, paths)
    if audit_key is not None:
        set_secret(audit_key_user(desk_id), audit_key.hex(), paths)


def read_desk_from_server(server: Engine, desk_id: str, secret: RecoverySecret) -> dict[str, list[dict[str, Any]]]:
    """A lost desk's visits and support sessions on the server, personal fields decrypted (read only)."""
    from dxdesk.store.rotate import encrypted_fields
    from dxdesk.store.server import raw_table

    _, keyset, _ = recover_keys(rows_from_server(server, desk_id), secret)
    fields = encrypted_fields()
    found: dict[str, list[dict[str, Any]]] = {}
    with server.connect() as conn:
        for name in PERSONAL_TABLES:
            table = raw_table(name)
            rows = []
            for row in conn.execute(select(table).where(table.c.desk_id == desk_id).order_by(table.c.id)).mappings():
                record = dict(row)
                for column, context in fields.get(name, {}).items():
                    if record.get(column) is not None:
                        plain = keyset.decrypt(record[column], context).decode("utf-8")
                        record[column] = json.loads(plain) if column == "answers" else plain
                rows.append(record)
            found[name] = rows
    return found
