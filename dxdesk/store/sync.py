"""Replication between the desk's SQLite and the central PostgreSQL.

Push: outbox entries are sent in outbox order, in batches. Each batch is one server
transaction of UUID upserts carrying the row's *current* local state; the entries
are marked sent only after that transaction has committed. If the app or network
dies in between, the next run sends the same batch again and the upserts make the
repeat harmless: nothing is lost, nothing is duplicated. Inside a batch the rows are
grouped per table (parents first, so the server's foreign keys hold); each table goes
up as one ``COPY`` into a temporary table and one ``INSERT ... SELECT ... ON CONFLICT``
(syncpush.py), with the rows read straight from SQLite, never as ORM objects.

Conflict rules (per table, see syncpolicy.POLICIES):
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
them, and reports need no contact data. Pulls use an exact server-side cursor: each
row carries the id of the server transaction that last wrote it (``server_xid``, set
by a trigger), and the cursor is the previous pull's snapshot ``xmin``. A desk that
pushes days-old records after working offline is still seen by everyone, a
transaction that commits late is not missed, and a no-op sync reads and writes nothing.

Refused records: a batch the server refuses (a constraint, a bad value) is halved until
the refused record is found; it is set aside with its reason (``outbox.set_aside_*``)
and the rest of the queue goes on. ``dxdesk sync --retry-set-aside`` resends.

docs/sync.md explains these rules and the guarantees for administrators.

Fault injection: ``batch_hook`` (synchook.py) is called inside each batch's server
transaction and after its commit; the background loop is syncscheduler.py.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, cast

import sqlalchemy.exc as sa_exc
from sqlalchemy import column, delete, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from dxdesk.config import StoreSettings
from dxdesk.i18n import Msg
from dxdesk.store.base import utcnow
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.store.database import Database
from dxdesk.store.errors import StoreError
from dxdesk.store.escrow import ensure_wrapped_keys
from dxdesk.store.models import Outbox, SharedSetting, SyncState
from dxdesk.store.servertls import ServerTLS
from dxdesk.store.session import queuing, start_queuing
from dxdesk.store.synchook import HOOK_PHASES, STALL_ANNOUNCEMENT, STALL_ENV, BatchHook, stall_hook_from_env
from dxdesk.store.syncscheduler import SyncScheduler
from dxdesk.store.syncpolicy import (
    APPEND_ONLY,
    AUTHORITATIVE,
    DESK_LOCAL_COLUMNS,
    POLICIES,
    PULLED_TABLES,
    SERVER_XID,
    table_rank,
    table_shape_of,
)
from dxdesk.store.syncpush import Row, TableShape, read_local_rows, send_rows, sqlite_driver_connection
from dxdesk.store.server import create_server_engine, encrypted_columns, prepare_server_schema, raw_table
from dxdesk.store.syncfailures import (
    ServerSchemaTooNewError,
    ServerUnreachableError,
    SyncAuthError,
    SyncError,
    SyncRefusedError,
    SyncTlsError,
    MSG_TLS_FAILED,
    as_sync_error,
    refusal_reason,
    set_aside_records,
)

log = logging.getLogger(__name__)

__all__ = [  # the failure types live in syncfailures.py; callers keep importing them from here
    "ServerSchemaTooNewError", "ServerUnreachableError", "SyncAuthError", "SyncError", "SyncRefusedError",
    "SyncTlsError", "set_aside_records", "MSG_TLS_FAILED", "SyncEngine", "SyncResult", "SyncScheduler",
    "BatchHook", "HOOK_PHASES", "STALL_ENV", "STALL_ANNOUNCEMENT", "stall_hook_from_env",
]

SENT_RETENTION = timedelta(days=7)
STATE_REFRESH = timedelta(minutes=10)  # how stale the stored "last sync" may get before a no-op sync rewrites it
_PUSH_STATE = "push"

# Decides which pulled account rows may be applied, inside the pull's writer transaction:
# (session, rows) -> (accepted rows, number refused). See dxdesk.security.accounttrust.AccountGate.
AccountGate = Callable[[Session, list[dict[str, Any]]], tuple[list[dict[str, Any]], int]]


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
    set_aside: int = 0  # records the server refused (all of them, not only this run's)
    refused: int = 0  # server account rows refused (no valid town signature): not applied, audited


class SyncEngine:
    def __init__(self, db: Database, settings: StoreSettings, connectivity: ConnectivityState | None = None,
                 server_engine: Engine | None = None, password_lookup: Callable[[], str | None] | None = None,
                 batch_hook: BatchHook | None = None, desk_name: str = "",
                 account_gate: AccountGate | None = None,
                 destination_check: Callable[[], None] | None = None) -> None:
        if getattr(db, "training", False):
            # 研修モード: fictional records must never reach a town's server.
            raise SyncError(Msg("研修モードのデータは送信しません。", "training mode never syncs"))
        self.db = db
        self.desk_name = desk_name.strip()  # published town-wide so other desks can name this desk's records
        self.settings = settings
        self.connectivity = connectivity or ConnectivityState(settings, db.pending_count, last_sync_time(db),
                                                              set_aside_count=db.set_aside_count)
        self._server = server_engine
        self._password_lookup = password_lookup
        self._schema_ready = False
        self._lock = threading.Lock()  # one run at a time (scheduler vs "sync now")
        self.batch_hook = batch_hook or stall_hook_from_env()
        self.account_gate = account_gate or _default_account_gate(db)
        # Raises (a StoreError, shown as the sync status) when the server is not one an administrator chose.
        self._destination_check = destination_check
        self._refused = 0
        self._marking: Future[None] | None = None  # the last batch's "sent" mark, still on the writer thread

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
                try:
                    result = self._run()
                finally:
                    self._settle_marks()
            except Exception as exc:
                error = as_sync_error(exc)
                unreachable = isinstance(error, ServerUnreachableError)
                label = None if unreachable else getattr(error, "status_label", SyncError.status_label)
                self.connectivity.report_failure(error.message, reachable=not unreachable, problem=label)
                self._record_state(error=error.message.en)
                if error is not exc and isinstance(exc, (StoreError, sa_exc.DBAPIError)):
                    raise error from exc
                raise  # anything else (a bug, a test's crash) goes up as it is, after the status says so
            now = utcnow()
            self.connectivity.report_success(now)
            if result.sent or result.pulled or self._state_stale(now):
                self._record_state(when=now)
            return result

    def _run(self) -> SyncResult:
        if self._destination_check is not None:
            self._destination_check()  # before any connection: nothing goes to a server nobody chose
        self._ensure_queuing()
        server = self.server()
        if not self._schema_ready:
            prepare_server_schema(server)
            self._schema_ready = True
        self._publish_desk_name()
        sent = number = after = 0
        while True:
            # Every entry up to the previous batch's last id is now sent or set aside, so the next
            # batch starts after it: a rowid range, not a scan over all the sent entries each time
            # (that made a first sync of 500,000 entries quadratic).
            batch = self._pending_batch(after)
            if not batch:
                break
            number += 1
            sent += self._push_or_set_aside(server, batch, number)
            after = batch[-1].id
        self._settle_marks()  # the pull skips records with unsent changes: the queue must be current
        self._refused = 0
        pulled = self._pull(server)
        if ensure_wrapped_keys(self.db):  # e.g. the town recovery key just arrived: send the wrapped keys now
            while batch := self._pending_batch():
                number += 1
                sent += self._push_or_set_aside(server, batch, number)
                self._settle_marks()  # the next look at the queue must see this batch as sent
        if sent:
            self._drop_old_sent()
        return SyncResult(sent=sent, pulled=pulled, pending=self.db.pending_count(),
                          set_aside=self.db.set_aside_count(), refused=self._refused)

    def _publish_desk_name(self) -> None:
        """Keep ``shared_settings["desk.name.<desk id>"]`` equal to this desk's name (one row per desk).

        Other desks show it on this desk's records, which are read-only for them.
        """
        if not self.desk_name:
            return
        key, name = f"desk.name.{self.db.desk_id}", self.desk_name

        def publish(s: Session) -> None:
            row = s.scalar(select(SharedSetting).where(SharedSetting.key == key))
            if row is None:
                s.add(SharedSetting(key=key, value=name))
            elif row.value != name:
                row.value, row.version = name, row.version + 1
        with self.db.session() as s:
            current = s.scalar(select(SharedSetting.value).where(SharedSetting.key == key))
        if current != name:
            self.db.writer.run(publish)

    def _ensure_queuing(self) -> None:
        """A desk that syncs has a server: if nothing switched queuing on yet, do it now (once).

        ``db set-server`` and ``db join`` do it with their audit event; this covers any other way
        a server came to be used, so no record written before is ever left behind.
        """
        with self.db.session() as s:
            if queuing(s):
                return
        queued = self.db.writer.run(start_queuing, timeout=None)
        log.info("queuing for the server switched on: %d existing records enqueued", queued)

    def retry_set_aside(self) -> int:
        """Put every set-aside record back in the queue (after the cause was fixed); returns how many entries."""
        def clear(s: Session) -> int:
            result = s.execute(update(Outbox).where(Outbox.sent_at.is_(None), Outbox.set_aside_at.is_not(None))
                               .values(set_aside_at=None, set_aside_reason=None))
            return cast("CursorResult[Any]", result).rowcount or 0
        return int(self.db.writer.run(clear))

    # -- push ---------------------------------------------------------------------------------

    def _push_or_set_aside(self, server: Engine, batch: list[OutboxEntry], number: int) -> int:
        """Push ``batch``; if the server refuses it, find the refused record(s) by halving and set them aside.

        A refusal is the server rejecting the data (a constraint, a bad value, a trigger),
        not a lost connection or a server fault: those still fail the whole run, so a
        flaky network never sets records aside. Returns the entries confirmed sent.
        """
        try:
            self._push_batch(server, batch, number)
        except sa_exc.DBAPIError as exc:
            reason = refusal_reason(exc)
            if reason is None:
                raise
            groups: dict[tuple[str, str], list[OutboxEntry]] = {}
            for entry in batch:
                groups.setdefault((entry.table_name, entry.record_id), []).append(entry)
            if len(groups) == 1:
                self._set_aside(batch, reason)
                return 0
            records = list(groups.values())
            middle = len(records) // 2
            return sum(self._push_or_set_aside(server, [e for group in part for e in group], number)
                       for part in (records[:middle], records[middle:]))
        self._hook("after-commit", number)
        self._mark_sent([e.id for e in batch])
        return len(batch)

    def _set_aside(self, entries: list[OutboxEntry], reason: str) -> None:
        entry = entries[0]
        log.error("server refused %s %s: %s; set aside (dxdesk sync --retry-set-aside after a fix)",
                  entry.table_name, entry.record_id, reason)
        when = utcnow()

        def mark(s: Session) -> None:
            s.execute(update(Outbox).where(Outbox.id.in_([e.id for e in entries]))
                      .values(set_aside_at=when, set_aside_reason=reason))
        self.db.writer.run(mark)

    def _pending_batch(self, after: int = 0) -> list[OutboxEntry]:
        with self.db.engine.connect() as conn:  # the driver's cursor: no ORM objects for a queue read
            rows = sqlite_driver_connection(conn).execute(
                "SELECT id, table_name, record_id, op FROM outbox WHERE id > ? AND sent_at IS NULL"
                " AND set_aside_at IS NULL ORDER BY id LIMIT ?", (after, self.settings.sync_batch_size)).fetchall()
        return [OutboxEntry(*row) for row in rows]

    def _hook(self, phase: str, number: int) -> None:
        if self.batch_hook is not None:
            self.batch_hook(phase, number)

    def _push_batch(self, server: Engine, batch: list[OutboxEntry], number: int = 1) -> None:
        """Send one batch as one server transaction (COPY + one upsert per table, see syncpush.py)."""
        rows = self._local_rows(batch)
        upserts: dict[str, list[Row]] = {}
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
            send_rows(conn,
                      [(table_shape_of(name), upserts[name]) for name in sorted(upserts, key=table_rank)],  # parents first
                      [(name, deletes[name]) for name in sorted(deletes, key=table_rank, reverse=True)])
            self._settle_marks()  # the previous batch is confirmed before this one can commit
            self._hook("in-transaction", number)

    def _local_rows(self, batch: list[OutboxEntry]) -> dict[tuple[str, str], Row]:
        wanted: dict[str, dict[str, None]] = {}  # table -> record ids, each once
        for entry in batch:
            wanted.setdefault(entry.table_name, {})[entry.record_id] = None
        rows: dict[tuple[str, str], Row] = {}
        with self.db.engine.connect() as conn:
            driver = sqlite_driver_connection(conn)
            for name, ids in wanted.items():
                shape = table_shape_of(name)
                for record_id, row in read_local_rows(driver, shape, list(ids)).items():
                    rows[(name, record_id)] = self._outgoing(shape, row)
        return rows

    def _outgoing(self, shape: TableShape, row: Row) -> Row:
        """What leaves the desk for ``row``: without the support note when notes stay on the desk."""
        neutral = dict(DESK_LOCAL_COLUMNS.get(shape.name, {}))
        if shape.name == "support_sessions" and self.settings.keep_support_notes_on_desk:
            neutral["note"] = ""  # also blanks a note this record sent before the setting was switched on
        if not neutral:
            return row
        values = list(row)
        for col, value in neutral.items():
            values[shape.index(col)] = value
        return tuple(values)

    def _mark_sent(self, ids: list[int]) -> None:
        """Mark a committed batch sent, on the writer thread while the next batch is read and sent.

        At most one mark is in flight: it is settled inside the next batch's server transaction
        (before that batch can commit or a hook can stop the run) and before anything reads the
        queue, so a batch is never confirmed on the desk before the server has it, and every
        earlier batch is confirmed when a later one is interrupted.
        """
        self._settle_marks()
        when = utcnow()

        def mark(s: Session) -> None:
            s.execute(update(Outbox).where(Outbox.id.in_(ids)).values(sent_at=when))
        self._marking = self.db.writer.submit(mark)

    def _settle_marks(self) -> None:
        marking, self._marking = self._marking, None
        if marking is not None:
            marking.result(60.0)

    def _drop_old_sent(self) -> None:
        """Sent entries are kept a while for troubleshooting, then dropped so the queue stays small."""
        before = utcnow() - SENT_RETENTION

        def drop(s: Session) -> None:
            s.execute(delete(Outbox).where(Outbox.sent_at < before))
        self.db.writer.run(drop)

    # -- pull ---------------------------------------------------------------------------------

    def _pull(self, server: Engine) -> int:
        """Copy what changed on the server since the last pull: one snapshot for all tables.

        The cursor is the previous pull's snapshot ``xmin`` (every server transaction with a
        lower id had finished, so its rows were seen then); rows carry the id of the
        transaction that last wrote them (``server_xid``, migration 0005). So a pull reads
        exactly the rows written since, however late their transaction committed, and a
        no-op sync reads no row and writes nothing.
        """
        with self.db.session() as s:
            cursors = {row.name.removeprefix("pull:"): row.pulled_xid for row in s.scalars(
                select(SyncState).where(SyncState.name.in_([f"pull:{n}" for n in PULLED_TABLES])))}
        fetched: dict[str, list[dict[str, Any]]] = {}
        with server.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for every table
            with conn.begin():
                xmin = int(conn.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")).scalar_one())
                for name in PULLED_TABLES:
                    table = raw_table(name)
                    stmt = select(table).order_by(table.c.id)
                    cursor = cursors.get(name)
                    if cursor is not None:
                        stmt = stmt.where(column(SERVER_XID) >= text(f"'{int(cursor)}'::xid8"))
                    if name == "support_sessions":
                        stmt = stmt.where(table.c.desk_id != self.db.desk_id)
                    fetched[name] = [dict(r) for r in conn.execute(stmt).mappings()]
        pulled = 0
        for name in PULLED_TABLES:
            if fetched[name] or cursors.get(name) is None:
                pulled += self._apply_pulled(name, fetched[name], xmin)
        return pulled

    def _apply_pulled(self, name: str, rows: list[dict[str, Any]], xmin: int) -> int:
        table = raw_table(name)
        state_name = f"pull:{name}"
        secret = encrypted_columns(name)
        authoritative = POLICIES[name] == AUTHORITATIVE

        def apply(s: Session) -> int:
            unsent = set(s.scalars(select(Outbox.record_id).where(
                Outbox.table_name == name, Outbox.sent_at.is_(None))))
            fresh = [row for row in rows if row["id"] not in unsent]  # unsent local change: it goes up next run
            skipped = len(fresh) < len(rows)
            if name == "clerks" and fresh:  # accounts only with the town's signature (the server is not trusted)
                fresh, refused = self.account_gate(s, fresh)
                self._refused += refused
            for row in fresh:
                if row["desk_id"] != self.db.desk_id:
                    for col in secret:  # another desk's ciphertext: unreadable here and not needed
                        row[col] = None
            count = 0
            if fresh:
                # One statement for all rows (executemany), not one compiled statement per row.
                stmt = sqlite_insert(table)
                local = DESK_LOCAL_COLUMNS.get(name, {})  # this desk's own state (e.g. lockouts): never pulled over
                stmt = stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id" and c.name not in local},
                    where=None if authoritative else stmt.excluded.updated_at >= table.c.updated_at,
                )
                count = cast("CursorResult[Any]", s.execute(stmt, fresh)).rowcount or 0
            current = s.get(SyncState, state_name) or SyncState(name=state_name)
            if not skipped:  # a skipped row is read again next time (after this desk's change went up)
                current.pulled_xid = xmin
            s.add(current)
            return count

        return int(self.db.writer.run(apply))

    # -- bookkeeping ------------------------------------------------------------------------------

    def _state_stale(self, now: datetime) -> bool:
        """Whether the stored last-sync note needs a write after a sync that changed nothing.

        A no-op sync (every minute in the app) writes nothing: the stored time is refreshed
        only when it is older than STATE_REFRESH or an earlier error must be cleared.
        """
        with self.db.session() as s:
            state = s.get(SyncState, _PUSH_STATE)
        return (state is None or state.last_error is not None or state.last_sync_at is None
                or now - state.last_sync_at >= STATE_REFRESH)

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

def _default_account_gate(db: Database) -> AccountGate:
    # Imported here: the store is below dxdesk.security, which builds on it. Every engine gets the
    # gate, so no caller can forget it and trust the server's accounts by omission.
    from dxdesk.security.accounttrust import AccountGate as TownAccountGate

    return TownAccountGate(db)


def last_sync_time(db: Database) -> datetime | None:
    with db.session() as s:
        state = s.get(SyncState, _PUSH_STATE)
        return state.last_sync_at if state else None


