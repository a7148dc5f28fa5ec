"""Replication between the desk's SQLite and the central PostgreSQL.

Push: outbox entries are sent in outbox order, in batches. Each batch is one server
transaction of UUID upserts carrying the row's *current* local state; the entries
are marked sent only after that transaction has committed. If the app or network
dies in between, the next run sends the same batch again and the upserts make the
repeat harmless: nothing is lost, nothing is duplicated. Inside a batch the rows are
grouped per table (parents first, so the server's foreign keys hold) and each table
is one multi-row ``INSERT ... ON CONFLICT`` (executemany), not one statement per row.

Conflict rules (per table, see POLICIES):
- audit_events, visit_steps, forms_printed: append-only. ``ON CONFLICT DO NOTHING``;
  the first copy to arrive is the record (they are never edited after creation).
- visits, support_sessions: versioned by ``updated_at``. ``ON CONFLICT DO UPDATE ...
  WHERE excluded.updated_at >= table.updated_at``. Only the desk that created a
  record edits it (status, closing a follow-up, soft delete), so "last writer wins"
  only ever arbitrates between versions from the same desk.
- clerks, support_topics, venues, shared_settings: server-authoritative. A desk's
  edit is pushed with the same updated_at guard, then every desk pulls the
  server's rows and overwrites its local copy (unless it has an unsent change of
  that record, which is pushed first on the next run).

Pull: the authoritative tables plus other desks' support sessions (for town-wide
reports). Other desks' encrypted fields are not copied: this desk has no key for
them, and reports need no contact data. Pulls use a watermark on ``received_at``, a server-only
column stamped by a trigger from the server's clock on every insert and update, so a
desk that pushes days-old records after working offline is still seen by everyone; an
overlap window covers transactions that commit late, and re-pulled rows are
idempotent upserts.

docs/sync.md explains these rules and the guarantees for administrators.

Fault injection (tests/store/test_faults.py, ``python -m tools.bench sync``): a
``batch_hook(phase, batch_number)`` is called inside each batch's server transaction
("in-transaction") and after its commit, before the desk marks it sent
("after-commit"). It is None in normal use. The environment variable
``DXDESK_TEST_SYNC_STALL=<phase>:<n>`` installs a hook that announces itself on
stderr and then blocks forever at that point, so a test can kill -9 the sync
process at an exact moment; it is inert unless set and must never be set in production.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, cast

import sqlalchemy.exc as sa_exc
from sqlalchemy import column, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session

from dxdesk.config import StoreSettings
from dxdesk.i18n import Msg
from dxdesk.store.base import UTCDateTime, utcnow
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.store.database import Database
from dxdesk.store.errors import StoreError
from dxdesk.store.models import PUSHED_TABLES, Outbox, SyncState
from dxdesk.store.servertls import ServerTLS
from dxdesk.store.server import create_server_engine, encrypted_columns, prepare_server_schema, raw_table

log = logging.getLogger(__name__)

APPEND_ONLY, VERSIONED, AUTHORITATIVE = "append-only", "versioned", "server-authoritative"
POLICIES: dict[str, str] = {
    "audit_events": APPEND_ONLY, "visit_steps": APPEND_ONLY, "forms_printed": APPEND_ONLY,
    "visits": VERSIONED, "support_sessions": VERSIONED,
    "clerks": AUTHORITATIVE, "support_topics": AUTHORITATIVE, "venues": AUTHORITATIVE,
    "shared_settings": AUTHORITATIVE,
}
# Columns that belong to the desk, not the town: sent as the neutral value, never overwritten by a pull.
# A sign-in lockout is per desk (docs/accounts.md): unknown logins cannot lock town-wide, so a real
# login's lock showing up on the next desk would tell which logins are real.
DESK_LOCAL_COLUMNS: dict[str, dict[str, Any]] = {"clerks": {"failed_attempts": 0, "locked_until": None}}
PULLED_TABLES = ("clerks", "support_topics", "venues", "shared_settings", "support_sessions")
# Look-back for the pull cursor. The cursor is on one clock (the server's), so this covers only
# rows stamped by a server transaction that committed after a pull had already read past them.
PULL_OVERLAP = timedelta(hours=24)
# Server-only column (migration 0003) set by a trigger on every INSERT/UPDATE of a pulled table.
SERVER_RECEIVED_AT = "received_at"
SENT_RETENTION = timedelta(days=7)
_PUSH_STATE = "push"
_TABLE_ORDER = {name: i for i, name in enumerate(PUSHED_TABLES)}

BatchHook = Callable[[str, int], None]
# Decides which pulled account rows may be applied, inside the pull's writer transaction:
# (session, rows) -> (accepted rows, number refused). See dxdesk.security.accounttrust.AccountGate.
AccountGate = Callable[[Session, list[dict[str, Any]]], tuple[list[dict[str, Any]], int]]
HOOK_PHASES = ("in-transaction", "after-commit")
STALL_ENV = "DXDESK_TEST_SYNC_STALL"
STALL_ANNOUNCEMENT = "dxdesk-sync-stalled"


class SyncError(StoreError):
    pass


class ServerUnreachableError(SyncError):
    default_message = Msg(
        "サーバーに接続できません。このままオフラインで業務を続けられます（記録は後で送信されます）。",
        "Cannot reach the server. Work continues offline; records will be sent later.",
    )


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    table_name: str
    record_id: str
    op: str


@dataclass(frozen=True)
class SyncResult:
    sent: int  # outbox entries confirmed on the server
    pulled: int  # rows copied from the server
    pending: int  # outbox entries still waiting
    refused: int = 0  # server account rows refused (no valid town signature): not applied, audited


class SyncEngine:
    def __init__(self, db: Database, settings: StoreSettings, connectivity: ConnectivityState | None = None,
                 server_engine: Engine | None = None, password_lookup: Callable[[], str | None] | None = None,
                 batch_hook: BatchHook | None = None, account_gate: AccountGate | None = None) -> None:
        self.db = db
        self.settings = settings
        self.connectivity = connectivity or ConnectivityState(settings, db.pending_count, last_sync_time(db))
        self._server = server_engine
        self._password_lookup = password_lookup
        self._schema_ready = False
        self._lock = threading.Lock()  # one run at a time (scheduler vs "sync now")
        self.batch_hook = batch_hook or stall_hook_from_env()
        self.account_gate = account_gate or _default_account_gate(db)
        self._refused = 0

    def server(self) -> Engine:
        if self._server is None:
            if not self.settings.server_url:
                raise SyncError(Msg("サーバーが設定されていません。", "no server is configured"))
            password = self._password_lookup() if self._password_lookup else None
            self._server = create_server_engine(self.settings.server_url, password,
                                                ServerTLS.from_settings(self.settings))
        return self._server

    def run_once(self) -> SyncResult:
        """Push everything pending, then pull. Raises SyncError (connectivity is updated either way)."""
        with self._lock:
            try:
                result = self._run()
            except Exception as exc:
                error = self._as_sync_error(exc)
                self.connectivity.report_failure(error.message, reachable=not isinstance(error, ServerUnreachableError))
                self._record_state(error=error.message.en)
                if error is not exc:
                    raise error from exc
                raise
            now = utcnow()
            self.connectivity.report_success(now)
            self._record_state(when=now)
            return result

    def _run(self) -> SyncResult:
        server = self.server()
        if not self._schema_ready:
            prepare_server_schema(server)
            self._schema_ready = True
        sent = number = 0
        while True:
            batch = self._pending_batch()
            if not batch:
                break
            number += 1
            self._push_batch(server, batch, number)
            self._hook("after-commit", number)
            self._mark_sent([e.id for e in batch])
            sent += len(batch)
        self._refused = 0
        pulled = sum(self._pull_table(server, name) for name in PULLED_TABLES)
        return SyncResult(sent=sent, pulled=pulled, pending=self.db.pending_count(), refused=self._refused)

    # -- push ---------------------------------------------------------------------------------

    def _pending_batch(self) -> list[OutboxEntry]:
        stmt = (select(Outbox.id, Outbox.table_name, Outbox.record_id, Outbox.op)
                .where(Outbox.sent_at.is_(None)).order_by(Outbox.id).limit(self.settings.sync_batch_size))
        with self.db.session() as s:
            return [OutboxEntry(*row) for row in s.execute(stmt)]

    def _hook(self, phase: str, number: int) -> None:
        if self.batch_hook is not None:
            self.batch_hook(phase, number)

    def _push_batch(self, server: Engine, batch: list[OutboxEntry], number: int = 1) -> None:
        """Send one batch as one server transaction."""
        rows = self._local_rows(batch)
        upserts: dict[str, list[dict[str, Any]]] = {}
        deletes: dict[str, list[str]] = {}
        deleted = {(e.table_name, e.record_id) for e in batch if e.op == "delete"}
        seen: set[tuple[str, str]] = set()
        for entry in batch:
            key = (entry.table_name, entry.record_id)
            if key in seen:  # several edits of one record: its current state goes up once
                continue
            seen.add(key)
            row = rows.get(key)
            if row is not None:
                upserts.setdefault(entry.table_name, []).append(row)
            elif key in deleted:
                if POLICIES.get(entry.table_name) != APPEND_ONLY:
                    deletes.setdefault(entry.table_name, []).append(entry.record_id)
            # else: deleted locally after this entry; its delete entry comes in a later batch
        with server.begin() as conn:
            for name in sorted(upserts, key=_table_rank):  # parents first: server foreign keys
                self._upsert_server(conn, name, upserts[name])
            for name in sorted(deletes, key=_table_rank, reverse=True):  # children first
                table = raw_table(name)
                conn.execute(delete(table).where(table.c.id.in_(deletes[name])))
            self._hook("in-transaction", number)

    def _local_rows(self, batch: list[OutboxEntry]) -> dict[tuple[str, str], dict[str, Any]]:
        wanted: dict[str, set[str]] = {}
        for entry in batch:
            wanted.setdefault(entry.table_name, set()).add(entry.record_id)
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        with self.db.engine.connect() as conn:
            for name, ids in wanted.items():
                table = raw_table(name)
                for row in conn.execute(select(table).where(table.c.id.in_(ids))).mappings():
                    rows[(name, row["id"])] = self._outgoing(name, dict(row))
        return rows

    def _outgoing(self, name: str, row: dict[str, Any]) -> dict[str, Any]:
        """What leaves the desk for ``row``: without the support note when notes stay on the desk."""
        if name == "support_sessions" and self.settings.keep_support_notes_on_desk:
            row["note"] = ""  # also blanks a note this record sent before the setting was switched on
        for col, neutral in DESK_LOCAL_COLUMNS.get(name, {}).items():
            row[col] = neutral
        return row

    @staticmethod
    def _upsert_server(conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
        """Upsert rows of one table (all with the same columns) in one executemany."""
        table = raw_table(name)
        stmt = pg_insert(table)
        if POLICIES[name] == APPEND_ONLY:
            stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
        else:
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"},
                where=stmt.excluded.updated_at >= table.c.updated_at,
            )
        conn.execute(stmt, rows)

    def _mark_sent(self, ids: list[int]) -> None:
        when = utcnow()

        def mark(s: Session) -> None:
            s.execute(update(Outbox).where(Outbox.id.in_(ids)).values(sent_at=when))
            # Sent entries are kept a while for troubleshooting, then dropped so the queue stays small.
            s.execute(delete(Outbox).where(Outbox.sent_at < when - SENT_RETENTION))
        self.db.writer.run(mark)

    # -- pull ---------------------------------------------------------------------------------

    def _pull_table(self, server: Engine, name: str) -> int:
        table = raw_table(name)
        state_name = f"pull:{name}"
        with self.db.session() as s:
            state = s.get(SyncState, state_name)
            watermark = state.pulled_until if state else None
        # The cursor is the server's arrival stamp, never the desks' updated_at: a desk that was
        # offline for days sends rows whose updated_at is far behind everyone's watermark.
        received = column(SERVER_RECEIVED_AT, UTCDateTime())
        stmt = select(table, received.label(SERVER_RECEIVED_AT)).order_by(received, table.c.id)
        if watermark is not None:
            stmt = stmt.where(received > watermark - PULL_OVERLAP)
        if name == "support_sessions":
            stmt = stmt.where(table.c.desk_id != self.db.desk_id)
        with server.connect() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
        if not rows:
            return 0
        secret = encrypted_columns(name)
        authoritative = POLICIES[name] == AUTHORITATIVE
        newest = max(r.pop(SERVER_RECEIVED_AT) for r in rows)

        def apply(s: Session) -> int:
            unsent = set(s.scalars(select(Outbox.record_id).where(
                Outbox.table_name == name, Outbox.sent_at.is_(None))))
            count = 0
            accepted = rows
            if name == "clerks":  # accounts only with the town's signature (the server is not trusted)
                accepted, refused = self.account_gate(s, [r for r in rows if r["id"] not in unsent])
                self._refused += refused
            for row in accepted:
                if row["id"] in unsent:  # local change not yet pushed: keep it; it goes up next run
                    continue
                if row["desk_id"] != self.db.desk_id:
                    for col in secret:  # another desk's ciphertext: unreadable here and not needed
                        row[col] = None
                stmt = sqlite_insert(table).values(**row)
                keep = DESK_LOCAL_COLUMNS.get(name, {})
                set_ = {c: stmt.excluded[c] for c in row if c != "id" and c not in keep}
                stmt = stmt.on_conflict_do_update(
                    index_elements=["id"], set_=set_,
                    where=None if authoritative else stmt.excluded.updated_at >= table.c.updated_at,
                )
                count += cast("CursorResult[Any]", s.execute(stmt)).rowcount or 0
            current = s.get(SyncState, state_name) or SyncState(name=state_name)
            if current.pulled_until is None or newest > current.pulled_until:
                current.pulled_until = newest
            s.add(current)
            return count

        return self.db.writer.run(apply)

    # -- bookkeeping ------------------------------------------------------------------------------

    def _record_state(self, when: datetime | None = None, error: str | None = None) -> None:
        def write(s: Session) -> None:
            state = s.get(SyncState, _PUSH_STATE) or SyncState(name=_PUSH_STATE)
            if when is not None:
                state.last_sync_at = when
            state.last_error = error
            s.add(state)
        try:
            self.db.writer.run(write)
        except StoreError as exc:  # status bookkeeping must not hide the sync outcome
            log.warning("could not record sync state: %s", exc)

    @staticmethod
    def _as_sync_error(exc: Exception) -> StoreError:
        if isinstance(exc, StoreError):
            return exc
        if isinstance(exc, sa_exc.OperationalError) and _is_tls_failure(exc):
            # Not "offline": someone may be posing as the server. Said plainly, never retried silently.
            log.error("server TLS check failed: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
            return SyncError(MSG_TLS_FAILED)
        if isinstance(exc, sa_exc.OperationalError) and _is_connection_failure(exc):
            log.info("server unreachable: %s", type(exc.orig).__name__ if exc.orig else exc)
            return ServerUnreachableError()
        if isinstance(exc, sa_exc.IntegrityError):
            log.error("server refused a record: %s", exc.orig)
            return SyncError(Msg(
                "サーバーが記録を受け付けませんでした（重複するログイン名やキーなど）。管理者に連絡してください。",
                f"the server refused a record (duplicate login or key?): {type(exc.orig).__name__}",
            ))
        if isinstance(exc, sa_exc.DBAPIError):
            log.error("sync failed: %s", exc)
            return SyncError(Msg("サーバーとの同期に失敗しました。", f"sync failed: {type(exc.orig).__name__}"))
        raise exc


def _default_account_gate(db: Database) -> AccountGate:
    # Imported here: the store is below dxdesk.security, which builds on it. Every engine gets the
    # gate, so no caller can forget it and trust the server's accounts by omission.
    from dxdesk.security.accounttrust import AccountGate as TownAccountGate

    return TownAccountGate(db)


def _table_rank(name: str) -> int:
    return _TABLE_ORDER.get(name, len(_TABLE_ORDER))


def stall_hook_from_env() -> BatchHook | None:
    """The kill -9 test hook (see the module docstring); None unless DXDESK_TEST_SYNC_STALL is set."""
    spec = os.environ.get(STALL_ENV, "").strip()
    if not spec:
        return None
    phase, _, number = spec.partition(":")
    if phase not in HOOK_PHASES or not number.isdigit():
        log.warning("ignoring %s=%r (expected <%s>:<batch number>)", STALL_ENV, spec, "|".join(HOOK_PHASES))
        return None
    log.warning("%s is set: sync will stall at %s of batch %s (test hook)", STALL_ENV, phase, number)

    def stall(at_phase: str, at_number: int) -> None:
        if (at_phase, at_number) == (phase, int(number)):
            sys.stderr.write(f"{STALL_ANNOUNCEMENT} {at_phase} {at_number}\n")
            sys.stderr.flush()
            threading.Event().wait()  # until the test kills this process
    return stall


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


def last_sync_time(db: Database) -> datetime | None:
    with db.session() as s:
        state = s.get(SyncState, _PUSH_STATE)
        return state.last_sync_at if state else None


class SyncScheduler:
    """Runs ``engine.run_once()`` every ``sync_interval_s`` on a background thread.

    ``trigger()`` asks for a run now (e.g. after saving a record, or "sync now");
    ``stop()`` wakes the thread and joins it. Skips runs while the mode is manual
    offline or disabled. ``on_result`` (if given) is called on this thread after
    each attempt with the result or the error; the UI re-posts it to the GUI thread.
    """

    def __init__(self, engine: SyncEngine,
                 on_result: Callable[[SyncResult | None, StoreError | None], None] | None = None) -> None:
        self.engine = engine
        self.on_result = on_result
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dxdesk-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def trigger(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.engine.connectivity.should_sync():
                result: SyncResult | None = None
                error: StoreError | None = None
                try:
                    result = self.engine.run_once()
                except StoreError as exc:
                    error = exc
                except Exception:  # keep the thread alive; the failure is in the log with its traceback
                    log.exception("unexpected sync failure")
                    error = SyncError()
                if self.on_result is not None:
                    self.on_result(result, error)
            self._wake.wait(max(1, self.engine.settings.sync_interval_s))
            self._wake.clear()
