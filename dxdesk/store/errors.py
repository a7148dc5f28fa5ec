"""Store errors that carry a bilingual message, and translation of driver errors into them.

The UI shows ``exc.message.ja``; the CLI and logs use ``str(exc)`` (English). Driver
errors are mapped by SQLite result-code name (Python 3.11+ exposes it), never by
parsing text that might contain record data.
"""
from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import exc as sa_exc

from dxdesk.i18n import Msg


class StoreError(Exception):
    """A storage problem with a message for the user (``.message``)."""

    default_message = Msg("データベースでエラーが発生しました。", "A database error occurred.")

    def __init__(self, message: Msg | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message.en)


class DatabaseLockedError(StoreError):
    default_message = Msg(
        "他のプログラムがデータベースを使用中です。しばらく待ってからもう一度お試しください。"
        "解決しない場合は、dxdesk を二重に起動していないか確認してください。",
        "Another program is using the database. Wait a moment and try again; "
        "if it persists, check that dxdesk is not running twice.",
    )


class DatabaseInUseError(StoreError):
    """Another process (a running dxdesk, or a CLI command like restore) holds the instance lock."""

    default_message = Msg(
        "dxdesk は既にこのパソコンで起動しています。開いている dxdesk の画面を使ってください。"
        "画面が見当たらない場合は、パソコンを再起動してからもう一度お試しください。",
        "dxdesk is already running on this PC with this data folder (or a 'dxdesk db' command is using it); "
        "use the running one, or close it and try again.",
    )


class DiskFullError(StoreError):
    default_message = Msg(
        "ディスクの空き容量が不足しているため保存できませんでした。不要なファイルを削除してから再度保存してください。"
        "入力内容は保存されていません。",
        "The disk is full, so nothing was saved. Free some disk space and save again.",
    )


class DatabaseCorruptError(StoreError):
    default_message = Msg(
        "データベースファイルが壊れています。管理者に連絡し、バックアップから復元してください（dxdesk db restore）。",
        "The database file is damaged. Restore it from a backup (dxdesk db restore).",
    )


class EncryptionKeyError(StoreError):
    default_message = Msg(
        "暗号化キーが見つからないため個人情報を読み出せません。管理者に連絡してください。",
        "The encryption key for personal data is missing; personal fields cannot be read.",
    )


class SchemaTooNewError(StoreError):
    default_message = Msg(
        "このデータベースは新しいバージョンの dxdesk で作成されています。dxdesk を更新してください。",
        "This database was created by a newer dxdesk. Update dxdesk.",
    )


class AppendOnlyError(StoreError):
    default_message = Msg(
        "監査ログは変更・削除できません。",
        "Audit events are append-only and cannot be changed or deleted.",
    )


_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"}
_CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_SEQUENCE", "SQLITE_CORRUPT_VTAB"}


def translate_error(exc: BaseException) -> BaseException:
    """Return the StoreError matching ``exc``, or ``exc`` itself when it is not a storage condition."""
    if isinstance(exc, StoreError):
        return exc
    orig: BaseException | None = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "") or ""
        text = str(orig).lower()
        if name in _BUSY or "database is locked" in text:
            return DatabaseLockedError()
        if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
            return DiskFullError()
        if name in _CORRUPT or "malformed" in text or "not a database" in text:
            return DatabaseCorruptError()
        if name.startswith("SQLITE_IOERR") and "disk" in text:
            return DiskFullError()
    if isinstance(orig, OSError) and orig.errno == errno.ENOSPC:
        return DiskFullError()
    return exc
