"""A desk with history never starts on an empty or missing database (a blank desk anyone could take over).

Kept apart from :mod:`dxdesk.store.database` so the window can ask it before its first dialog
without loading SQLAlchemy: it needs the audit chain head noted outside the database, that is
the keyring (or the owner-only key files), nothing else.
"""
from __future__ import annotations

from pathlib import Path

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.store.errors import StoreError


class DeskHistoryError(StoreError):
    """The desk has written audit events before, but its database file is missing or empty."""


def refuse_reinitialising(path: Path, paths: AppPaths, desk_id: str) -> None:
    """Never start a desk that has history on an empty or missing database: that would be a new, blank desk.

    History is the audit chain head this desk notes outside the database after every
    event (:mod:`dxdesk.security.auditkey`). A 0-byte or deleted file on such a desk is
    an accident or an attack (a blank database lets anyone create a first administrator);
    the way back is a backup, through ``dxdesk db restore``.
    """
    if path.exists() and path.stat().st_size > 0:
        return
    from dxdesk.security.auditkey import AuditKeyError, load_chain_head

    try:
        head = load_chain_head(desk_id, paths)
    except AuditKeyError:
        head = None
        noted = "a corrupt audit note"
    else:
        noted = f"audit events through seq {head.seq}" if head is not None else ""
    if head is None and not noted:
        return
    state = "is missing" if not path.exists() else "is empty (0 bytes)"
    raise DeskHistoryError(Msg(
        f"このパソコンの dxdesk には記録があります（監査ログ）が、データベース {path} が"
        f"{'ありません' if not path.exists() else '空です'}。新しいデータベースは作成しません。"
        f"管理者がバックアップ（{paths.backup_dir}）から復元してください: dxdesk db restore ファイル --as 管理者",
        f"this desk has history ({noted}) but its database {path} {state}; dxdesk will not start a blank one. "
        f"An administrator must restore the newest backup (backups are in {paths.backup_dir}): "
        "dxdesk db restore FILE --as ADMIN",
    ))
