"""Store errors that carry a bilingual message, and translation of driver errors into them.

The UI shows ``exc.message`` in its language; the CLI and logs use ``str(exc)`` (English). Driver
errors are mapped by SQLite result-code name (Python 3.11+ exposes it), never by
parsing text that might contain record data.
"""
from __future__ import annotations

import errno
import sqlite3
import sys

from dxdesk.errors import DxError
from dxdesk.i18n import Msg


class StoreError(DxError):
    """A storage problem with a message for the user (``.message``)."""

    default_message = Msg("データベースでエラーが発生しました。", "A database error occurred.")


class DatabaseLockedError(StoreError):
    """Another program holds a lock on the database file for longer than the busy timeout."""

    default_message = Msg(
        "ほかのプログラムがデータベースファイルを使用中のため、処理できませんでした。入力内容は保存されていません。"
        "しばらく待ってからもう一度お試しください。続く場合は、データベースファイルを開いているプログラム"
        "（バックアップやウイルス検査、データベースを開くツール、二重に起動した dxdesk など）を閉じてください。",
        "Another program is holding the database file, so nothing was done. Wait a moment and try again; "
        "if it persists, close the program that has the file open (a backup or virus scan, a database viewer, "
        "a second dxdesk).",
    )


class DatabaseReadOnlyError(StoreError):
    """The database file itself cannot be written (read-only attribute, permissions, a read-only copy)."""

    default_message = Msg(
        "データベースファイルが読み取り専用になっているため、記録できませんでした。入力内容は保存されていません。"
        "管理者に、データフォルダーの dxdesk.sqlite3 を書き込めるようにするよう依頼してください"
        "（場所は dxdesk doctor で確認できます）。",
        "The database file is read-only, so nothing could be recorded (nothing was saved). Make dxdesk.sqlite3 "
        "in the data folder writable for the user running dxdesk ('dxdesk doctor' shows where it is), "
        "then try again.",
    )


class DataFolderReadOnlyError(StoreError):
    """The folder holding the database cannot be written, so SQLite cannot create its -wal/-shm files."""

    default_message = Msg(
        "データフォルダーに書き込めないため、データベースを開けません。"
        "管理者に、データフォルダーとその中のファイルを書き込めるようにするよう依頼してください"
        "（場所と状態は dxdesk doctor で確認できます）。",
        "The data folder cannot be written, so the database cannot be opened. Make the data folder and the "
        "files in it writable for the user running dxdesk ('dxdesk doctor' shows where it is and checks it), "
        "then try again.",
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


class DamagedRecordError(StoreError):
    """One stored value cannot be read back (fails decryption, or does not parse); the file itself is fine.

    Raised by the column types while loading, never with the value in the message.
    """

    default_message = Msg(
        "データベースの記録の一部が壊れているため、読み込めませんでした（値の形式が正しくありません）。"
        "何も変更していません。管理者に連絡してください。必要ならバックアップから復元します（dxdesk db restore）。",
        "A record in the database is damaged (a stored value cannot be read), so it cannot be used; "
        "nothing was changed. Tell the administrator; if needed, restore a backup (dxdesk db restore).",
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
# Read-only conditions that are about the folder (SQLite cannot create the -wal/-shm or journal beside the file).
_FOLDER = {"SQLITE_READONLY_DIRECTORY", "SQLITE_READONLY_CANTINIT", "SQLITE_READONLY_CANTLOCK"}


def translate_error(exc: BaseException) -> BaseException:
    """Return the StoreError matching ``exc``, or ``exc`` itself when it is not a storage condition.

    The one mapping from driver and OS errors to sentences: the store applies it where
    its reads, writes and opening fail, and the CLI and the window apply it again to
    anything that reached them some other way.
    """
    if isinstance(exc, StoreError):
        return exc
    # SQLAlchemy wraps the driver's error; not imported yet, nothing can have raised one of its errors
    # (and importing it here would cost the light callers, the window's first dialog, ~0.3 s).
    sa_exc = sys.modules.get("sqlalchemy.exc")
    orig: BaseException | None = exc.orig if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "") or ""
        text = str(orig).lower()
        if name in _BUSY or "database is locked" in text:
            return DatabaseLockedError()
        if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
            return DiskFullError()
        if name in _CORRUPT or "malformed" in text or "not a database" in text:
            return DatabaseCorruptError()
        if name in _FOLDER or name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
            return DataFolderReadOnlyError()
        if name.startswith("SQLITE_READONLY") or "readonly database" in text:
            return DatabaseReadOnlyError()
        if name.startswith("SQLITE_IOERR") and "disk" in text:
            return DiskFullError()
    if isinstance(orig, OSError) and orig.errno == errno.ENOSPC:
        return DiskFullError()
    return exc
