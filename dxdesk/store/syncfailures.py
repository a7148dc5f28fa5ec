"""What can go wrong in a sync, told apart for the people who must act on it.

- The errors a failed sync raises, each with the short ``status_label`` the status bar and
  the home page show (never "Online" while sync fails): server unreachable (plain offline),
  authentication refused, TLS failure, a server schema newer than this dxdesk, a record
  refused, anything unexpected (``as_sync_error``).
- ``refusal_reason``: whether the server refused the *data* (then the record is set aside,
  see ``SyncEngine._push_or_set_aside``) rather than failed; ``set_aside_records`` lists them.
"""
from __future__ import annotations

import logging

import sqlalchemy.exc as sa_exc
from sqlalchemy import select

from dxdesk.i18n import Msg
from dxdesk.store.database import Database
from dxdesk.store.errors import SchemaTooNewError, StoreError
from dxdesk.store.models import Outbox

log = logging.getLogger("dxdesk.store.sync")  # one logger name for everything sync reports


class SyncError(StoreError):
    """A failed sync. ``status_label`` is the short text the status bar and home page show."""

    status_label = Msg("同期エラー", "Sync error")


class ServerUnreachableError(SyncError):
    default_message = Msg(
        "サーバーに接続できません。このままオフラインで業務を続けられます（記録は後で送信されます）。",
        "Cannot reach the server. Work continues offline; records will be sent later.",
    )


class SyncAuthError(SyncError):
    status_label = Msg("同期エラー: サーバーの認証に失敗", "Sync error: server sign-in refused")
    default_message = Msg(
        "サーバーへの接続が認証で拒否されました。記録はこの端末に保存されています。"
        "管理者がサーバーのユーザー名とパスワードを確認してください（dxdesk db set-server）。",
        "The server refused the sign-in (user name or password). Records stay on this desk; "
        "check the server account (dxdesk db set-server).",
    )


class SyncTlsError(SyncError):
    status_label = Msg("同期エラー: 暗号化接続（TLS）", "Sync error: TLS")
    default_message = Msg(
        "サーバーとの暗号化接続（TLS）を確立できません。記録はこの端末に保存されています。"
        "管理者がサーバーの証明書と設定を確認してください。",
        "The encrypted connection (TLS) to the server failed. Records stay on this desk; "
        "check the server's certificate and TLS settings.",
    )


class ServerSchemaTooNewError(SyncError):
    status_label = Msg("同期エラー: サーバーが新しい版", "Sync error: server schema is newer")
    default_message = Msg(
        "サーバーのデータベースは新しい版の dxdesk 用です。この端末の dxdesk を更新してください。"
        "記録はこの端末に保存されています。",
        "The server's database was set up by a newer dxdesk. Update dxdesk on this desk; records stay here.",
    )


class SyncRefusedError(SyncError):
    status_label = Msg("同期エラー: サーバーが記録を拒否", "Sync error: refused by the server")


def as_sync_error(exc: Exception) -> StoreError:
    """The error to show for a failed sync: auth, TLS, unreachable, refused, newer server schema or other."""
    if isinstance(exc, SchemaTooNewError):
        return ServerSchemaTooNewError()
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sa_exc.OperationalError):
        text = str(exc.orig).lower()
        if any(s in text for s in ("password authentication failed", "no pg_hba.conf entry",
                                   "authentication failed", "role \"", "no password supplied")):
            log.error("server authentication failed: %s", type(exc.orig).__name__)
            return SyncAuthError()
    if isinstance(exc, sa_exc.OperationalError) and _is_tls_failure(exc):
        # Not "offline": someone may be posing as the server. Said plainly, never retried silently.
        log.error("server TLS check failed: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return SyncTlsError(MSG_TLS_FAILED)
    if isinstance(exc, sa_exc.OperationalError) and _is_connection_failure(exc):
        log.info("server unreachable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return ServerUnreachableError()
    if isinstance(exc, sa_exc.IntegrityError):
        log.error("server refused a record: %s", type(exc.orig).__name__)
        return SyncRefusedError(Msg(
            "サーバーが記録を受け付けませんでした（重複するログイン名やキーなど）。管理者に連絡してください。",
            f"the server refused a record (duplicate login or key?): {type(exc.orig).__name__}",
        ))
    if isinstance(exc, sa_exc.DBAPIError):
        # Not the exception text: it may quote the statement's parameters (record data).
        log.error("sync failed: %s (SQLSTATE %s)", type(exc.orig).__name__, getattr(exc.orig, "sqlstate", None))
        return SyncError(Msg("サーバーとの同期に失敗しました。", f"sync failed: {type(exc.orig).__name__}"))
    # Anything else is a bug (logged by whoever catches it), but the status must still say that
    # sync is failing, never "Online".
    return SyncError(Msg("同期中に予期しないエラーが発生しました。管理者に連絡してください（ログに詳細があります）。",
                         f"unexpected sync failure: {type(exc).__name__} (details in the log)"))


MSG_TLS_FAILED = Msg(
    "サーバーの証明書を確認できないため接続しませんでした。町の CA 証明書（またはサーバー証明書の固定）の設定を"
    "管理者に確認してください。",
    "did not connect: the server's certificate could not be verified (check the town CA or the pinned "
    "certificate with dxdesk db status / db set-server)",
)


def _is_tls_failure(exc: sa_exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(s in text for s in ("certificate verify failed", "server certificate", "ssl error",
                                   "does not match host name", "sslmode value", "root certificate file",
                                   "server does not support ssl"))


def _is_connection_failure(exc: sa_exc.OperationalError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(s in text for s in ("connection", "timeout", "could not translate host", "server closed"))


# SQLSTATE classes meaning "the server refuses this data" (not "the server or network failed").
_REFUSAL_CLASSES = {"22": "invalid value", "23": "constraint violated"}
_REFUSAL_STATES = {
    "23505": "duplicate value", "23503": "missing referenced record", "23514": "check failed",
    "23502": "missing value", "P0001": "refused by a server rule",
}


def refusal_reason(exc: sa_exc.DBAPIError) -> str | None:
    """A short reason when the server refused the data itself, else None.

    Built from the SQLSTATE and the constraint/table name only: PostgreSQL's detail text
    ("Key (login)=(yamada) exists") can carry record data and is never kept.
    """
    orig = exc.orig
    state = str(getattr(orig, "sqlstate", "") or "")
    kind = _REFUSAL_STATES.get(state) or _REFUSAL_CLASSES.get(state[:2])
    if kind is None:
        return None
    diag = getattr(orig, "diag", None)
    where = getattr(diag, "constraint_name", None) or getattr(diag, "table_name", None)
    return f"{kind} ({where}, SQLSTATE {state})" if where else f"{kind} (SQLSTATE {state})"


def set_aside_records(db: Database) -> list[tuple[str, str, str]]:
    """(table, record id, reason) of every set-aside record, for ``db status``, ``doctor`` and the UI."""
    stmt = (select(Outbox.table_name, Outbox.record_id, Outbox.set_aside_reason)
            .where(Outbox.sent_at.is_(None), Outbox.set_aside_at.is_not(None)).order_by(Outbox.id))
    seen: dict[tuple[str, str], str] = {}
    with db.session() as s:
        for table, record, reason in s.execute(stmt):
            seen[(table, record)] = reason or ""
    return [(table, record, reason) for (table, record), reason in seen.items()]
