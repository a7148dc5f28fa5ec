"""The desk's audit key and last-known chain head, kept outside the database.

The audit chain is keyed (HMAC-SHA256), so someone who can write the SQLite file
but not read the desk's secrets cannot recompute a rewritten chain. The key lives
where the database key lives (:mod:`dxdesk.store.keys`: the OS keyring, else an
owner-only file), never in the database.

The *head* (seq and hash of the newest event this desk wrote) is kept the same
way and rewritten after committed appends (at most once a second per desk and
process: :mod:`auditheadnote`). A chain whose newest events were
deleted still links correctly, so only this out-of-database note can reveal the
truncation. The head may lag behind the database by the last event(s) if the
process died between commit and the note; verification therefore only flags a
head that is *ahead* of the database or that names a different hash.

The next append after a truncation (or a rewrite) does not hide it: ``append``
first writes a keyed ``audit.gap`` event naming what the head note said, and
verification reports that event. The *cut-over* note records the first seq that
was written keyed; an unkeyed event at or after it is a rewrite. Someone who can
also rewrite the desk's secrets (the keyring or the owner-only key file) is outside
what this protects against.
"""
from __future__ import annotations

import json
import logging
import secrets

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths, app_paths
from dxdesk.security.auditchain import ChainHead
from dxdesk.security.auditheadnote import note_head, noted_head
from dxdesk.store.keys import KeyMissingError, get_secret, set_secret

log = logging.getLogger(__name__)

_KEY_BYTES = 32


def audit_key_user(desk_id: str) -> str:
    return f"audit-key:{desk_id}"


def audit_head_user(desk_id: str) -> str:
    return f"audit-head:{desk_id}"


def audit_cutover_user(desk_id: str) -> str:
    return f"audit-cutover:{desk_id}"


class AuditKeyError(ValueError):
    """The stored audit key or head is unreadable (never carries the secret itself)."""


def load_audit_key(desk_id: str, paths: AppPaths | None = None) -> bytes | None:
    """The desk's audit key, or None when none was ever created (or it was lost)."""
    stored = get_secret(audit_key_user(desk_id), paths)
    if stored is None:
        return None
    try:
        key = bytes.fromhex(stored.strip())
    except ValueError:
        raise AuditKeyError(f"the stored audit key for desk {desk_id} is corrupt") from None
    if len(key) != _KEY_BYTES:
        raise AuditKeyError(f"the stored audit key for desk {desk_id} has the wrong length")
    return key


def load_or_create_audit_key(desk_id: str, paths: AppPaths | None = None, *, may_create: bool = True) -> bytes:
    """The desk's audit key, generated and stored on first use.

    ``may_create=False`` (this desk already wrote audit events) makes a missing key a
    KeyMissingError: a new key would make the existing chain fail verification.
    """
    key = load_audit_key(desk_id, paths)
    if key is not None:
        return key
    if not may_create:
        log.error("audit key for this desk is missing but its audit events exist; not creating one")
        raise KeyMissingError(Msg(
            "この端末の監査ログはありますが、監査キーが見つかりません。新しいキーは作成していません。"
            "管理者が町の復旧シートでキーを復元してください（dxdesk db restore --recovery-sheet）。",
            "This desk's audit events exist but its audit key is missing from the key store; no new key was "
            "made. Restore the key with the town recovery sheet (dxdesk db restore FILE --recovery-sheet SHEET).",
        ))
    set_secret(audit_key_user(desk_id), secrets.token_bytes(_KEY_BYTES).hex(), paths)
    # Read back what is stored rather than trusting our copy: if another process
    # created a key at the same moment, everyone must sign with the surviving one.
    stored = load_audit_key(desk_id, paths)
    if stored is None:
        raise AuditKeyError(f"could not store the audit key for desk {desk_id}")
    log.info("generated a new audit key for this desk")
    return stored


def load_chain_head(desk_id: str, paths: AppPaths | None = None) -> ChainHead | None:
    """The newest head: one this process noted but has not written yet (:mod:`auditheadnote`), else the note."""
    paths = paths or app_paths()
    waiting = noted_head(desk_id, paths)
    if waiting is not None:
        return waiting
    stored = get_secret(audit_head_user(desk_id), paths)
    if stored is None:
        return None
    try:
        data = json.loads(stored)
        return ChainHead(seq=int(data["seq"]), hash=str(data["hash"]))
    except (ValueError, KeyError, TypeError):
        raise AuditKeyError(f"the stored audit head for desk {desk_id} is corrupt") from None


def save_chain_head(desk_id: str, head: ChainHead, paths: AppPaths | None = None) -> None:
    """Record the newest committed event, written now or within a second (:mod:`auditheadnote`).

    Always overwrites (last writer wins): a head that lags is harmless, and refusing
    to move it backwards would make a restored backup look truncated forever.
    """
    note_head(desk_id, head, paths or app_paths(), _write_chain_head)


def _write_chain_head(desk_id: str, head: ChainHead, paths: AppPaths) -> None:
    """Never raises: the event itself is already safely committed."""
    try:
        set_secret(audit_head_user(desk_id), json.dumps({"seq": head.seq, "hash": head.hash}), paths,
                   quiet=True)
    except Exception as exc:  # keyring/disk trouble must not turn a committed write into a failure
        log.warning("could not record the audit chain head (%s); truncation checks may lag", type(exc).__name__)


def load_cutover(desk_id: str, paths: AppPaths | None = None) -> int | None:
    """The first seq this desk wrote keyed (legacy unkeyed events are accepted only before it), if noted."""
    stored = get_secret(audit_cutover_user(desk_id), paths)
    if stored is None:
        return None
    try:
        return int(stored.strip())
    except ValueError:
        raise AuditKeyError(f"the stored audit cut-over point for desk {desk_id} is corrupt") from None


def save_cutover(desk_id: str, seq: int, paths: AppPaths | None = None) -> None:
    """Note the cut-over point once; like the head, a failure to note it must not fail a committed write."""
    try:
        set_secret(audit_cutover_user(desk_id), str(int(seq)), paths, quiet=True)
    except Exception as exc:
        log.warning("could not record the audit cut-over point (%s)", type(exc).__name__)
